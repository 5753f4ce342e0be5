"""The fake Zendesk's HTTP surface: a Starlette app over :class:`~.state.FakeState`.

Every route is served with and without the ``.json`` suffix (CONTRACTS.md §1.1). Each request
goes through one pipeline, in this order: contract check (an optional hook, e.g. an OAS
validator), authentication, rate limit, injected fault, injected concurrent writer, handler. The
pipeline records every request with its answer, so tests can assert on what the vendor saw.
"""

from __future__ import annotations

import base64
import binascii
import copy
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
from .pages import paginate
from .records import AGENT_ROLES, FakeApiError, Json
from .suspended_routes import SUSPENDED_ROUTES

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
        ("/api/v2/tickets", {"GET": _list_tickets, "POST": _create_ticket}),
        ("/api/v2/tickets/{ticket_id:int}", {"GET": _show_ticket, "PUT": _update_ticket}),
        ("/api/v2/tickets/{ticket_id:int}/comments", {"GET": _list_comments}),
        ("/api/v2/tickets/{ticket_id:int}/audits", {"GET": _list_audits}),
        (
            "/api/v2/tickets/{ticket_id:int}/tags",
            {"GET": _list_tags, "PUT": _add_tags, "POST": _set_tags, "DELETE": _remove_tags},
        ),
        ("/api/v2/tickets/{ticket_id:int}/merge", {"POST": _merge}),
        ("/api/v2/users", {"GET": _list_users}),
        ("/api/v2/users/me", {"GET": _show_me}),
        ("/api/v2/users/show_many", {"GET": _show_many_users}),
        ("/api/v2/users/search", {"GET": _search_users}),
        ("/api/v2/users/{user_id:int}", {"GET": _show_user}),
        ("/api/v2/groups", {"GET": _list_groups}),
        ("/api/v2/group_memberships", {"GET": _list_memberships}),
        ("/api/v2/groups/{group_id:int}/memberships", {"GET": _list_memberships}),
        ("/api/v2/users/{user_id:int}/group_memberships", {"GET": _list_memberships}),
        ("/api/v2/job_statuses/{job_status_id}", {"GET": _show_job_status}),
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


# ---------------------------------------------------------------------- tickets


def _wrapped(ctx: Ctx, key: str) -> Json:
    body = ctx.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise FakeApiError(400, "InvalidParameter", f"The request body needs a {key!r} object")
    wrapped: Json = body[key]
    return wrapped


def _list_tickets(ctx: Ctx) -> Answer:
    external_id = dict(ctx.info.query).get("external_id")
    items = ctx.fake.state.list_tickets(external_id=external_id)
    return 200, paginate(items, key="tickets", query=ctx.info.query, url=ctx.url("/api/v2/tickets.json")), {}


def _create_ticket(ctx: Ctx) -> Answer:
    ticket, audit, _ = ctx.fake.state.create_ticket(_wrapped(ctx, "ticket"), actor_id=ctx.actor["id"])
    location = ctx.url(f"/api/v2/tickets/{ticket['id']}.json")
    return 201, {"ticket": ticket, "audit": audit}, {"Location": location}


#: What ShowTicket side-loads here (the guide lists more for tickets: groups, brands, ...).
TICKET_SIDELOADS = ("users", "organizations")


def _show_ticket(ctx: Ctx) -> Answer:
    """ShowTicket, with ``include`` side-loads (developer.zendesk.com/documentation/ticketing/
    using-the-zendesk-api/side_loading: "a comma-separated list of resources to load")."""
    ticket = ctx.fake.state.get_ticket(ctx.ticket_id)
    include = [n.strip() for n in dict(ctx.info.query).get("include", "").split(",") if n.strip()]
    unknown = [n for n in include if n not in TICKET_SIDELOADS]
    if unknown:  # the fake's own answer: what Zendesk does with an unknown sideload is UNVERIFIED
        raise FakeApiError(400, "InvalidParameter", f"include: unknown sideload {', '.join(unknown)}")
    return 200, {"ticket": ticket, **ctx.fake.state.sideloads(ticket, include)}, {}


def _update_ticket(ctx: Ctx) -> Answer:
    state = ctx.fake.state
    state.get_ticket(ctx.ticket_id)  # 404 before 400, as for any missing record
    ticket, audit, _ = state.update_ticket(ctx.ticket_id, _wrapped(ctx, "ticket"), actor_id=ctx.actor["id"])
    return 200, {"ticket": ticket, "audit": audit}, {}


def _list_comments(ctx: Ctx) -> Answer:
    comments = ctx.fake.state.list_comments(ctx.ticket_id)
    params = dict(ctx.info.query)
    # `sort` orders cursor pages, `sort_order` offset pages (ListTicketComments description).
    descending = params.get("sort") == "-created_at" or params.get("sort_order") == "desc"
    if descending:
        comments.reverse()
    url = ctx.url(f"/api/v2/tickets/{ctx.ticket_id}/comments.json")
    page = paginate(comments, key="comments", query=ctx.info.query, url=url, descending=descending)
    return 200, page, {}


def _list_audits(ctx: Ctx) -> Answer:
    """ListAuditsForTicket (OAS ``/api/v2/tickets/{ticket_id}/audits``), oldest first, cursor pages."""
    url = ctx.url(f"/api/v2/tickets/{ctx.ticket_id}/audits.json")
    audits = ctx.fake.state.list_audits(ctx.ticket_id)
    return 200, paginate(audits, key="audits", query=ctx.info.query, url=url), {}


