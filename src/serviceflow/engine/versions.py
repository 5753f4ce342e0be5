"""Policy changes under running cases: which version a case decides under, and what switching
to a new one does (the set's ``on_change``).

- ``new_cases``: a case keeps the version it started with, while the rules keep that version
  (:data:`~serviceflow.engine.rules.VERSIONS_KEPT`); a case whose version is gone switches.
- ``open_cases`` (the default): a case switches at its next decision. Targets follow the rules as
  they are now: a target whose rule is gone, whose policy no longer matches or whose ``when`` no
  longer holds is cancelled; a changed ladder applies to the levels not yet fired; due times
  already running are kept.
- ``recompute``: as ``open_cases``, and each open target's due time is recomputed from its
  recorded cycle (its start and pauses) under the new duration; every change is noted.
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine import timers
from serviceflow.engine.deadlines import entitlement_of
from serviceflow.engine.records import updated
from serviceflow.engine.rules import Rules, TargetRuntime
from serviceflow.engine.run import Run
from serviceflow.model import CaseState, TargetKind, TargetState, TargetStatus
from serviceflow.policy.durations import Clock


def rules_for(state: CaseState, rules: Rules) -> tuple[Rules, str | None]:
    """The rules this case decides under, and the version it switches from (None: no switch)."""
    version = state.policy_version
    if version is None or version == rules.version:
        return rules, None
    if rules.on_change == "new_cases":
        kept = rules.for_version(version)
        if kept is not None:
            return kept, None
    return rules, version


def switch(run: Run, previous: str | None) -> list[str]:
    """Switch the case to ``run.rules``' version; the notes say what changed."""
    if previous is None:
        return []
    run.case.policy_version = run.rules.version
    kept = "" if run.rules.on_change != "new_cases" else f" ({previous} is no longer kept)"
    notes = [f"policy set version {previous} -> {run.rules.version} ({run.rules.on_change}){kept}"]
    if run.rules.on_change == "recompute":
        for index, target in enumerate(run.case.targets):
            rule = run.rules.target_rules.get((target.policy, target.name))
            if target.open and rule is not None and target.kind is TargetKind.TARGET:
                changed = _recompute(run, rule, target)
                if changed is not None:
                    run.case.targets[index], note = changed
                    notes.append(note)
    return notes


def _recompute(run: Run, rule: TargetRuntime, target: TargetState) -> tuple[TargetState, str] | None:
    """The target's due time under the new rule's duration, counted from its start over its pauses."""
    span = rule.within.span
    if span is None or (span.clock is Clock.ELAPSED) != (target.calendar is None):
        return None  # a CEL duration, or another kind of clock: the due time stands
    if rule.within_from is not None and entitlement_of(
        run, rule.within_from, policy=rule.policy, rule=rule.name
    ):
        return None  # the ticket's entitlement gives its time, not the rule
    calendar = run.calendar(target.calendar)
    total = calendar.business_seconds(target.started_at, calendar.deadline(target.started_at, span))
    if abs(total - target.total_seconds) < 1:
        return None
    due: datetime | None = None
    moment, left = target.started_at, total
    for pause in target.pauses:
        counted = calendar.business_seconds(moment, pause.start)
        if counted >= left:
            due = calendar.add(moment, left)
            break
        left -= counted
        if pause.end is None:
            break
        moment = pause.end
    else:
        due = calendar.add(moment, left)
    old = run.fmt(target.breached_at or target.due_at)
    update: dict[str, object] = {"total_seconds": max(total, 1.0)}
    if due is None:  # paused now, with ``left`` of its new time to go
        update["remaining_seconds"] = left
        text = f"{_duration(left)} left when it resumes"
    elif target.status is TargetStatus.BREACHED and due > run.now:
        update.update(status=TargetStatus.RUNNING, due_at=due, breached_at=None, level=0, next_level_at=None)
        text = f"due {run.fmt(due)}: no longer breached"
    elif target.status is TargetStatus.BREACHED:
        return None  # still breached; its ladder goes on
    else:
        update["due_at"] = due
        text = f"due {run.fmt(due)}"
    changed = updated(target, update)
    if changed.status is TargetStatus.RUNNING and changed.due_at is not None and not changed.warned:
        remaining = calendar.business_seconds(run.now, changed.due_at)
        changed = updated(
            changed,
            {
                "warn_at": timers.warn_time(
                    changed.at_risk, changed.total_seconds, run.now, remaining, calendar
                )
            },
        )
    return changed, f"{target.policy}/{target.name}: recomputed: was {old}, now {text}"


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"
