"""What the fake Freshdesk's account tells its listeners: one :class:`TicketChange` per action
on a ticket (the webhook layer turns it into deliveries), and whom a note notified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .records import Json

ChangeKind = Literal["created", "updated", "note", "reply", "customer_reply"]


@dataclass(frozen=True)
class TicketChange:
    """What one action did to one ticket; the webhook layer turns it into deliveries.

    Attributes:
        ticket_id: The ticket.
        kind: ``created``, ``updated`` (fields), ``note``, ``reply`` (an agent's) or
            ``customer_reply``.
        before: The ticket before; None when created.
        after: The ticket after.
        conversation: The note or reply the action added, if any.
        actor_id: The agent or contact who acted.
    """

    ticket_id: int
    kind: ChangeKind
    before: Json | None
    after: Json
    conversation: Json | None = None
    actor_id: int | None = None


ChangeListener = Callable[[TicketChange], None]


@dataclass(frozen=True)
class Notified:
    """Who Freshdesk would email about a note: its ``notify_emails`` (stored as ``to_emails``).

    Attributes:
        ticket_id: The ticket.
        note_id: The note.
        emails: The addresses, as the note named them.
        author_id: Who wrote the note.
    """

    ticket_id: int
    note_id: int
    emails: tuple[str, ...]
    author_id: int
