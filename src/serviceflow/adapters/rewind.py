"""A ticket's history, each event with the ticket as it was then: worked back from the ticket as
it is now through the ``changes`` (previous values) its later events record. Pure: no I/O.

Neutral ground: the durable shell's reconcile sweep and backfill, and the backtest (which
depends on no part of the durable shell), all read history through an adapter's
``ticket_history`` and rewind it here.
"""

from __future__ import annotations

from collections.abc import Sequence

from serviceflow.model import Priority, Ticket, TicketEvent, TicketStatus

__all__ = ["rewind", "undo"]


def undo(ticket: Ticket, changes: dict[str, str | None]) -> Ticket:
    """The ticket as it was before a change, given the change's previous values. Fields this
    module does not track, and values that are not valid for the field, are left as they are."""
    update: dict[str, object] = {}
    for name, previous in changes.items():
        if name == "status" and previous is not None and previous in set(TicketStatus):
            update["status"] = TicketStatus(previous)
        elif name == "priority" and previous is not None and previous in set(Priority):
            update["priority"] = Priority(previous)
        elif name in ("assignee", "group"):
            update[name] = previous or None
        elif name == "tags":
            update["tags"] = tuple((previous or "").split())
    return ticket.model_copy(update=update) if update else ticket


def rewind(current: Ticket, history: Sequence[TicketEvent]) -> list[TicketEvent]:
    """The history's events, oldest first, each carrying the ticket as it was right after it
    (worked back from ``current`` through the ``changes`` of later events) and marked
    ``reconciled``. The last one carries ``current`` itself, so a case that takes them all
    ends up with the ticket as it is now."""
    snapshot = current
    rewound: list[TicketEvent] = []
    for position, event in enumerate(reversed(history)):
        if position == 0:
            ticket = current
        else:
            stamp = max(event.time, snapshot.created_at)
            ticket = snapshot.model_copy(update={"updated_at": min(stamp, current.updated_at)})
        rewound.append(event.model_copy(update={"ticket": ticket, "reconciled": True}))
        snapshot = undo(snapshot, event.changes)
    rewound.reverse()
    return rewound
