"""Time passing: at-risk warnings, breaches and escalation ladders, fired in time order.

At one instant, what fires comes in this order: first the targets in the order they were made
(each its warning, then its breach, then its ladder levels), then notifications held for
business hours, in the order they were held. Ladders re-read the policy set: a level not yet
fired follows the ladder as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from serviceflow.engine import timers
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.notices import about, notification
from serviceflow.engine.people import resolve
from serviceflow.engine.records import record, updated
from serviceflow.engine.run import Run
from serviceflow.model import (
    HELPDESK_CHANNEL,
    Action,
    Deferred,
    Notified,
    NotifyPurpose,
    TargetState,
    TargetStatus,
)
from serviceflow.policy.durations import Clock

_RUNNING, _BREACHED = TargetStatus.RUNNING, TargetStatus.BREACHED


@dataclass
class _Timed:
    time: datetime
    order: int
    action: Action


def advance(run: Run, until: datetime) -> None:
    """Fire every warning, breach and escalation level due up to ``until``, in time order."""
    # Only compared with the targets' times, which the calendars make UTC: in UTC too, each
    # comparison is a plain one rather than two UTC offsets looked up in the zone's rules.
    until = until.astimezone(UTC)
    timed: list[_Timed] = []
    # The live list, not a copy: _advance_target only replaces the target at its own position
    # (Run.replace_target), which the iteration has passed, and adds none.
    for target in run.case.targets:
        # Whether a warning, the breach or a ladder level is due by ``until`` (what
        # _advance_target would fire), tested inline: this runs twice a decision for every
        # target, and most have nothing due. Met, cancelled and paused ones have no timer.
        fields = target.__dict__  # read as in timers.next_wake_up: past pydantic's hook
        status = fields["status"]
        if status is _RUNNING:
            due = fields["due_at"]
            if due is None:
                continue
            if not due <= until:
                warn = fields["warn_at"]
                if warn is None or fields["warned"] or not warn <= until:
                    continue
        elif status is _BREACHED:
            level_at = fields["next_level_at"]
            if level_at is None or not level_at <= until:
                continue
        else:
            continue
        _advance_target(run, target, until, timed)
    if run.case.deferred:  # most cases hold nothing back: no list made for them
        waiting = []
        for deferred in run.case.deferred:
            if deferred.send_at <= until:
                timed.append(_Timed(deferred.send_at, len(timed), deferred.action))
            else:
                waiting.append(deferred)
        run.case.deferred = tuple(waiting)
    if timed:  # nor a sort (and its key's function) when nothing fired
        for item in sorted(timed, key=lambda t: (t.time, t.order)):
            run.emit(item.action)


def _advance_target(run: Run, target: TargetState, until: datetime, timed: list[_Timed]) -> None:
    original = target
    if target.status is TargetStatus.RUNNING and target.due_at is not None:
        if target.warn_at is not None and not target.warned and target.warn_at <= until:
            if target.warn_at < target.due_at:
                timed.append(_Timed(target.warn_at, len(timed), _warning(run, target)))
            target = timers.warned(target)
        assert target.due_at is not None  # the copy above changed only ``warned``
        if target.due_at <= until:
            target = timers.breached(target, level_time(run, target, 0, target.due_at))
            run.notes.append(f"{target.policy}/{target.name}: BREACHED at {run.fmt(target.due_at)}")
    while (
        target.status is TargetStatus.BREACHED
        and target.next_level_at is not None
        and target.next_level_at <= until
    ):
        fired_at = target.next_level_at
        target = _escalate(run, target, fired_at, timed)
        target = timers.climbed(target, fired_at, level_time(run, target, target.level + 1, fired_at))
    if target is not original:
        run.replace_target(target)


def level_calendar(run: Run, target: TargetState, level: int) -> BusinessCalendar | None:
    """The clock a ladder level's ``after`` counts on; None when the level fires at once."""
    ladder = run.rules.ladder(target.escalation)
    if ladder is None or level >= len(ladder.levels):
        return None
    span = run.rules.level_delay(target.escalation or "", level)
    if span is None or span.clock is Clock.ELAPSED:
        return run.calendar(None)
    name = ladder.levels[level].calendar or target.calendar or run.rules.defaults.calendar
    return run.calendar(name)


def level_time(run: Run, target: TargetState, level: int, base: datetime) -> datetime | None:
    """When ladder level ``level`` (0 is the first) fires, counting from ``base``; None past the top."""
    ladder = run.rules.ladder(target.escalation)
    if ladder is None or level >= len(ladder.levels):
        return None
    span = run.rules.level_delay(target.escalation or "", level)
    if span is None:
        return base
    calendar = level_calendar(run, target, level)
    assert calendar is not None
    return calendar.deadline(base, span)


