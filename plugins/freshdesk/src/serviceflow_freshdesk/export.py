"""Freshdesk's history as a backtest reads it: tickets with all their conversations.

**The file** is JSON Lines (UTF-8, one JSON object per line, blank lines skipped); each line is
one ticket as ``GET /api/v2/tickets/{id}`` answers it (``include=requester`` welcome), with a
``conversations`` array holding **every** conversation of the ticket, as
``GET /api/v2/tickets/{id}/conversations`` answers them over all its pages (CONTRACTS.md §2.3:
``id, body, body_text, incoming, private, user_id, source, created_at, ...``). The ticket's own
``include=conversations`` is not enough for long tickets: it "will return up to ten
conversations sorted by created_at in ascending order ... In order to access more than ten
conversations belonging to a ticket, use the List All Conversations of a Ticket API"
(Freshdesk API reference, View a Ticket). A ticket is recognised by its integer ``status`` and
its ``conversations`` list.

**What it becomes.** The ticket's creation (by its requester, with ``description_text``), then
each conversation oldest first: ``incoming`` -> a customer message, ``private`` -> an internal
note, else an agent's reply. Its status over time comes from the ticket's ``stats`` when the
line has them (``GET /api/v2/tickets/{id}?include=stats``; see :mod:`.history` for what the
eight times are and what is UNVERIFIED): pending at ``pending_since``, solved at
``resolved_at``, closed at ``closed_at``, open again at ``reopened_at`` and the status it has
now at ``status_updated_at``, each a ``status_changed`` event at its time, and every
conversation carries the status of its time, so a pause (pending) between two conversations
pauses the targets that pause. Without ``stats``, one ``status_changed`` at its ``updated_at``
when the ticket is no longer open, and the ticket reads as open until then (a pause in between
is not seen). Freshdesk's v2 ticket keeps no history of its assignee or fields, so a backtest
sees those as they are now on every event. Event ids are ``created:{ticket}``,
``conversation:{id}``, ``status:{ticket}:{status}:{time}`` (from ``stats``) and
``status:{ticket}`` (without).

**Refused, with the line:** a record that does not validate as a ticket (the field is named), a
ticket without ``conversations``, a conversation without ``created_at``, and the same ticket on
two lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, ValidationError

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.formats import Record
from serviceflow.backtest.neutral import first_problem
from serviceflow.model import Actor, ActorRole, EventKind, TicketEvent, TicketStatus
from serviceflow.model import Ticket as NeutralTicket

from . import codes, convert
from .history import status_steps
from .models import Conversation, Ticket

#: The account when the user names none (a Freshdesk ticket does not name its domain).
DEFAULT_ACCOUNT = "export"


class DatedConversation(Conversation):
    created_at: AwareDatetime  # type: ignore[assignment]  # required here: events need a time


class ExportedTicket(Ticket):
    created_at: AwareDatetime  # type: ignore[assignment]
    updated_at: AwareDatetime  # type: ignore[assignment]
    conversations: tuple[DatedConversation, ...]


class FreshdeskExport:
    """The format (see the module docstring)."""

    name = "freshdesk-tickets"
    vendor = codes.VENDOR
    description = "Freshdesk tickets, each with its conversations, one per line"

    def recognises(self, record: Mapping[str, Any]) -> bool:
        return (
            isinstance(record.get("conversations"), list)
            and isinstance(record.get("status"), int)
            and "tickets" not in record
        )

    def read(self, records: Iterable[Record], *, account: str | None) -> Iterator[TicketEvent]:
        seen: dict[int, int] = {}
        for record in records:
            try:
                exported = ExportedTicket.model_validate(record.data)
            except ValidationError as exc:
                raise ExportError(
                    f"not a Freshdesk ticket with conversations: {first_problem(exc)}", line=record.line
                ) from None
            if exported.id in seen:
                raise ExportError(
                    f"ticket {exported.id} again (first on line {seen[exported.id]}): one line per ticket",
                    line=record.line,
                )
            seen[exported.id] = record.line
            try:
                events = list(_events(exported, account or DEFAULT_ACCOUNT))
            except ValidationError as exc:  # a value no case could hold (an id too long...)
                raise ExportError(
                    f"ticket {exported.id} cannot be read: {first_problem(exc)}", line=record.line
                ) from None
            yield from events


def _events(exported: ExportedTicket, account: str) -> Iterator[TicketEvent]:
    plain = Ticket.model_validate(
        {
            **exported.model_dump(exclude={"conversations"}),
            "created_at": exported.created_at.isoformat(),
            "updated_at": exported.updated_at.isoformat(),
        }
    )
    final = convert.ticket_from_api(plain, account=account)
    opened = final.model_copy(update={"status": TicketStatus.OPEN})
    steps = status_steps(
        (exported.model_extra or {}).get("stats"), final, [c.created_at for c in exported.conversations]
    )

    def status_at(at: datetime) -> TicketStatus:
        return next((to for when, _, to in reversed(steps) if when < at), TicketStatus.OPEN)

    requester = final.requester.id
    yield TicketEvent(
        id=f"created:{exported.id}",
        kind=EventKind.CREATED,
        time=exported.created_at,
        actor=Actor(id=requester, role=ActorRole.CUSTOMER),
        ticket=opened.model_copy(update={"updated_at": exported.created_at}),
        body=exported.description_text or "",
        public=True,
    )
    last = exported.created_at
    pending = list(steps)
    for conversation in sorted(exported.conversations, key=lambda c: (c.created_at, c.id)):
        at = max(conversation.created_at, exported.created_at)
        while pending and pending[0][0] < at:  # a status change before it, at its own time
            yield _status_event(exported.id, final, *pending.pop(0))
        last = max(last, at)
        author = convert.sid(conversation.user_id)
        if conversation.incoming:
            kind, role = EventKind.CUSTOMER_MESSAGE, ActorRole.CUSTOMER
        elif conversation.private:
            kind, role = EventKind.INTERNAL_NOTE, ActorRole.AGENT
        else:
            kind, role = EventKind.AGENT_REPLY, ActorRole.AGENT
        yield TicketEvent(
            id=f"conversation:{conversation.id}",
            kind=kind,
            time=at,
            actor=Actor(id=author or (requester if role is ActorRole.CUSTOMER else None), role=role),
            ticket=opened.model_copy(update={"updated_at": at, "status": status_at(at)}),
            body=conversation.body_text or "",
            public=not conversation.private,
        )
    for step in pending:
        yield _status_event(exported.id, final, *step)
    if not steps and final.status is not TicketStatus.OPEN:
        at = max(exported.updated_at, last)
        yield TicketEvent(
            id=f"status:{exported.id}",
            kind=EventKind.STATUS_CHANGED,
            time=at,
            actor=Actor(id=final.assignee, role=ActorRole.AGENT),
            ticket=final.model_copy(update={"updated_at": at}),
            changes={"status": TicketStatus.OPEN.value},
        )


def _status_event(
    ticket_id: int, final: NeutralTicket, at: datetime, before: TicketStatus, to: TicketStatus
) -> TicketEvent:
    """One status change of ``stats``, with the ticket as it was then (its fields as now)."""
    return TicketEvent(
        id=f"status:{ticket_id}:{to.value}:{at.isoformat()}",
        kind=EventKind.STATUS_CHANGED,
        time=at,
        actor=Actor(role=ActorRole.SYSTEM),
        ticket=final.model_copy(update={"updated_at": at, "status": to}),
        changes={"status": before.value},
    )


EXPORT = FreshdeskExport()
