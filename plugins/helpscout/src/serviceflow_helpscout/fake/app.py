"""The fake Help Scout's HTTP surface: a Starlette app over :class:`~.state.FakeState`.

Every request goes through one pipeline, in this order: authentication (``POST
/v2/oauth2/token`` issues bearer tokens for the app's credentials; every other call needs a live
one, else 401), the per-minute rate limit (every answer states ``X-RateLimit-Limit-Minute`` and
``X-RateLimit-Remaining-Minute``; writes count twice; once spent, 429 with
``X-RateLimit-Retry-After``; OFFICIAL, CONTRACTS.md §7), an injected fault (before the handler,
or after it with ``after_write``), the handler. Answers are HAL JSON (``application/hal+json``),
201 with ``Resource-ID`` and no body for a created thread (OFFICIAL, Create Note/Reply), 204 for
PATCH, PUT and DELETE, and ``application/vnd.error+json`` errors (§1.3). Every request is
recorded with its answer, so tests assert on what the vendor saw.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serviceflow.fakes.calls import RequestInfo

from . import changes
from .records import HAL_TYPE, FakeApiError, Json, bad_request, hal_page, not_found, unauthorized, vnd_error

if TYPE_CHECKING:
    from .controller import FakeHelpScout

#: The SDK fixture's 429 body (OFFICIAL-SDK ``ErrorPayloads``; the real body is UNVERIFIED).
RATE_LIMIT_BODY = {"message": "API rate limit exceeded"}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Call(RequestInfo):
    """A request as it arrived, with the fake's answer."""

    status: int = 0
    response: Any = None
    response_headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Ctx:
    fake: FakeHelpScout
    path: str
    query: tuple[tuple[str, str], ...]
    params: Mapping[str, Any]
    body: Any
    user_id: int
    base_url: str

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def id(self, name: str = "id") -> int:
        return int(self.params[name])


Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[Ctx], Answer]