def _responsible(run: Run, target: TargetState) -> str | None:
    return target.assignee or run.case.owner


def _warning(run: Run, target: TargetState) -> Action:
    who = _responsible(run, target)
    due = run.fmt(target.due_at) if target.due_at else "soon"
    return notification(
        run,
        target,
        key=f"warn/{target.id}",
        recipients=(who,) if who else (run.rules.fallback.owner,),
        subject=f"At risk: {target.name} on {about(run)} is due {due}",
        body=f"{target.detail or target.name} is due {due}.",
        reason=(
            f"{target.name} reached {round((target.at_risk or 0) * 100)} % of its time; "
            "only the owner is warned before a breach"
        ),
        purpose=NotifyPurpose.AT_RISK,
    )


def _escalate(run: Run, target: TargetState, fired_at: datetime, timed: list[_Timed]) -> TargetState:
    ladder = run.rules.ladder(target.escalation)
    if ladder is None:
        return target
    level = ladder.levels[target.level]
    wanted = resolve(level.notify, _responsible(run, target), run.context.roster) or [
        run.rules.fallback.owner
    ]
    cooldown = run.rules.cooldown(target.escalation or "")
    name = f"{target.policy}/{target.name}"
    recent = {n.recipient for n in run.case.notified if n.target == name and fired_at - n.at < cooldown}
    recipients = [r for r in wanted if r not in recent]
    if not recipients:
        run.notes.append(f"{name}: level {target.level + 1} skipped (cooldown)")
        return target
    action = notification(
        run,
        target,
        key=f"escalate/{target.id}/{target.level + 1}",
        recipients=recipients,
        subject=f"Breached: {target.name} on {about(run)}",
        body=level.message
        or f"{target.detail or target.name} was due {run.fmt(target.breached_at)} and is not met.",
        reason=(
            f"{target.name} breached at {run.fmt(target.breached_at)}; "
            f"escalation level {target.level + 1} of {len(ladder.levels)} ({target.escalation})"
        ),
        purpose=NotifyPurpose.BREACHED,
        level=target.level + 1,
        channels=level.via,
    )
    run.case.notified = (
        *run.case.notified,
        *[record(Notified, target=name, recipient=r, at=fired_at) for r in recipients],
    )
    others = tuple(c for c in level.via if c != HELPDESK_CHANNEL and c not in target.channels_used)
    if others:
        target = updated(target, {"channels_used": (*target.channels_used, *others)})
    send_at = fired_at
    if level.in_business_hours:
        calendar = run.calendar(level.calendar or target.calendar or run.rules.defaults.calendar)
        send_at = calendar.next_open(fired_at)
    if send_at > run.now:
        run.case.deferred = (*run.case.deferred, Deferred(send_at=send_at, action=action))
        run.notes.append(f"{name}: level {target.level + 1} held until {run.fmt(send_at)} (business hours)")
    else:
        timed.append(_Timed(send_at, len(timed), action))
    return target


def retime_ladder(run: Run, target: TargetState) -> TargetState:
    """A ladder changed under a breached target: its next level follows the ladder as it is now.

    Not when its ladder was held since its last level: the time it waited is not on the ladder."""
    if target.status is not TargetStatus.BREACHED or target.ladder_held_at is not None:
        return target
    base = target.level_base_at or (target.breached_at if target.level == 0 else None)
    if base is None or any(p.start >= base for p in target.pauses):
        return target
    when = level_time(run, target, target.level, base)
    if when == target.next_level_at:
        return target
    run.notes.append(f"{target.policy}/{target.name}: next level now {run.fmt(when)} (the ladder changed)")
    return updated(target, {"next_level_at": when})


def hold_ladder(run: Run, target: TargetState, time: datetime) -> None:
    """A breached target whose pause holds stops climbing; the time to its next level is kept."""
    remaining = None
    if target.next_level_at is not None:
        calendar = level_calendar(run, target, target.level) or run.calendar(None)
        remaining = calendar.business_seconds(time, target.next_level_at)
    run.replace_target(timers.ladder_held(target, time, remaining))
    run.notes.append(f"{target.policy}/{target.name}: escalation held while its pause holds")


def release_ladder(run: Run, target: TargetState, time: datetime) -> None:
    next_at = None
    if target.ladder_remaining_seconds is not None:
        calendar = level_calendar(run, target, target.level) or run.calendar(None)
        next_at = calendar.add(time, target.ladder_remaining_seconds)
    run.replace_target(timers.ladder_released(target, time, next_at))
    run.notes.append(f"{target.policy}/{target.name}: escalation resumed")
