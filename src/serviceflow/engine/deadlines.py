"""Deadlines in a decision: when a rule's duration ends on its calendar, making a new target,
and meeting, cancelling, pausing or resuming one with a note of why. The transitions themselves
are :mod:`serviceflow.engine.timers`; this adds the rules' clocks and the case."""

from __future__ import annotations

from datetime import datetime, timedelta

from serviceflow.cel import Expression
from serviceflow.engine import timers
from serviceflow.engine.notices import about, notification
from serviceflow.engine.rules import CalendarChoice, Duration
from serviceflow.engine.run import Run
from serviceflow.errors import CelEvaluationError
from serviceflow.model import NotifyPurpose, TargetKind, TargetState, TargetStatus
from serviceflow.policy.durations import MAX_SECONDS, Clock, DurationSyntaxError, parse_duration

#: Nothing is due further ahead than this: a rule's CEL duration past it is a rule error.
MAX_DURATION = timedelta(seconds=MAX_SECONDS)
_BREACHED = TargetStatus.BREACHED  # read once: an enum member off its class is slow to read
_BUSINESS_HOURS = Clock.BUSINESS_HOURS


def calendar_of(run: Run, choice: CalendarChoice | None, *, policy: str, rule: str) -> str | None:
    """The calendar a rule counts on for this ticket; None for elapsed time."""
    if choice is None:
        return None
    if choice.expression is None:
        return choice.name
    name = run.evaluator.text(choice.expression, policy=policy, rule=rule)
    if name is not None and name in run.rules.calendars:
        return name
    if name is not None:
        run.evaluator.record(
            policy, rule, f"calendar {name!r} is not a calendar of the policy set", choice.fallback
        )
    return choice.fallback


def deadline(
    run: Run, duration: Duration, start: datetime, *, policy: str, rule: str, entitlement: object = None
) -> tuple[datetime, float, str | None] | None:
    """When a duration starting at ``start`` ends, its length on its clock, and the clock.

    ``entitlement`` is what a target's ``within_from`` yielded (a timedelta or a literal), which
    replaces the rule's own duration."""
    calendar_name = calendar_of(run, duration.calendar, policy=policy, rule=rule)
    span = duration.span
    value: object = None
    if isinstance(entitlement, str):
        try:
            span = parse_duration(entitlement)
        except DurationSyntaxError as exc:
            run.evaluator.record(policy, rule, f"within_from: {exc}", "within")
        else:
            if span.clock.value == "elapsed":
                calendar_name = None
            elif calendar_name is None:
                calendar_name = run.rules.defaults.calendar
    elif isinstance(entitlement, timedelta):
        span, value = None, entitlement
    calendar = run.calendar(calendar_name)
    if span is not None:
        due = calendar.deadline(start, span)
        if span.clock is _BUSINESS_HOURS:
            # ``due`` is ``calendar.add(start, span.seconds)``: the open time from start to due
            # is that many seconds exactly (business_seconds inverts add, in whole microseconds,
            # and ``span.seconds`` is an int; tests/engine/test_calendar.py), so it is not
            # walked again.
            return due, max(float(span.seconds), 1.0), calendar_name
    else:
        if value is None:
            assert duration.expression is not None
            value = run.evaluator.moment(duration.expression, policy=policy, rule=rule, base=start)
        if value is None:
            return None
        if isinstance(value, timedelta) and value > MAX_DURATION:
            run.evaluator.record(policy, rule, f"{value} is longer than 10 years", "the rule is skipped")
            return None
        # A negative duration from a rule means "due now", not an error in the calendar.
        due = value if isinstance(value, datetime) else calendar.add(start, max(value.total_seconds(), 0.0))  # type: ignore[attr-defined]
    total = calendar.business_seconds(start, due)
    return due, max(total, 1.0), calendar_name


def new_target(
    run: Run,
    *,
    id: str,
    name: str,
    policy: str,
    kind: TargetKind,
    start: datetime,
    duration: Duration,
    at_risk: float | None,
    escalation: str | None,
    assignee: str | None = None,
    detail: str = "",
    due_override: datetime | None = None,
    entitlement: object = None,
    cycle: int = 1,
) -> TargetState | None:
    """Start a deadline and add it to the case; None when its duration could not be had."""
    if due_override is not None:
        calendar_name = calendar_of(run, duration.calendar, policy=policy, rule=name)
        due = due_override
        total = max(run.calendar(calendar_name).business_seconds(start, due), 1.0)
    else:
        found = deadline(run, duration, start, policy=policy, rule=name, entitlement=entitlement)
        if found is None:
            return None
        due, total, calendar_name = found
    target = timers.started(
        id=id,
        name=name,
        policy=policy,
        kind=kind,
        start=start,
        due=due,
        total=total,
        calendar_name=calendar_name,
        calendar=run.calendar(calendar_name),
        at_risk=at_risk,
        escalation=escalation,
        assignee=assignee,
        detail=detail,
        cycle=cycle,
    )
    run.add_target(target)
    return target


def meet(run: Run, target: TargetState, time: datetime, why: str) -> None:
    run.replace_target(timers.met(target, time))
    late = " (after its breach; escalation stopped)" if target.breached_at else ""
    run.notes.append(f"{target.policy}/{target.name}: met{late}: {why}")
    _resolve_incidents(run, target, f"met: {why}")


def cancel(run: Run, target: TargetState, why: str) -> None:
    run.replace_target(timers.cancelled(target, run.now, why))
    run.notes.append(f"{target.policy}/{target.name}: cancelled: {why}")
    _resolve_incidents(run, target, f"cancelled: {why}")


def _resolve_incidents(run: Run, target: TargetState, why: str) -> None:
    """A breach told through channels that keep incidents (PagerDuty) is resolved there."""
    if target.status is not _BREACHED or not target.channels_used:
        return
    run.emit(
        notification(
            run,
            target,
            key=f"resolved/{target.id}",
            recipients=(),
            subject=f"Resolved: {target.name} on {about(run)}",
            body=f"{target.detail or target.name} is no longer breached: {why}.",
            reason=f"{target.name} {why}",
            purpose=NotifyPurpose.RESOLVED,
            channels=target.channels_used,
        )
    )


def pause(run: Run, target: TargetState, time: datetime) -> None:
    run.replace_target(timers.paused(target, time, run.calendar(target.calendar)))


def resume(run: Run, target: TargetState, time: datetime) -> None:
    run.replace_target(timers.resumed(target, time, run.calendar(target.calendar)))


def entitlement_of(run: Run, expression: Expression, *, policy: str, rule: str) -> object:
    """What a target's ``within_from`` yields for this ticket: None where the field is absent."""
    try:
        return run.evaluator.value(expression)
    except CelEvaluationError as exc:
        if "no such" in exc.message or "not found" in exc.message.lower():
            return None  # the ticket has no entitlement: the rule's own `within` applies
        run.evaluator.record(policy, rule, exc.message, "within")
        return None
