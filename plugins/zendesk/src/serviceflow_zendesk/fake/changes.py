"""What one write did to the fake Zendesk's tickets, as the event echo sees it.

The state (:mod:`.state`) hands every change to its listeners; the webhook dispatcher
(:mod:`.webhooks`) is the listener that turns a change into signed deliveries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .records import Json

__all__ = ["ChangeListener", "TicketChange"]


@dataclass(frozen=True)
class TicketChange:
    """What one action did to one ticket; the webhook layer turns it into deliveries.

    Attributes:
        ticket_id: The ticket.
        kind: ``created``, ``updated`` or ``merged`` (this ticket was merged away).
        before: The ticket before the action; None when created.
        after: The ticket after the action.
        comments: Comments the action added.
        actor_id: The user who acted.
        merged_into: The target ticket when ``kind == "merged"``.
    """

    ticket_id: int
    kind: Literal["created", "updated", "merged"]
    before: Json | None
    after: Json
    comments: tuple[Json, ...] = ()
    actor_id: int | None = None
    merged_into: int | None = None


ChangeListener = Callable[[TicketChange], None]
