"""A Freshdesk ticket's history, for the reconcile sweep and the backfill: its creation and its
conversations as vendor-neutral events.

``GET /api/v2/tickets/[id]/conversations``, "List All Conversations of a Ticket": "Returns all
conversations (replies + notes) for a ticket. Paginated." — a JSON array of ``{id, body,
body_text, incoming, private, user_id, source, ticket_id, created_at, ...}`` (CONTRACTS.md §2.3;
the FD-docs reference this plugin cites, ktsaou/freshdesk_mcp ``FRESHDESK_API_DOCS.txt``; the
ticket's ``include=conversations`` "returns up to ten conversations sorted by created_at in
ascending order ... For more than ten conversations, use the List All Conversations of a
Ticket API"). Read with the client's page-following (``page``/``per_page``, ``Link``).

**Status history**: the ticket is read with ``include=stats`` (one more credit: "Each include
will consume an additional credit", FD-docs line 938). View a Ticket documents that it "Will
return the ticket's closed_at, resolved_at and first_responded_at time" (FD-docs line 950);
the Freshdesk SDK's ``Stats`` model names all eight fields, among them ``status_updated_at``,
``pending_since`` and ``reopened_at`` (developers.freshworks.com/freshdesk-sdk/docs/Stats.html).
Each is the **latest** such change: the reference gives no semantics, but Freshdesk's own ticket
model sets them on every status change, ``ticket_states.pending_since=Time.zone.now if (status ==
PENDING)``, ``set_resolved_at_state if (status == RESOLVED)``, ``set_closed_at_state if closed?``,
``opened_at=Time.zone.now`` when ``reopened_now?`` (which also calls ``reset_tkt_states``), and
``status_updated_at = Time.zone.now`` (``Helpdesk::Ticket#update_ticket_states``, SECONDARY:
stored copies of Freshdesk's code, code-index ids 5888138195 and 3530943226), and its API's
``stats`` are those fields (``reopened_at: ticket_states.opened_at``, code-index 12581048448;
verify11, 2026-12-04):
the status changes they imply (pending at ``pending_since``, solved at ``resolved_at``, closed
at ``closed_at``, open again at ``reopened_at``, and the status the ticket has now at
``status_updated_at``) become ``status_changed`` events, oldest first, each with the status
before it in ``changes``, so a pause (pending) between two conversations shows where it was,
not at the ticket's ``updated_at``. Earlier changes of the same kind (a ticket pending twice)
are not in ``stats`` and stay unseen. Freshdesk's account-wide Ticket Activities export
(``GET /api/v2/export/ticket_activities?created_at=YYYY-MM-DD``: a link to a day's
``activities_data``, each ``{ticket_id, performed_at, performer_id, activity: {status: ...}}``)
would give every change, but it is not in the API reference (only in Freshdesk's own routes
and third-party connectors), needs the scheduled export switched on by an admin, and is a day
of the whole account per call: UNVERIFIED and not used.

Conversations carry no field changes: an assignee change is not in this history (the reconcile
sweep works it out from the ticket's fields; a backfilled case sees the ticket's assignee as it
is now). An ``incoming`` conversation is the customer's, a ``private`` one a note, any other an
agent's reply; the integration's own (``user_id`` is its agent) is serviceflow's. Ids:
``freshdesk:{ticket}:created``, ``freshdesk-conversation:{id}`` and
``freshdesk-status:{ticket}:{status}:{time}``, the same on every read. Only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from serviceflow.adapters import Identity, TicketHistory
from serviceflow.adapters.records import HISTORY_LIMIT
from serviceflow.model import Actor, ActorRole, EventKind, Ticket, TicketEvent, TicketStatus

from . import actions, convert
from .models import Conversation

if TYPE_CHECKING:
    from .adapter import FreshdeskAdapter


class TicketStats(BaseModel):
    """The times of ``include=stats`` a status history is made of (the others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status_updated_at: str | None = None
    pending_since: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    reopened_at: str | None = None


#: Which status each time of ``stats`` is a move to.
_MOVES = (
    ("pending_since", TicketStatus.PENDING),
    ("resolved_at", TicketStatus.SOLVED),
    ("closed_at", TicketStatus.CLOSED),
    ("reopened_at", TicketStatus.OPEN),
)


def status_steps(
    stats: Mapping[str, Any] | None, ticket: Ticket, conversations: Iterable[datetime] = ()
) -> list[tuple[datetime, TicketStatus, TicketStatus]]:
    """The status changes ``stats`` implies, oldest first: (when, from, to), from open at the
    ticket's creation to the status it has now at ``status_updated_at``. None or unreadable
    stats, or no ``status_updated_at``, give none (the history then has no status changes).

    ``stats`` keeps only the latest time of each kind, so a pause that ended before the next of
    them (pending at 10:00, open again at 12:00, solved two days later) would read as lasting
    until then. A pending stretch that ``stats`` next shows solved or closed (not open again, whose
    time it gives) therefore ends, open again, at the first of ``conversations`` (their times)
    inside it: a reply or note on a pending ticket is taken as the end of its wait (UNVERIFIED:
    Freshdesk documents no such rule for every account; it bounds the pause by what is known to
    have happened, never longer).
    """
    try:
        found = TicketStats.model_validate(stats) if isinstance(stats, Mapping) else None
    except ValidationError:
        found = None
    if found is None or found.status_updated_at is None:
        return []
    last = _at(found.status_updated_at, ticket)
    if last is None:
        return []
    moves = [(t, status) for name, status in _MOVES if (t := _at(getattr(found, name), ticket)) and t < last]
    moves.sort(key=lambda m: m[0])
    moves.append((last, ticket.status))  # the change that left the status it has now
    moves = _pauses_ended(moves, sorted(conversations))
    steps, status = [], TicketStatus.OPEN
    for at, to in moves:
        if to is not status:
            steps.append((at, status, to))
            status = to
    return steps


def _pauses_ended(
    moves: list[tuple[datetime, TicketStatus]], conversations: list[datetime]
) -> list[tuple[datetime, TicketStatus]]:
    """``moves`` with a move back to open at the first conversation inside each pending stretch."""
    ended: list[tuple[datetime, TicketStatus]] = []
    for index, (at, status) in enumerate(moves):
        ended.append((at, status))
        if status is not TicketStatus.PENDING or index + 1 == len(moves):
            continue
        following, then = moves[index + 1]
        if then is TicketStatus.OPEN:
            continue  # open again at a time stats gives: known, not guessed
        inside = next((c for c in conversations if at < c < following), None)
        if inside is not None:
            ended.append((inside, TicketStatus.OPEN))
    return ended


def _at(value: str | None, ticket: Ticket) -> datetime | None:
    """A time of ``stats`` within the ticket's life (creation to last update), else None."""
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value else None
    except ValueError:
        return None  # not a time: not a guess either
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return min(at, ticket.updated_at) if at >= ticket.created_at else None


def status_events(
    stats: Mapping[str, Any] | None, ticket: Ticket, conversations: Iterable[datetime] = ()
) -> list[TicketEvent]:
    """The ``status_changed`` events of :func:`status_steps` (``ticket``: the ticket now; core
    rewinds it through each event's ``changes``). By the helpdesk: who changed it is not known."""
    return [
        TicketEvent(
            id=f"freshdesk-status:{ticket.id}:{to.value}:{at.isoformat()}",
            kind=EventKind.STATUS_CHANGED,
            time=at,
            actor=Actor(role=ActorRole.SYSTEM),
            ticket=ticket,
            changes={"status": before.value},
        )
        for at, before, to in status_steps(stats, ticket, conversations)
    ]


def conversation_event(conversation: Conversation, ticket: Ticket, identity: Identity) -> TicketEvent:
    """One conversation as the event a case takes (``ticket``: the ticket now; core rewinds)."""
    author = convert.sid(conversation.user_id)
    if author is not None and identity.is_actor(actor_id=author):
        kind = EventKind.INTERNAL_NOTE if conversation.private else EventKind.AGENT_REPLY
        actor = Actor(id=author, role=ActorRole.SERVICEFLOW, name=identity.name)
    elif conversation.incoming:
        kind, actor = (
            EventKind.CUSTOMER_MESSAGE,
            Actor(id=author or ticket.requester.id, role=ActorRole.CUSTOMER),
        )
    elif conversation.private:
        kind, actor = EventKind.INTERNAL_NOTE, Actor(id=author, role=ActorRole.AGENT)
    else:
        kind, actor = EventKind.AGENT_REPLY, Actor(id=author, role=ActorRole.AGENT)
    return TicketEvent(
        id=f"freshdesk-conversation:{conversation.id}",
        kind=kind,
        time=convert.timestamp(conversation.created_at, default=ticket.updated_at),
        actor=actor,
        ticket=ticket,
        body=conversation.body_text or "",
        public=not conversation.private,
    )


def history_of(
    conversations: Iterable[Conversation],
    ticket: Ticket,
    identity: Identity,
    *,
    description: str = "",
    stats: Mapping[str, Any] | None = None,
) -> TicketHistory:
    """The creation (by the requester, at ``created_at``), the conversations and the status
    changes ``stats`` implies, oldest first (a status change after a conversation at the same
    instant)."""
    created = TicketEvent(
        id=f"freshdesk:{ticket.id}:created",
        kind=EventKind.CREATED,
        time=ticket.created_at,
        actor=Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER),
        ticket=ticket,
        body=description,
    )
    events = [conversation_event(c, ticket, identity) for c in conversations]
    events.extend(status_events(stats, ticket, [e.time for e in events]))
    events.sort(key=lambda e: e.time)
    complete = len(events) < HISTORY_LIMIT
    return TicketHistory(events=(created, *events[: HISTORY_LIMIT - 1]), complete=complete)


async def ticket_history(
    adapter: FreshdeskAdapter, account: str, ticket_id: str, *, identity: Identity
) -> TicketHistory:
    """``GET /api/v2/tickets/{id}?include=stats`` (2 credits), then its conversations, every
    page. A 404 is ``TicketGone`` (the client's mapping)."""
    settings = adapter.checked(account)
    client = adapter.client(settings)
    number = actions.numeric_id(ticket_id, "ticket")
    raw = await client.get_ticket(number, include=("stats",))
    ticket = convert.ticket_from_api(raw, account=settings.account, overrides=settings.custom_statuses)
    conversations: list[Conversation] = []
    async for conversation in client.list_conversations(number):
        conversations.append(conversation)
        if len(conversations) >= HISTORY_LIMIT:
            break
    stats = (raw.model_extra or {}).get("stats")
    return history_of(conversations, ticket, identity, description=raw.description_text or "", stats=stats)
