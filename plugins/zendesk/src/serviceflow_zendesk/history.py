"""A Zendesk ticket's history, for the reconcile sweep and the backfill: its audits as
vendor-neutral events.

``GET /api/v2/tickets/{ticket_id}/audits`` (OAS ListAuditsForTicket, "Allowed for: Agents",
"Cursor pagination (recommended)", at most 100 records a page; TicketAuditObject: ``id``,
``author_id``, ``created_at``, ``events``). Each audit is one save of the ticket: its ``events``
hold a ``Comment`` (``author_id``, ``body``, ``public``), ``Create`` events (the fields set when
the ticket was created) and ``Change`` events (``field_name``, ``value``, ``previous_value``;
the OAS example TicketAuditsForTicketResponseExample). The oldest audit is the creation.

Ids are ``zendesk-audit:{audit id}`` for the creation and ``zendesk-audit:{audit id}:{event
id}`` otherwise: the same on every read. Only reads: nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from serviceflow.adapters import Identity, TicketHistory
from serviceflow.adapters.records import HISTORY_LIMIT
from serviceflow.errors import describe_validation
from serviceflow.model import Actor, ActorRole, EventKind, Ticket, TicketEvent

from . import actions, convert
from .errors import UnexpectedResponse

if TYPE_CHECKING:
    from .adapter import ZendeskAdapter

#: Change events' field names (TicketObject fields) -> the case's field and the event kind.
FIELDS: dict[str, tuple[str, EventKind]] = {
    "status": ("status", EventKind.STATUS_CHANGED),
    "assignee_id": ("assignee", EventKind.ASSIGNED),
    "group_id": ("group", EventKind.ASSIGNED),
    "priority": ("priority", EventKind.FIELDS_CHANGED),
    "tags": ("tags", EventKind.FIELDS_CHANGED),
}


class Audit(BaseModel):
    """One audit as the history reads it (OAS TicketAuditObject; unknown fields kept)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: int
    created_at: str
    author_id: int | None = None
    events: list[dict[str, Any]] = Field(default_factory=list, max_length=1_000)


def _previous(field: str, value: Any) -> str | None:
    """A Change event's ``previous_value`` as the event's ``changes`` keep it. Status and
    priority are strings in Zendesk's audits (OAS TicketAuditObject's Change events); anything
    else there (a list, a number: a clean clone's property test found ``[None]``) reads as no
    value, never a crash of the history read."""
    if field in ("status", "priority") and not isinstance(value, str):
        value = None
    if field == "status":
        return convert.status(value).value if value else None
    if field == "priority":
        return convert.priority(value).value
    if field == "tags":
        return " ".join(str(t) for t in value) if isinstance(value, list) else (str(value) if value else "")
    return convert.sid(value)


def _actor(author_id: Any, ticket: Ticket, identity: Identity) -> Actor:
    author = convert.sid(author_id)
    if author is None or author == "-1":
        return Actor(id=author, role=ActorRole.SYSTEM)
    if identity.is_actor(actor_id=author):
        return Actor(id=author, role=ActorRole.SERVICEFLOW, name=identity.name)
    role = ActorRole.CUSTOMER if author == ticket.requester.id else ActorRole.AGENT
    return Actor(id=author, role=role)


def audit_events(audit: Audit, ticket: Ticket, identity: Identity, *, first: bool) -> list[TicketEvent]:
    """The events of one audit, in the order a webhook subscriber would have had them: the
    creation (``first``) or the comment, then one event per kind of change. Each carries
    ``ticket`` (the ticket now; core rewinds it)."""
    time = convert.timestamp(audit.created_at, default=ticket.updated_at)
    saved_by = _actor(audit.author_id, ticket, identity)
    found: list[TicketEvent] = []
    comment = next((e for e in audit.events if e.get("type") == "Comment"), None)
    changes: dict[EventKind, dict[str, str | None]] = {}
    for event in audit.events:
        name = event.get("field_name")
        if event.get("type") == "Change" and isinstance(name, str) and name in FIELDS:
            field, kind = FIELDS[name]
            changes.setdefault(kind, {})[field] = _previous(name, event.get("previous_value"))
    base = f"zendesk-audit:{audit.id}"
    if first:
        author = _actor(comment.get("author_id"), ticket, identity) if comment else saved_by
        body = str(comment.get("body") or "") if comment else ""
        found.append(
            TicketEvent(id=base, kind=EventKind.CREATED, time=time, actor=author, ticket=ticket, body=body)
        )
    elif comment is not None:
        found.append(_comment(comment, base, time, ticket, identity))
    for kind, changed in changes.items():
        found.append(
            TicketEvent(
                id=f"{base}:{kind.value}",
                kind=kind,
                time=time,
                actor=saved_by,
                ticket=ticket,
                changes=changed,
            )
        )
    return found


def _comment(
    comment: Mapping[str, Any], base: str, time: Any, ticket: Ticket, identity: Identity
) -> TicketEvent:
    """As the webhook parser tells a comment: the requester's is a customer message, a staff
    member's public one a reply, a private one a note; the integration's own is serviceflow's."""
    actor = _actor(comment.get("author_id"), ticket, identity)
    public = comment.get("public")
    if actor.role is ActorRole.CUSTOMER:
        kind = EventKind.CUSTOMER_MESSAGE
    elif public is False:
        kind = EventKind.INTERNAL_NOTE
    else:
        kind = EventKind.AGENT_REPLY
    return TicketEvent(
        id=f"{base}:{comment.get('id')}",
        kind=kind,
        time=time,
        actor=actor,
        ticket=ticket,
        body=str(comment.get("body") or ""),
        public=public if isinstance(public, bool) else None,
    )


def history_of(audits: Iterable[Audit], ticket: Ticket, identity: Identity) -> TicketHistory:
    """A ticket's audits (oldest first) as its :class:`~serviceflow.adapters.TicketHistory`,
    cut at :data:`~serviceflow.adapters.records.HISTORY_LIMIT` events."""
    events: list[TicketEvent] = []
    for position, audit in enumerate(audits):
        found = audit_events(audit, ticket, identity, first=position == 0)
        if len(events) + len(found) > HISTORY_LIMIT:
            return TicketHistory(events=tuple(events), complete=False)
        events.extend(found)
    return TicketHistory(events=tuple(events))


async def ticket_history(
    adapter: ZendeskAdapter, account: str, ticket_id: str, *, identity: Identity
) -> TicketHistory:
    """ShowTicket, then ListAuditsForTicket page by page (the client's cursor pagination,
    CONTRACTS.md §1.4), read into a history. A 404 is ``TicketGone`` (the client's mapping)."""
    settings = adapter.checked(account)
    client = adapter.client(settings)
    number = actions.numeric_id(ticket_id, "ticket")
    ticket = convert.ticket_from_api(await client.get_ticket(number), account=settings.account)
    audits: list[Audit] = []
    async for item in client._cursor(f"/api/v2/tickets/{number}/audits", "audits", [], number):
        try:
            audits.append(Audit.model_validate(item))
        except ValidationError as exc:
            raise UnexpectedResponse(
                f"Zendesk GET /api/v2/tickets/{number}/audits: an audit is not valid: "
                f"{describe_validation(exc)}"  # the field, never a customer's text
            ) from None
        if len(audits) > HISTORY_LIMIT:
            break
    return history_of(sorted(audits, key=lambda a: (a.created_at, a.id)), ticket, identity)
