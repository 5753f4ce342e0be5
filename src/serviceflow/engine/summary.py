"""The case summary a person reads when a repeat contact joins a case: the customer never
repeats the story."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from serviceflow.engine.people import name_of, requester_name
from serviceflow.model import CaseState, Roster, TargetKind, TargetStatus

_STEP_TYPES = ("add_internal_note", "add_public_reply", "set_status", "merge_tickets")


def _when(moment: datetime | None, zone: ZoneInfo | None) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(zone) if zone else moment
    return local.strftime("%a %d %b %Y %H:%M %Z").strip()


def case_summary(state: CaseState, *, zone: ZoneInfo | None = None, roster: Roster | None = None) -> str:
    """What happened, the steps already taken, promises and their dates, and who owns it; people
    by their names (the roster's, the ticket's requester)."""
    ticket = state.ticket
    lines = [
        f'Case summary for {state.case_id}: "{ticket.subject}"',
        f"Customer: {requester_name(ticket)}; first contact {_when(state.opened_at, zone)}; "
        f"contacts so far: {1 + len(state.linked_tickets)}.",
        f"Owner: {name_of(state.owner, roster or Roster())}"
        + (f" (since {_when(state.ownership[-1].time, zone)})" if state.ownership else "")
        + ".",
    ]
    promises = [t for t in state.targets if t.kind is TargetKind.PROMISE]
    if promises:
        lines.append("Promises made:")
        for promise in promises:
            status = {
                TargetStatus.MET: f"kept {_when(promise.met_at, zone)}",
                TargetStatus.BREACHED: f"MISSED (was due {_when(promise.breached_at, zone)})",
                TargetStatus.CANCELLED: "withdrawn",
            }.get(promise.status, f"due {_when(promise.due_at, zone)}")
            detail = f" - {promise.detail}" if promise.detail else ""
            lines.append(f"  - {promise.name}{detail}: {status}")
    if state.timeline:
        lines.append("What happened:")
        lines.extend(f"  - {entry}" for entry in state.timeline[-10:])
    steps = [
        action for decision in state.decisions for action in decision.actions if action.type in _STEP_TYPES
    ]
    if steps:
        lines.append("Steps serviceflow took:")
        for action in steps[-8:]:
            lines.append(f"  - {action.reason}")
    breaches = [t for t in state.targets if t.breached_at is not None]
    if breaches:
        lines.append("Breached: " + ", ".join(f"{t.name} ({_when(t.breached_at, zone)})" for t in breaches))
    return "\n".join(lines)
