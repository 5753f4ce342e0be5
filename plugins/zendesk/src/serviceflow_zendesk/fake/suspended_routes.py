"""The fake Zendesk's Suspended Tickets endpoints, over :class:`~.suspended.SuspendedQueue`.

They go through the same pipeline as every other route (OAS check, auth, rate limit, injected
faults), so a 429 or 5xx can be injected on them with ``fail_next(path="/api/v2/suspended_tickets*")``.

Response shapes: List is SuspendedTicketsResponse with cursor pagination. Show answers
``{"suspended_ticket": {...}}``, the shape Zendesk's client libraries read (node-zendesk,
PwshZendesk); the OAS reuses the list schema there, which the object still satisfies. Single
recover answers ``{"ticket": [...]}`` (200) and ``{"ticket": [suspended]}`` (422), as the OAS
schemas and examples say; recover_many answers ``{"tickets": [...]}``, and when a recovery
fails, 422 with ``{"suspended_tickets": [failures]}`` as the single-recover description says of
failed recoveries (FAKE'S CHOICE: the OAS documents no 422 for recover_many).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pages import paginate
from .records import FakeApiError
from .suspended import sort_key

if TYPE_CHECKING:
    from .app import Answer, Ctx, Handler

#: "Accepts up to 100 ids" (OAS RecoverSuspendedTickets, DeleteSuspendedTickets).
MAX_IDS = 100


def _list(ctx: Ctx) -> Answer:
    params = dict(ctx.info.query)
    sort_by = params.get("sort_by")
    order = params.get("sort_order", "asc")
    if order not in ("asc", "desc"):
        raise FakeApiError(400, "InvalidParameter", f"sort_order must be asc or desc; got {order!r}")
    descending = order == "desc"
    items = ctx.fake.suspended.listing(sort_by=sort_by, descending=descending)
    page = paginate(
        items,
        key="suspended_tickets",
        query=ctx.info.query,
        url=ctx.url("/api/v2/suspended_tickets.json"),
        descending=descending,
        sort_key=sort_key(sort_by) if sort_by is not None else None,
    )
    return 200, page, {}


def _show(ctx: Ctx) -> Answer:
    return 200, {"suspended_ticket": ctx.fake.suspended.get(int(ctx.params["id"]))}, {}


def _delete(ctx: Ctx) -> Answer:
    ctx.fake.suspended.delete([int(ctx.params["id"])])
    return 204, None, {}


def _recover(ctx: Ctx) -> Answer:
    """The calling agent becomes the requester (OAS RecoverSuspendedTicket note)."""
    done = ctx.fake.suspended.recover([int(ctx.params["id"])], actor_id=ctx.actor["id"], requester="actor")
    if done.failed:
        return 422, {"ticket": list(done.failed)}, {}
    return 200, {"ticket": list(done.tickets)}, {}


def _recover_many(ctx: Ctx) -> Answer:
    """The author stays the requester; failures (if any) make the answer a 422 listing them."""
    done = ctx.fake.suspended.recover(_ids(ctx), actor_id=ctx.actor["id"], requester="author")
    if done.failed:
        return 422, {"suspended_tickets": list(done.failed)}, {}
    return 200, {"tickets": list(done.tickets)}, {}


def _destroy_many(ctx: Ctx) -> Answer:
    ctx.fake.suspended.delete(_ids(ctx))
    return 204, None, {}


def _ids(ctx: Ctx) -> list[int]:
    """The required ``ids`` query parameter: comma-separated suspended ticket ids, at most 100."""
    raw = dict(ctx.info.query).get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise FakeApiError(
            400, "InvalidParameter", f"ids must be comma-separated integers; got {raw!r}"
        ) from exc
    if not ids:
        raise FakeApiError(400, "InvalidParameter", "ids is required: a comma-separated list of ids")
    if len(ids) > MAX_IDS:
        raise FakeApiError(400, "InvalidParameter", f"ids accepts at most {MAX_IDS} ids")
    return ids


#: (path, handlers) rows for :func:`~.app.build_app`; literal paths before ``{id}``.
SUSPENDED_ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/api/v2/suspended_tickets", {"GET": _list}),
    ("/api/v2/suspended_tickets/recover_many", {"PUT": _recover_many}),
    ("/api/v2/suspended_tickets/destroy_many", {"DELETE": _destroy_many}),
    ("/api/v2/suspended_tickets/{id:int}", {"GET": _show, "DELETE": _delete}),
    ("/api/v2/suspended_tickets/{id:int}/recover", {"PUT": _recover}),
]
