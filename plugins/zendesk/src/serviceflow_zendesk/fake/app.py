"""The fake Zendesk's HTTP surface: a Starlette app over :class:`~.state.FakeState`.

Every route is served with and without the ``.json`` suffix (CONTRACTS.md §1.1). Each request
goes through one pipeline, in this order: contract check (an optional hook, e.g. an OAS
validator), authentication, rate limit, injected fault, injected concurrent writer, handler. The
pipeline records every request with its answer, so tests can assert on what the vendor saw.
The handlers are grouped by what they serve: :mod:`.ticket_routes`, :mod:`.people_routes`,
:mod:`.suspended_routes` and :mod:`.incremental`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .calls import Call, RequestInfo
from .faults import RATE_LIMIT_BODY
from .incremental import incremental_tickets
from .people_routes import PEOPLE_ROUTES
from .records import AGENT_ROLES, FakeApiError, Json
from .suspended_routes import SUSPENDED_ROUTES
from .ticket_routes import TICKET_ROUTES

if TYPE_CHECKING:
    from .controller import FakeZendesk

WRITE_METHODS = ("PUT", "POST", "DELETE")
UNAUTHORIZED = FakeApiError(401, "Couldn't authenticate you")  # Zendesk's 401 body: {"error": ...}
INVALID_ENDPOINT = FakeApiError(404, "InvalidEndpoint", "Not found")
#: What ShowCurrentUser names for a caller it does not know (see ``_pipeline``; UNVERIFIED beyond
#: the null id and the end-user role).
ANONYMOUS_USER: Json = {"id": None, "url": None, "name": "Anonymous user", "email": None, "role": "end-user"}


@dataclass(frozen=True)
class Ctx:
    """What a handler gets: the fake, the parsed request and the authenticated user."""

    fake: FakeZendesk
    info: RequestInfo
    params: Mapping[str, Any]
    body: Any
    actor: Json
    base_url: str

    @property
    def ticket_id(self) -> int:
        """The ``{ticket_id}`` path parameter."""
        return int(self.params["ticket_id"])

    def url(self, path: str) -> str:
        """An absolute URL on this fake."""
        return f"{self.base_url}{path}"


Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[Ctx], Answer]


class RateWindow:
    """Per-minute request counting for the ``X-Rate-Limit*`` headers and optional enforcement."""

    def __init__(self, limit: int, clock: Callable[[], datetime]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._minute = -1
        self._used = 0
        self._updates = 0

    def reset(self) -> None:
        """Start counting afresh (a reset account has used nothing)."""
        with self._lock:
            self._minute, self._used, self._updates = -1, 0, 0

    def count(self, *, ticket_update: bool) -> tuple[int, int, int]:
        """Count one request; returns (used this minute, ticket updates this minute, seconds left)."""
        now = self._clock()
        minute = int(now.timestamp() // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._used, self._updates = minute, 0, 0
            self._used += 1
            self._updates += ticket_update
            return self._used, self._updates, 60 - int(now.timestamp() % 60)


def build_app(fake: FakeZendesk) -> Starlette:
    """The ASGI app for one :class:`~.fake.FakeZendesk`."""
    table: list[tuple[str, dict[str, Handler]]] = [
        *TICKET_ROUTES,
        *PEOPLE_ROUTES,
        ("/api/v2/incremental/tickets/cursor", {"GET": incremental_tickets}),
        *SUSPENDED_ROUTES,
    ]
    routes: list[Route] = []
    for path, handlers in table:
        template = path.replace(":int", "")
        endpoint = _endpoint(fake, template, handlers)
        # The suffixed form first: a plain `{id}` would otherwise swallow "abc.json".
        routes.append(Route(path + ".json", endpoint, methods=list(handlers)))
        routes.append(Route(path, endpoint, methods=list(handlers)))
    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes.append(Route("/{path:path}", _endpoint(fake, None, {}), methods=every_method))
    return Starlette(routes=routes)


def _endpoint(
    fake: FakeZendesk, template: str | None, handlers: Mapping[str, Handler]
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        info = RequestInfo(
            method=request.method,
            path=request.url.path,
            query=tuple(request.query_params.multi_items()),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        status, payload, headers = _pipeline(
            fake, info, template, handlers, dict(request.path_params), base_url
        )
        fake.call_log.append(Call(**vars(info), route=template, status=status, response=payload))
        if status == 204:
            return Response(status_code=204, headers=headers)
        if isinstance(payload, str):
            return PlainTextResponse(payload, status_code=status, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    return endpoint


def _pipeline(
    fake: FakeZendesk,
    info: RequestInfo,
    template: str | None,
    handlers: Mapping[str, Handler],
    params: dict[str, Any],
    base_url: str,
) -> Answer:
    check = fake.request_check
    if check is not None:
        problems = list(check(info))
        if problems:
            fake.record_violation(info, problems)
            return 400, {"error": "FakeContractViolation", "description": "; ".join(problems)}, {}
    actor = _authenticate(fake, info.headers.get("authorization", ""))
    if actor is None and template == "/api/v2/users/me" and info.method == "GET":
        # ShowCurrentUser is "Allowed For: Anonymous users" (OAS): without credentials Zendesk
        # accepts, it names the anonymous user rather than answering 401. The anonymous user's
        # exact fields are UNVERIFIED; what matters (and is certain) is that it has no id.
        return 200, {"user": dict(ANONYMOUS_USER)}, {}
    if actor is None:
        return 401, UNAUTHORIZED.body(), {}
    is_update = template == "/api/v2/tickets/{ticket_id}" and info.method == "PUT"
    used, updates, resets = fake.rate_window.count(ticket_update=is_update)
    limit = fake.rate_window.limit
    rate_headers = {
        "X-Rate-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(max(limit - used, 0)),
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(max(limit - used, 0)),
        "ratelimit-reset": str(resets),
    }
    if is_update:
        rate_headers["Zendesk-RateLimit-tickets-update"] = (
            f"total=100; remaining={max(100 - updates, 0)}; resets={resets}"
        )
    if fake.enforce_rate_limit and used > limit:
        return 429, dict(RATE_LIMIT_BODY), {**rate_headers, "Retry-After": str(resets)}
    fault = fake.faults.take(info.method, info.normalised_path)
    if fault is not None and not fault.after_write:
        return fault.status, fault.payload(RATE_LIMIT_BODY), {**rate_headers, **fault.headers()}
    answer = _handle(fake, info, template, handlers, params, base_url, actor, rate_headers)
    if fault is not None:  # the write went through; the answer is lost (a gateway's 502)
        return fault.status, fault.payload(RATE_LIMIT_BODY), {**rate_headers, **fault.headers()}
    return answer


def _handle(
    fake: FakeZendesk,
    info: RequestInfo,
    template: str | None,
    handlers: Mapping[str, Handler],
    params: dict[str, Any],
    base_url: str,
    actor: Json,
    rate_headers: dict[str, str],
) -> Answer:
    if template is None or info.method not in handlers:
        return INVALID_ENDPOINT.status, INVALID_ENDPOINT.body(), rate_headers
    if info.method in WRITE_METHODS and "ticket_id" in params:
        fake.apply_pending_conflict(int(params["ticket_id"]))
    try:
        body = json.loads(info.body) if info.body else None
    except ValueError:
        return (
            400,
            {"error": "InvalidJSON", "description": "The request body is not valid JSON"},
            rate_headers,
        )
    ctx = Ctx(fake, info, params, body, actor, base_url)
    try:
        status, payload, headers = handlers[info.method](ctx)
    except FakeApiError as exc:
        return exc.status, exc.body(), {**rate_headers, **exc.headers}
    return status, payload, {**rate_headers, **headers}


def _authenticate(fake: FakeZendesk, header: str) -> Json | None:
    """The user behind an ``Authorization`` header, or None (then the answer is 401).

    Accepted: ``Basic base64("{email}/token:{api_token}")`` for an active agent/admin and a
    known token, and ``Bearer {oauth_token}`` for a known token. Password basic auth is legacy
    and off by default on real accounts, so it is refused (CONTRACTS.md §1.1).
    """
    scheme, _, credentials = header.partition(" ")
    state = fake.state
    if scheme.lower() == "bearer":
        user_id = fake.oauth_tokens.get(credentials.strip())
        with state.lock:
            user = state.users.get(user_id) if user_id is not None else None
            return dict(user) if user and user["active"] else None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, _, token = decoded.partition(":")
    if not username.endswith("/token") or token not in fake.api_tokens:
        return None
    email = username.removesuffix("/token")
    with state.lock:
        for user in state.users.values():
            if user["email"] == email and user["role"] in AGENT_ROLES and user["active"]:
                return dict(user)
    return None