def _list_tags(ctx: Ctx) -> Answer:
    return 200, {"tags": ctx.fake.state.get_ticket(ctx.ticket_id)["tags"]}, {}


def _tags_body(ctx: Ctx) -> Json:
    ctx.fake.state.get_ticket(ctx.ticket_id)
    if not isinstance(ctx.body, dict):
        raise FakeApiError(400, "InvalidParameter", "The request body needs a 'tags' array")
    return ctx.body


def _add_tags(ctx: Ctx) -> Answer:
    tags = ctx.fake.state.change_tags(ctx.ticket_id, _tags_body(ctx), mode="add", actor_id=ctx.actor["id"])
    return 200, {"tags": tags}, {}


def _set_tags(ctx: Ctx) -> Answer:
    tags = ctx.fake.state.change_tags(ctx.ticket_id, _tags_body(ctx), mode="set", actor_id=ctx.actor["id"])
    return 201, {"tags": tags}, {}


def _remove_tags(ctx: Ctx) -> Answer:
    ctx.fake.state.change_tags(ctx.ticket_id, _tags_body(ctx), mode="remove", actor_id=ctx.actor["id"])
    return 204, None, {}


def _merge(ctx: Ctx) -> Answer:
    ctx.fake.state.get_ticket(ctx.ticket_id)
    if not isinstance(ctx.body, dict):
        raise FakeApiError(400, "InvalidParameter", "The request body needs an 'ids' array")
    job = ctx.fake.state.merge(ctx.ticket_id, ctx.body, actor_id=ctx.actor["id"])
    return 200, {"job_status": job}, {}


def _show_job_status(ctx: Ctx) -> Answer:
    return 200, {"job_status": ctx.fake.state.get_job_status(str(ctx.params["job_status_id"]))}, {}


# ---------------------------------------------------------------------- users and groups


def _list_users(ctx: Ctx) -> Answer:
    query = ctx.info.query
    roles = [v for k, v in query if k in ("role", "role[]")]
    params = dict(query)
    users = ctx.fake.state.list_users(roles=roles, external_id=params.get("external_id"))
    if "permission_set" in params:
        users = [u for u in users if str(u.get("custom_role_id")) == params["permission_set"]]
    return 200, paginate(users, key="users", query=query, url=ctx.url("/api/v2/users.json")), {}


def _show_me(ctx: Ctx) -> Answer:
    return 200, {"user": ctx.fake.state.get_user(ctx.actor["id"])}, {}


def _show_many_users(ctx: Ctx) -> Answer:
    """ShowManyUsers: "a comma-separated list of up to 100 user ids" (OAS); unknown ids are left
    out of the answer (the fake's reading)."""
    raw = dict(ctx.info.query).get("ids", "")
    try:
        wanted = [int(i) for i in raw.split(",") if i.strip()]
    except ValueError as exc:
        raise FakeApiError(400, "InvalidParameter", "ids must be comma-separated integers") from exc
    if len(wanted) > 100:
        raise FakeApiError(400, "InvalidParameter", "ids accepts up to 100 user ids")
    state = ctx.fake.state
    with state.lock:
        users = [copy.deepcopy(state.users[u]) for u in dict.fromkeys(wanted) if u in state.users]
    return 200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)}, {}


def _search_users(ctx: Ctx) -> Answer:
    """SearchUsers: the fake reads ``email:<address>`` (exact) and otherwise matches the text in
    names and emails, ignoring case (the search syntax itself is Zendesk's, not copied)."""
    query = dict(ctx.info.query).get("query", "").strip()
    state = ctx.fake.state
    with state.lock:
        everyone = list(state.users.values())
        if query.lower().startswith("email:"):
            address = query[len("email:") :].strip().strip('"').lower()
            found = [u for u in everyone if str(u.get("email", "")).lower() == address]
        else:
            text = query.strip('"').lower()
            found = [
                u for u in everyone if text and (text in u["name"].lower() or text in str(u["email"]).lower())
            ]
        users = copy.deepcopy(sorted(found, key=lambda u: u["id"])[:100])
    return 200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)}, {}


def _show_user(ctx: Ctx) -> Answer:
    return 200, {"user": ctx.fake.state.get_user(int(ctx.params["user_id"]))}, {}


def _list_groups(ctx: Ctx) -> Answer:
    groups = ctx.fake.state.list_groups()
    if dict(ctx.info.query).get("exclude_deleted") == "true":
        groups = [g for g in groups if not g["deleted"]]
    return 200, paginate(groups, key="groups", query=ctx.info.query, url=ctx.url("/api/v2/groups.json")), {}


def _list_memberships(ctx: Ctx) -> Answer:
    """ListGroupMemberships at its three URLs: all, ``/groups/{group_id}/memberships``,
    ``/users/{user_id}/group_memberships`` (the filters are path parameters, CONTRACTS.md §8)."""
    group_id, user_id = ctx.params.get("group_id"), ctx.params.get("user_id")
    memberships = ctx.fake.state.list_memberships(
        group_id=None if group_id is None else int(group_id),
        user_id=None if user_id is None else int(user_id),
    )
    url = ctx.url(ctx.info.path.removesuffix(".json") + ".json")
    return 200, paginate(memberships, key="group_memberships", query=ctx.info.query, url=url), {}


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return int(params[name])
    except ValueError as exc:
        raise FakeApiError(400, "InvalidParameter", f"{name} must be an integer") from exc
