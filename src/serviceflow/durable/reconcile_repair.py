"""What a reconcile sweep delivers to a case: the events its ticket went through that the case
never heard of (a lost webhook), at their real times. Pure: no I/O, no clock.

The case de-duplicates on event ids, and a helpdesk's history and its webhooks name one change
by different ids, so "never heard of" is decided by time: the case holds the ticket as of the
last event it took (``state.ticket.updated_at``); every change recorded after that is missed.
Each repair event is marked ``reconciled`` and has an id that is the same on every sweep
(``reconcile:...`` for what is worked out from the ticket's fields, the helpdesk's own for a
history event), so a ticket looked at twice is repaired once. The history is rewound (each
event with the ticket as it was then) by :func:`serviceflow.adapters.rewind.rewind`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from serviceflow.adapters.rewind import rewind
from serviceflow.model import (
    Actor,
    ActorRole,
    CaseState,
    EventKind,
    Ticket,
    TicketEvent,
    TicketStatus,
)

#: Ticket statuses under which a ticket with no case is left alone (nothing to serve).
DONE = (TicketStatus.SOLVED, TicketStatus.CLOSED)
#: The ticket fields a repair compares, and the event kind a change of each one is.
TRACKED: dict[str, EventKind] = {
    "status": EventKind.STATUS_CHANGED,
    "assignee": EventKind.ASSIGNED,
    "group": EventKind.ASSIGNED,
    "priority": EventKind.FIELDS_CHANGED,
    "tags": EventKind.FIELDS_CHANGED,
}


class RepairKind(StrEnum):
    """What a sweep did for one ticket (the ``repair`` label of the metrics)."""

    OPENED = "opened"  # a ticket with no case got one
    CAUGHT_UP = "caught_up"  # a case got the events it missed
    ENDED = "ended"  # the ticket is closed or gone: the case was told, and ends
    UNCHANGED = "unchanged"  # the case knew everything already
    DEFERRED = "deferred"  # changed too recently: its webhook may be on its way; looked at later


@dataclass(frozen=True)
class Repair:
    kind: RepairKind
    events: tuple[TicketEvent, ...] = ()


def field_value(ticket: Ticket, name: str) -> str | None:
    """A tracked field as a webhook's ``changes`` spells it (tags space-separated)."""
    value = getattr(ticket, name)
    if name == "tags":
        return " ".join(value)
    if isinstance(value, StrEnum):
        return value.value
    return value  # type: ignore[no-any-return]


def created_event(ticket: Ticket) -> TicketEvent:
    """The creation of a ticket whose history is not available: at its real creation time, by
    its requester, with the ticket as it is now."""
    return TicketEvent(
        id=f"reconcile:{ticket.key}:created",
        kind=EventKind.CREATED,
        time=ticket.created_at,
        actor=Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER),
        ticket=ticket,
        reconciled=True,
    )


def field_events(known: Ticket, ticket: Ticket, covered: set[str], *, catch_up: bool) -> list[TicketEvent]:
    """Events for the tracked fields that differ between what the case knows and the ticket
    now, except those a history event already covers; with ``catch_up``, one ``fields_changed``
    event with no changes when no tracked field differs (only the subject or custom fields
    moved), so the case's ticket is the helpdesk's again. Each is at the ticket's
    ``updated_at`` (when it last changed: the best time the fields alone tell), by the helpdesk
    (``system``: who made the change is not known)."""
    stamp = ticket.updated_at.isoformat()
    by_kind: dict[EventKind, dict[str, str | None]] = {}
    for name, kind in TRACKED.items():
        if name in covered:
            continue
        before, after = field_value(known, name), field_value(ticket, name)
        if before != after:
            by_kind.setdefault(kind, {})[name] = before
    if not by_kind and catch_up:
        by_kind[EventKind.FIELDS_CHANGED] = {}
    return [
        TicketEvent(
            id=f"reconcile:{ticket.key}:{kind.value}:{stamp}",
            kind=kind,
            time=ticket.updated_at,
            actor=Actor(role=ActorRole.SYSTEM),
            ticket=ticket,
            changes=changes,
            reconciled=True,
        )
        for kind, changes in by_kind.items()
    ]


def repair(state: CaseState | None, ticket: Ticket, history: Sequence[TicketEvent] | None) -> Repair:
    """What to deliver so the case catches up with ``ticket`` (as the helpdesk has it now).

    Args:
        state: the case as it is (its last run's, when it has ended), or None when there is none.
        ticket: the ticket now.
        history: the ticket's history (:class:`~serviceflow.adapters.TicketHistory`), or None
            when the helpdesk cannot tell it: then what changed is worked out from the fields.
    """
    ended = ticket.status is TicketStatus.CLOSED
    if state is None:
        if ticket.status in DONE:
            return Repair(RepairKind.UNCHANGED)
        events = rewind(ticket, history) if history else []
        if not events or events[0].kind is not EventKind.CREATED:
            events.insert(0, created_event(events[0].ticket if events else ticket))
        return Repair(RepairKind.OPENED, tuple(events))
    since = state.ticket.updated_at
    if ticket.updated_at <= since or (state.closed_at is not None and ticket.status in DONE):
        return Repair(RepairKind.UNCHANGED)
    seen = set(state.seen_events)
    after = [e for e in rewind(ticket, history or ()) if e.time > since]
    missed = [e for e in after if e.id not in seen]
    covered = {name for event in after for name in event.changes}  # seen ones too: told already
    missed.extend(field_events(state.ticket, ticket, covered, catch_up=not after))
    if not missed:
        return Repair(RepairKind.UNCHANGED)
    return Repair(RepairKind.ENDED if ended else RepairKind.CAUGHT_UP, tuple(missed))


def gone(state: CaseState, now: datetime) -> Repair:
    """The ticket is gone from the helpdesk (deleted, merged away): a closing event ends the case."""
    stamp = max(now, state.ticket.updated_at)
    ticket = state.ticket.model_copy(update={"status": TicketStatus.CLOSED, "updated_at": stamp})
    event = TicketEvent(
        id=f"reconcile:{ticket.key}:gone",
        kind=EventKind.STATUS_CHANGED,
        time=stamp,
        actor=Actor(role=ActorRole.SYSTEM),
        ticket=ticket,
        changes={"status": state.ticket.status.value},
        body="the ticket is gone from the helpdesk",
        reconciled=True,
    )
    return Repair(RepairKind.ENDED, (event,))
