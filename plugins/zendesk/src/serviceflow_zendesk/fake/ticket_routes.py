"""The fake Zendesk's ticket endpoints: tickets, comments, audits, tags, merges and the job
statuses a merge answers with, over :class:`~.state.FakeState`.

They go through the same pipeline as every other route (:mod:`.app`: OAS check, auth, rate
limit, injected faults and concurrent writers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pages import paginate
from .records import FakeApiError, Json

if TYPE_CHECKING:
    from .app import Answer, Ctx, Handler


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


TICKET_ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/api/v2/tickets", {"GET": _list_tickets, "POST": _create_ticket}),
    ("/api/v2/tickets/{ticket_id:int}", {"GET": _show_ticket, "PUT": _update_ticket}),
    ("/api/v2/tickets/{ticket_id:int}/comments", {"GET": _list_comments}),
    ("/api/v2/tickets/{ticket_id:int}/audits", {"GET": _list_audits}),
    (
        "/api/v2/tickets/{ticket_id:int}/tags",
        {"GET": _list_tags, "PUT": _add_tags, "POST": _set_tags, "DELETE": _remove_tags},
    ),
    ("/api/v2/tickets/{ticket_id:int}/merge", {"POST": _merge}),
    ("/api/v2/job_statuses/{job_status_id}", {"GET": _show_job_status}),
]
