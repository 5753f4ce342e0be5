"""The life of one deadline, as pure transitions: start, pause, resume, warn, breach, climb,
hold and release the ladder, meet, cancel. Each takes a target (and the calendar its clock runs
on) and returns the new target; none reads a clock or the case.
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.records import record, updated
from serviceflow.model import CaseState, Pause, TargetKind, TargetState, TargetStatus


def warn_time(
    at_risk: float | None, total: float, anchor: datetime, remaining: float, calendar: BusinessCalendar
) -> datetime | None:
    """When the owner is warned: at ``at_risk`` of the target's whole time."""
    if at_risk is None:
        return None
    before_due = (1 - at_risk) * total
    return calendar.add(anchor, max(remaining - before_due, 0.0))


def started(
    *,
    id: str,
    name: str,
    policy: str,
    kind: TargetKind,
    start: datetime,
    due: datetime,
    total: float,
    calendar_name: str | None,
    calendar: BusinessCalendar,
    at_risk: float | None,
    escalation: str | None,
    assignee: str | None = None,
    detail: str = "",
    cycle: int = 1,
) -> TargetState:
    total = float(total)
    at_risk = None if at_risk is None else float(at_risk)
    return record(
        TargetState,
        id=id,
        name=name,
        policy=policy,
        kind=kind if type(kind) is TargetKind else TargetKind(kind),
        calendar=calendar_name,
        assignee=assignee,
        started_at=start,
        total_seconds=total,
        due_at=due,
        at_risk=at_risk,
        warn_at=warn_time(at_risk, total, start, total, calendar),
        escalation=escalation,
        detail=detail,
        cycle=int(cycle),
    )


def paused(target: TargetState, at: datetime, calendar: BusinessCalendar) -> TargetState:
    assert target.due_at is not None
    return updated(
        target,
        {
            "status": TargetStatus.PAUSED,
            "remaining_seconds": calendar.business_seconds(at, target.due_at),
            "due_at": None,
            "warn_at": None,
            "pauses": (*target.pauses, record(Pause, start=at)),
        },
    )


def _closed_pauses(target: TargetState, at: datetime) -> tuple[Pause, ...]:
    pauses = target.pauses
    if pauses and pauses[-1].end is None:
        return (*pauses[:-1], updated(pauses[-1], {"end": at}))
    return pauses


def resumed(target: TargetState, at: datetime, calendar: BusinessCalendar) -> TargetState:
    remaining = target.remaining_seconds or 0.0
    warn_at = (
        None if target.warned else warn_time(target.at_risk, target.total_seconds, at, remaining, calendar)
    )
    return updated(
        target,
        {
            "status": TargetStatus.RUNNING,
            "remaining_seconds": None,
            "due_at": calendar.add(at, remaining),
            "warn_at": warn_at,
            "pauses": _closed_pauses(target, at),
        },
    )


def warned(target: TargetState) -> TargetState:
    return updated(target, {"warned": True})


def breached(target: TargetState, next_level_at: datetime | None) -> TargetState:
    return updated(
        target,
        {
            "status": TargetStatus.BREACHED,
            "breached_at": target.due_at,
            "warned": True,
            "next_level_at": next_level_at,
            "level_base_at": target.due_at,
        },
    )


def climbed(target: TargetState, fired_at: datetime, next_level_at: datetime | None) -> TargetState:
    """One more ladder level fired at ``fired_at``; the next one is due at ``next_level_at``."""
    return updated(
        target, {"level": target.level + 1, "next_level_at": next_level_at, "level_base_at": fired_at}
    )


def ladder_held(target: TargetState, at: datetime, remaining: float | None) -> TargetState:
    """A breached target whose pause holds stops climbing; ``remaining`` is the time to its next level."""
    return updated(
        target,
        {
            "ladder_held_at": at,
            "ladder_remaining_seconds": remaining,
            "next_level_at": None,
            "pauses": (*target.pauses, record(Pause, start=at)),
        },
    )


def ladder_released(target: TargetState, at: datetime, next_level_at: datetime | None) -> TargetState:
    return updated(
        target,
        {
            "ladder_held_at": None,
            "ladder_remaining_seconds": None,
            "next_level_at": next_level_at,
            "pauses": _closed_pauses(target, at),
        },
    )


def met(target: TargetState, at: datetime) -> TargetState:
    return updated(
        target,
        {
            "status": _MET,
            "met_at": at,
            "next_level_at": None,
            "ladder_held_at": None,
            "pauses": _closed_pauses(target, at),
        },
    )


def cancelled(target: TargetState, at: datetime, reason: str) -> TargetState:
    return updated(
        target,
        {
            "status": TargetStatus.CANCELLED,
            "next_level_at": None,
            "ladder_held_at": None,
            "cancelled_at": at,
            "cancel_reason": reason,
            "pauses": _closed_pauses(target, at),
        },
    )


def next_wake_up(state: CaseState) -> datetime | None:
    """The earliest moment a timer of this case needs the engine again."""
    case = state.__dict__  # its fields past pydantic's attribute hook, as the targets' below
    # The earliest kept as it goes (what min() of the times in this order gives: the first of
    # equal ones), not a list of them: this runs on every input.
    earliest: datetime | None = None
    for deferred in case["deferred"]:
        moment = deferred.__dict__["send_at"]
        if earliest is None or moment < earliest:
            earliest = moment
    for target in case["targets"]:
        # The fields read from the model's dict: an attribute of a pydantic model is looked up
        # past its class's ``__getattr__`` hook, several times slower, and this runs on every
        # input for every target.
        fields = target.__dict__
        status = fields["status"]
        if status is _RUNNING:
            warn_at = fields["warn_at"]
            if warn_at is not None and not fields["warned"] and (earliest is None or warn_at < earliest):
                earliest = warn_at
            due_at = fields["due_at"]
            if due_at is not None and (earliest is None or due_at < earliest):
                earliest = due_at
        elif status is _BREACHED:
            level_at = fields["next_level_at"]
            if level_at is not None and (earliest is None or level_at < earliest):
                earliest = level_at
    return earliest


_RUNNING, _BREACHED, _MET = TargetStatus.RUNNING, TargetStatus.BREACHED, TargetStatus.MET