class RateWindow:
    """Per-minute request counting, writes counting twice (OFFICIAL, Rate Limiting)."""

    def __init__(self, limit: int, clock: Callable[[], datetime]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._minute, self._used = -1, 0

    def reset(self) -> None:
        with self._lock:
            self._minute, self._used = -1, 0

    def count(self, cost: int) -> tuple[int, int]:
        """Count a request of ``cost``; (used this minute, seconds until the next minute)."""
        now = self._clock().timestamp()
        with self._lock:
            if int(now // 60) != self._minute:
                self._minute, self._used = int(now // 60), 0
            self._used += cost
            return self._used, 60 - int(now % 60)


def build_app(fake: FakeHelpScout) -> Starlette:
    """The ASGI app for one fake Help Scout."""
    conversation = "/v2/conversations/{id:int}"
    table: list[tuple[str, dict[str, Handler]]] = [
        ("/v2/users/me", {"GET": _me}),
        ("/v2/users", {"GET": lambda c: _list(c, "users", c.fake.users())}),
        ("/v2/users/{id:int}", {"GET": lambda c: (200, _get(c.fake.state.users, c.id()), {})}),
        ("/v2/teams", {"GET": lambda c: _list(c, "teams", c.fake.teams())}),
        ("/v2/teams/{id:int}/members", {"GET": _members}),
        ("/v2/mailboxes", {"GET": lambda c: _list(c, "mailboxes", c.fake.mailboxes())}),
        ("/v2/mailboxes/{id:int}", {"GET": lambda c: (200, _get(c.fake.state.mailboxes, c.id()), {})}),
        ("/v2/customers/{id:int}", {"GET": lambda c: (200, _get(c.fake.state.customers, c.id()), {})}),
        (
            "/v2/organizations/{id:int}",
            {"GET": lambda c: (200, _get(c.fake.state.organizations, c.id()), {})},
        ),
        ("/v2/conversations", {"GET": _conversations}),
        (conversation, {"GET": _conversation, "PATCH": _patch, "DELETE": _delete}),
        (conversation + "/threads", {"GET": _threads}),
        (conversation + "/notes", {"POST": lambda c: _thread(c, "note")}),
        (conversation + "/reply", {"POST": lambda c: _thread(c, "reply")}),
        (conversation + "/tags", {"PUT": _tags}),
        ("/v2/webhooks", {"GET": _webhooks, "POST": _create_webhook}),
        ("/v2/webhooks/{id:int}", {"GET": _webhook, "DELETE": _delete_webhook}),
    ]
    routes = [Route("/v2/oauth2/token", _endpoint(fake, {"POST": _token}, public=True), methods=["POST"])]
    routes += [Route(path, _endpoint(fake, handlers), methods=list(handlers)) for path, handlers in table]
    every = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes.append(Route("/{path:path}", _endpoint(fake, {}), methods=every))
    return Starlette(routes=routes)


def _endpoint(
    fake: FakeHelpScout, handlers: Mapping[str, Handler], *, public: bool = False
) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = tuple(request.query_params.multi_items())
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        status, payload, extra = _pipeline(
            fake,
            request.method,
            request.url.path,
            query,
            headers,
            raw,
            handlers,
            dict(request.path_params),
            base_url,
            public,
        )
        fake.call_log.append(
            Call(request.method, request.url.path, query, headers, raw, status, payload, dict(extra))
        )
        if payload is None or status in (201, 204, 301):
            return Response(status_code=status, headers=extra)
        media = extra.pop("Content-Type", HAL_TYPE if status < 400 else "application/json")
        return Response(json.dumps(payload), status_code=status, headers=extra, media_type=media)

    return endpoint


def _pipeline(
    fake: FakeHelpScout,
    method: str,
    path: str,
    query: tuple[tuple[str, str], ...],
    headers: Mapping[str, str],
    raw: bytes,
    handlers: Mapping[str, Handler],
    params: dict[str, Any],
    base_url: str,
    public: bool,
) -> Answer:
    user_id = 0 if public else fake.user_for(headers.get("authorization", ""))
    if user_id is None:
        error = unauthorized()
        return error.status, error.payload, dict(error.headers)
    rate: dict[str, str] = {}
    if not public:
        used, resets = fake.rate_window.count(2 if method in WRITES else 1)
        limit = fake.rate_window.limit
        rate = {
            "X-RateLimit-Limit-Minute": str(limit),
            "X-RateLimit-Remaining-Minute": str(max(limit - used, 0)),
        }
        if fake.enforce_rate_limit and used > limit:
            return 429, dict(RATE_LIMIT_BODY), {**rate, "X-RateLimit-Retry-After": str(resets)}
    fault = fake.faults.take(method, path)
    if fault is not None and not fault.after_write:
        return _faulted(fault, rate)
    ctx = Ctx(fake, path, query, params, None, user_id, base_url)
    answer = _handle(ctx, raw, headers, handlers, method, rate)
    if fault is not None:  # the write went through; the answer is lost (a gateway's 502)
        return _faulted(fault, rate)
    return answer


def _faulted(fault: Any, rate: dict[str, str]) -> Answer:
    """An injected error: a 429 carries Help Scout's ``X-RateLimit-Retry-After``, a 503 the
    standard ``Retry-After``; 5xx bodies are text, as gateways' are."""
    extra = dict(rate)
    if fault.status == 429 and fault.retry_after is not None:
        seconds = fault.retry_after
        extra["X-RateLimit-Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
    else:
        extra.update(fault.headers())
    payload = fault.payload(RATE_LIMIT_BODY)
    if isinstance(payload, str):
        return fault.status, {"message": payload}, {**extra, "Content-Type": "text/plain"}
    return fault.status, payload, extra


def _handle(
    ctx: Ctx,
    raw: bytes,
    headers: Mapping[str, str],
    handlers: Mapping[str, Handler],
    method: str,
    rate: dict[str, str],
) -> Answer:
    if method not in handlers:
        error = not_found()
        return error.status, error.payload, {**rate, **error.headers}
    try:
        body = _body(raw, headers.get("content-type", ""))
        status, payload, extra = handlers[method](replace(ctx, body=body))
    except FakeApiError as exc:
        return exc.status, exc.payload, {**rate, **exc.headers}
    return status, payload, {**rate, **extra}


def _body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request(("body", "Malformed JSON", None)) from None


# ---------------------------------------------------------------------- handlers


def _token(ctx: Ctx) -> Answer:
    """``POST /v2/oauth2/token``, form or JSON (both documented or used, CONTRACTS.md §1.2)."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("grant_type") != "client_credentials":
        raise bad_request(("grant_type", "Value not supported", body.get("grant_type")))
    if (body.get("client_id"), body.get("client_secret")) != (ctx.fake.app_id, ctx.fake.app_secret):
        raise vnd_error(401, "Invalid client credentials")  # the body is UNVERIFIED
    token = secrets.token_hex(16)
    ctx.fake.tokens[token] = (ctx.fake.owner["id"], ctx.fake.clock().timestamp() + ctx.fake.token_lifetime)
    return 200, {"token_type": "bearer", "access_token": token, "expires_in": ctx.fake.token_lifetime}, {}


def _me(ctx: Ctx) -> Answer:
    """The resource owner, the User object plus ``companyId`` (OFFICIAL, Get Resource Owner)."""
    return 200, {**_get(ctx.fake.state.users, ctx.user_id), "companyId": ctx.fake.company_id}, {}


def _get(table: Mapping[int, Json], key: int) -> Json:
    if key not in table:
        raise not_found()
    return dict(table[key])


def _list(ctx: Ctx, rel: str, items: list[Json], size: int | None = None) -> Answer:
    page = _page_number(ctx)
    body = hal_page(
        items,
        rel,
        page=page,
        size=size or ctx.fake.page_size,
        base_url=ctx.base_url,
        path=ctx.path,
        query=ctx.query,
    )
    return 200, body, {}


def _page_number(ctx: Ctx) -> int:
    raw = ctx.param("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise bad_request(("page", "Invalid number", raw))
    return int(raw)


def _members(ctx: Ctx) -> Answer:
    state = ctx.fake.state
    with state.lock:
        if ctx.id() not in state.teams:
            raise not_found()
        users = [dict(state.users[u]) for u in state.members[ctx.id()]]
    return _list(ctx, "users", users)


def _conversations(ctx: Ctx) -> Answer:
    """``GET /v2/conversations``: 25 a page, unlike every other list (OFFICIAL, Pagination)."""
    if ctx.param("embed") not in (None, "threads"):
        raise bad_request(("embed", "Value not supported", ctx.param("embed")))
    items = ctx.fake.state.list_conversations(ctx.query)
    return _list(ctx, "conversations", items, ctx.fake.conversation_page_size)


def _conversation(ctx: Ctx) -> Answer:
    embed = ctx.param("embed")
    if embed not in (None, "threads"):
        raise bad_request(("embed", "allowed values are: threads", embed))
    return 200, ctx.fake.state.conversation(ctx.id(), threads=embed == "threads", base_url=ctx.base_url), {}


def _threads(ctx: Ctx) -> Answer:
    return _list(ctx, "threads", ctx.fake.state.thread_list(ctx.id()))


def _thread(ctx: Ctx, kind: str) -> Answer:
    thread = changes.add_thread(ctx.fake.state, ctx.id(), kind, ctx.body, actor_id=ctx.user_id)
    return 201, None, {"Resource-ID": str(thread["id"])}


def _patch(ctx: Ctx) -> Answer:
    changes.patch(ctx.fake.state, ctx.id(), ctx.body, actor_id=ctx.user_id)
    return 204, None, {}


def _tags(ctx: Ctx) -> Answer:
    changes.put_tags(ctx.fake.state, ctx.id(), ctx.body, actor_id=ctx.user_id)
    return 204, None, {}


def _delete(ctx: Ctx) -> Answer:
    changes.delete(ctx.fake.state, ctx.id())
    return 204, None, {}


def _webhooks(ctx: Ctx) -> Answer:
    return _list(ctx, "webhooks", [s.record() for s in ctx.fake.webhooks.subscriptions.values()])


def _webhook(ctx: Ctx) -> Answer:
    found = ctx.fake.webhooks.subscriptions.get(ctx.id())
    if found is None:
        raise not_found()
    return 200, found.record(), {}


def _create_webhook(ctx: Ctx) -> Answer:
    """``POST /v2/webhooks`` -> 201 with ``Resource-ID`` and ``Location`` (OFFICIAL)."""
    from .webhooks import EVENTS

    body = ctx.body if isinstance(ctx.body, dict) else {}
    problems: list[tuple[str, str, Any]] = []
    url, events, secret = body.get("url"), body.get("events"), body.get("secret")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append(("url", "may not be empty", url))
    if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
        problems.append(("events", "Value not supported", events))
    if not isinstance(secret, str) or not secret or len(secret) > 40:
        problems.append(("secret", "size must be between 1 and 40", None))
    if problems:
        raise bad_request(*problems)
    boxes = tuple(int(m) for m in body.get("mailboxIds") or ())
    chosen = tuple(str(e) for e in events or ())
    made = ctx.fake.webhooks.subscribe(
        str(url), str(secret), chosen, boxes, label=str(body.get("label") or "")
    )
    return 201, None, {"Resource-ID": str(made.id), "Location": f"{ctx.base_url}/v2/webhooks/{made.id}"}


def _delete_webhook(ctx: Ctx) -> Answer:
    if ctx.fake.webhooks.subscriptions.pop(ctx.id(), None) is None:
        raise not_found()
    return 204, None, {}
