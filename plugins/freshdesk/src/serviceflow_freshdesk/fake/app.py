"""The fake Freshdesk's HTTP surface: a Starlette app over :class:`~.state.FakeState`.

Each request goes through one pipeline, in this order: authentication (API key as the Basic
username, any password), rate-limit headers (and an optional enforced budget), injected fault,
handler. The pipeline records every request with its answer, so tests assert on what the vendor
saw. Lists answer plain JSON arrays paginated by ``page``/``per_page`` with a ``Link: rel="next"``
header while more pages follow (CONTRACTS.md §2.3).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import checks
from .calls import Call
from .faults import RATE_LIMIT_BODY
from .records import FakeApiError, Json, not_found, unauthorized, validation_failed

if TYPE_CHECKING:
    from .controller import FakeFreshdesk

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Ctx:
    """What a handler gets: the fake, the request's parts and the authenticated agent."""

    fake: FakeFreshdesk
    path: str
    query: tuple[tuple[str, str], ...]
    params: Mapping[str, Any]
    body: Any
    agent_id: int
    base_url: str

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    @property
    def ticket_id(self) -> int:
        return int(self.params["ticket_id"])


Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[Ctx], Answer]


class RateWindow:
    """Per-minute request counting for the ``X-RateLimit-*`` headers (CONTRACTS.md §2.4)."""

    def __init__(self, limit: int, clock: Callable[[], datetime]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._minute = -1
        self._used = 0

    def reset(self) -> None:
        """Start counting afresh (a reset account has used nothing)."""
        with self._lock:
            self._minute, self._used = -1, 0

    def count(self) -> tuple[int, int]:
        """Count one request; returns (used this minute, seconds until the next minute)."""
        now = self._clock()
        minute = int(now.timestamp() // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._used = minute, 0
            self._used += 1
            return self._used, 60 - int(now.timestamp() % 60)


def build_app(fake: FakeFreshdesk) -> Starlette:
    """The ASGI app for one :class:`~.fake.FakeFreshdesk`."""
    table: list[tuple[str, dict[str, Handler]]] = [
        ("/api/v2/tickets", {"GET": _list_tickets, "POST": _create_ticket}),
        ("/api/v2/tickets/merge", {"PUT": _merge}),
        (
            "/api/v2/tickets/{ticket_id:int}",
            {"GET": _show_ticket, "PUT": _update_ticket, "DELETE": _delete_ticket},
        ),
        ("/api/v2/tickets/{ticket_id:int}/conversations", {"GET": _list_conversations}),
        ("/api/v2/tickets/{ticket_id:int}/notes", {"POST": _add_note}),
        ("/api/v2/tickets/{ticket_id:int}/reply", {"POST": _add_reply}),
        ("/api/v2/agents", {"GET": _list_agents}),
        ("/api/v2/agents/me", {"GET": _show_me}),
        ("/api/v2/groups", {"GET": _list_groups}),
        ("/api/v2/groups/{group_id:int}", {"GET": _show_group}),
        ("/api/v2/companies/{company_id:int}", {"GET": _show_company}),
        ("/api/v2/email_configs/{config_id:int}", {"GET": _show_email_config}),
    ]
    routes = [Route(path, _endpoint(fake, handlers), methods=list(handlers)) for path, handlers in table]
    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes.append(Route("/{path:path}", _endpoint(fake, {}), methods=every_method))
    return Starlette(routes=routes)


def _endpoint(fake: FakeFreshdesk, handlers: Mapping[str, Handler]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = tuple(request.query_params.multi_items())
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        status, payload, extra = _pipeline(
            fake,
            request.method,
            request.url.path,
            query,
            headers,
            body,
            handlers,
            dict(request.path_params),
            base_url,
        )
        fake.call_log.append(
            Call(request.method, request.url.path, query, headers, body, status, payload, dict(extra))
        )
        if status == 204:
            return Response(status_code=204, headers=extra)
        if isinstance(payload, str):
            return PlainTextResponse(payload, status_code=status, headers=extra)
        return JSONResponse(payload, status_code=status, headers=extra)

    return endpoint


def _pipeline(
    fake: FakeFreshdesk,
    method: str,
    path: str,
    query: tuple[tuple[str, str], ...],
    headers: Mapping[str, str],
    raw: bytes,
    handlers: Mapping[str, Handler],
    params: dict[str, Any],
    base_url: str,
) -> Answer:
    agent_id = _authenticate(fake, headers.get("authorization", ""))
    if agent_id is None:
        error = unauthorized()
        return error.status, error.payload, {}
    used, resets = fake.rate_window.count()
    limit = fake.rate_window.limit
    rate = {
        "X-RateLimit-Total": str(limit),
        "X-RateLimit-Remaining": str(max(limit - used, 0)),
        "X-RateLimit-Used-CurrentRequest": "1",
    }
    if fake.enforce_rate_limit and used > limit:
        return 429, dict(RATE_LIMIT_BODY), {**rate, "Retry-After": str(resets)}
    fault = fake.faults.take(method, path)
    if fault is not None and not fault.after_write:
        return fault.status, fault.payload(RATE_LIMIT_BODY), {**rate, **fault.headers()}
    answer = _handle(Ctx(fake, path, query, params, None, agent_id, base_url), raw, handlers, method, rate)
    if fault is not None:  # the write went through; the answer is lost (a gateway's 502)
        return fault.status, fault.payload(RATE_LIMIT_BODY), {**rate, **fault.headers()}
    return answer


def _handle(
    ctx: Ctx, raw: bytes, handlers: Mapping[str, Handler], method: str, rate: dict[str, str]
) -> Answer:
    if method not in handlers:
        error = not_found()
        return error.status, error.payload, rate
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        error = validation_failed(("body", "Request body has invalid json format", "invalid_json"))
        return error.status, error.payload, rate
    try:
        status, payload, extra = handlers[method](replace(ctx, body=parsed))
    except FakeApiError as exc:
        return exc.status, exc.payload, {**rate, **exc.headers}
    return status, payload, {**rate, **extra}


def _authenticate(fake: FakeFreshdesk, header: str) -> int | None:
    """The agent behind ``Basic base64("{api_key}:{anything}")``, or None (then 401)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, _password = decoded.partition(":")
    if not sep:
        return None
    return fake.api_keys.get(key)


# ---------------------------------------------------------------------- pagination


def paginate(ctx: Ctx, items: list[Json]) -> Answer:
    """One page of ``items`` as a plain array, with ``Link: <...page=n+1...>; rel="next"`` when
    more follow (absent on the last page)."""
    problems: list[tuple[str, str, str]] = []
    page = _positive(ctx.param("page"), 1, "page", problems)
    per_page = _positive(ctx.param("per_page"), DEFAULT_PER_PAGE, "per_page", problems)
    if per_page > MAX_PER_PAGE:
        problems.append(("per_page", f"It should be less than or equal to {MAX_PER_PAGE}", "invalid_value"))
    if problems:
        error = validation_failed(*problems)
        return error.status, error.payload, {}
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    headers: dict[str, str] = {}
    if start + per_page < len(items):
        query = [(k, v) for k, v in ctx.query if k not in ("page", "per_page")]
        query += [("page", str(page + 1)), ("per_page", str(per_page))]
        headers["Link"] = f'<{ctx.base_url}{ctx.path}?{urlencode(query)}>; rel="next"'
    return 200, chunk, headers


def _positive(raw: str | None, default: int, name: str, problems: list[tuple[str, str, str]]) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        problems.append((name, "It should be a/an Positive Integer", "datatype_mismatch"))
        return default
    return int(raw)


# ---------------------------------------------------------------------- handlers


def _object(ctx: Ctx) -> Json:
    if not isinstance(ctx.body, dict):
        raise validation_failed(("body", "The request body must be a JSON object", "datatype_mismatch"))
    return ctx.body


def _list_tickets(ctx: Ctx) -> Answer:
    items = ctx.fake.state.list_tickets(
        filter_name=ctx.param("filter"),
        updated_since=ctx.param("updated_since"),
        order_by=ctx.param("order_by") or "created_at",
        order_type=ctx.param("order_type") or "desc",
        include=checks.parse_include(ctx.param("include"), checks.LIST_INCLUDES),
        actor_id=ctx.agent_id,
    )
    return paginate(ctx, items)


def _create_ticket(ctx: Ctx) -> Answer:
    ticket = ctx.fake.state.create_ticket(_object(ctx), actor_id=ctx.agent_id, seeding=False)
    return 201, ticket, {"Location": f"{ctx.base_url}/api/v2/tickets/{ticket['id']}"}


def _show_ticket(ctx: Ctx) -> Answer:
    return (
        200,
        ctx.fake.state.get_ticket(ctx.ticket_id, include=checks.parse_include(ctx.param("include"))),
        {},
    )


def _update_ticket(ctx: Ctx) -> Answer:
    return 200, ctx.fake.state.update_ticket(ctx.ticket_id, _object(ctx), actor_id=ctx.agent_id), {}


def _delete_ticket(ctx: Ctx) -> Answer:
    ctx.fake.state.delete_ticket(ctx.ticket_id)
    return 204, None, {}


def _merge(ctx: Ctx) -> Answer:
    """``PUT /api/v2/tickets/merge`` (FD-docs lines 1718-1732): ``primary_id``, ``ticket_ids``
    (the secondaries: "IDs of tickets to be merged"; the reference's one example also lists the
    primary, and its 204 is kept here by leaving the primary out of the merge - Freshdesk's own
    code would load it as a source and close it, see :meth:`FreshdeskClient.merge`, so clients
    must not send it),
    ``note_in_primary`` and ``note_in_secondary`` (``{body, private}``; Freshdesk's validation
    requires both, its docs say a default note is added without them: the fake requires them,
    CONTRACTS.md §8), ``convert_recepients_to_cc``. 204."""
    body = _object(ctx)
    checks.no_undocumented_fields("PUT", "/api/v2/tickets/merge", body)
    primary, others = body.get("primary_id"), body.get("ticket_ids")
    problems = []
    if not isinstance(primary, int) or isinstance(primary, bool):
        problems.append(("primary_id", "It should be a/an Positive Integer", "missing_field"))
    if not isinstance(others, list) or not all(
        isinstance(t, int) and not isinstance(t, bool) for t in others
    ):
        problems.append(("ticket_ids", "It should be a/an Array of Positive Integer", "missing_field"))
    for name in ("note_in_primary", "note_in_secondary"):
        note = body.get(name)
        if not isinstance(note, dict) or not isinstance(note.get("body"), str) or not note["body"].strip():
            problems.append((name, "It should be a/an key/value pair with a body", "missing_field"))
    if problems:
        raise validation_failed(*problems)
    sources = [int(t) for t in dict.fromkeys(others)]  # type: ignore[arg-type]
    if not sources:  # UNVERIFIED: what Freshdesk answers to an empty list; the fake refuses it
        raise validation_failed(("ticket_ids", "There is no ticket to merge", "invalid_value"))
    ctx.fake.merge(
        primary,  # type: ignore[arg-type]
        sources,  # the primary too, when listed: closed like every source (Freshdesk's code)
        actor_id=ctx.agent_id,
        note_in_primary=body["note_in_primary"],
        note_in_secondary=body["note_in_secondary"],
    )
    return 204, None, {}


def _list_conversations(ctx: Ctx) -> Answer:
    return paginate(ctx, ctx.fake.state.list_conversations(ctx.ticket_id))


def _add_note(ctx: Ctx) -> Answer:
    return 201, ctx.fake.state.add_note(ctx.ticket_id, _object(ctx), actor_id=ctx.agent_id), {}


def _add_reply(ctx: Ctx) -> Answer:
    return 201, ctx.fake.state.add_reply(ctx.ticket_id, _object(ctx), actor_id=ctx.agent_id), {}


def _list_agents(ctx: Ctx) -> Answer:
    return paginate(ctx, ctx.fake.state.directory.list_agents())


def _show_me(ctx: Ctx) -> Answer:
    """``GET /api/v2/agents/me``: the agent the API key acts as, shaped as View an Agent
    (SECONDARY, see :meth:`serviceflow_freshdesk.client.FreshdeskClient.me`)."""
    return 200, ctx.fake.state.directory.get_agent(ctx.agent_id), {}


def _list_groups(ctx: Ctx) -> Answer:
    return paginate(ctx, ctx.fake.state.directory.list_groups())


def _show_group(ctx: Ctx) -> Answer:
    return 200, ctx.fake.state.directory.get_group(int(ctx.params["group_id"])), {}


def _show_company(ctx: Ctx) -> Answer:
    return 200, ctx.fake.state.directory.get_company(int(ctx.params["company_id"])), {}


def _show_email_config(ctx: Ctx) -> Answer:
    """Admin-only in Freshdesk (FD-docs lines 12745-12747); the fake answers every agent."""
    return 200, ctx.fake.state.directory.get_email_config(int(ctx.params["config_id"])), {}
