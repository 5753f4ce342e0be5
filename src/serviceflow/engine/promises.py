"""Promises to the customer: recorded from an event (or by hand), kept, or missed."""

from __future__ import annotations

from serviceflow.engine import deadlines
from serviceflow.engine.inputs import RecordPromise
from serviceflow.engine.rules import PolicyRuntime
from serviceflow.engine.run import Run
from serviceflow.model import TargetKind, TicketEvent


def on_event(run: Run, policy: PolicyRuntime, event: TicketEvent, *, matches: bool, kind: str) -> None:
    test = run.evaluator.test
    # ``kind``: the event's kind (its ``_value_``), read once for the decision by the caller; a
    # condition false on this kind is not tested (its may_hold_on, inline)
    for rule in policy.promises:
        if (kinds := rule.kept.event_kinds) is None or kind in kinds:  # may_hold_on, inline
            for promise in run.instances(policy.name, rule.name):
                if promise.open and test(rule.kept, policy=policy.name, rule=rule.name):
                    deadlines.meet(run, promise, event.time, "kept")
        if (
            matches
            and ((kinds := rule.recorded.event_kinds) is None or kind in kinds)
            and test(rule.recorded, policy=policy.name, rule=rule.name)
        ):
            made = deadlines.new_target(
                run,
                id=f"{policy.name}/{rule.name}@{event.id}",
                name=rule.name,
                policy=policy.name,
                kind=TargetKind.PROMISE,
                start=event.time,
                duration=rule.due,
                at_risk=rule.at_risk,
                escalation=rule.escalation,
                detail=(event.body or "").strip(),
                cycle=len(run.instances(policy.name, rule.name)) + 1,
            )
            if made is not None:
                run.notes.append(f"{policy.name}/{rule.name}: promise recorded, due {run.fmt(made.due_at)}")


def record_by_hand(run: Run, request: RecordPromise) -> None:
    for policy in run.rules.policies:
        for rule in policy.promises:
            if rule.name != request.promise:
                continue
            deadlines.new_target(
                run,
                id=f"{policy.name}/{rule.name}@manual-{len(run.case.targets) + 1}",
                name=rule.name,
                policy=policy.name,
                kind=TargetKind.PROMISE,
                start=run.now,
                duration=rule.due,
                at_risk=rule.at_risk,
                escalation=rule.escalation,
                detail=request.detail or f"recorded by {request.by}",
                due_override=request.due_at,
                cycle=len(run.instances(policy.name, rule.name)) + 1,
            )
            return
    raise ValueError(f"no promise rule named {request.promise!r} in the policy set")
