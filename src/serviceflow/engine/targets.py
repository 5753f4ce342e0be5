"""Turnaround targets: started, stopped, paused and resumed by the ticket's events; and kept in
line with the rules as they are now.

Every decision checks each open target against the policy set it decides under: a target whose
rule is gone, whose policy no longer matches the ticket, or whose ``when`` no longer holds is
cancelled with the reason, and no further level of its ladder fires. (A ``when`` that reads the
event describes the start and is not checked again.) A breached target whose ``pause`` holds
stops climbing its ladder until the pause ends.
"""

from __future__ import annotations

from serviceflow.engine import deadlines
from serviceflow.engine.escalation import hold_ladder, release_ladder, retime_ladder
from serviceflow.engine.records import updated
from serviceflow.engine.rules import PolicyRuntime, TargetRuntime
from serviceflow.engine.run import Run
from serviceflow.model import TargetKind, TargetState, TargetStatus, TicketEvent
from serviceflow.model.case import OPEN_STATUSES

#: Enum members read once: a member read off its class goes through ``EnumType.__getattr__``'s
#: slot hook, several times slower than a module global, and these are read on every input.
_TARGET = TargetKind.TARGET
_TURNAROUND = (TargetKind.TARGET, TargetKind.ACKNOWLEDGEMENT)
_RUNNING, _PAUSED, _BREACHED = TargetStatus.RUNNING, TargetStatus.PAUSED, TargetStatus.BREACHED


def follow_rules(run: Run, matching: set[str] | None, *, switched: bool = False) -> None:
    """Cancel the open deadlines the rules no longer call for; re-time ladders that changed.

    ``matching`` names the policies that match the ticket now (None: not known, as on a
    manual input; then only removed rules cancel). ``switched``: the case has just moved to this
    policy set version, so a ladder may have changed under a breached target.
    """
    rules = run.rules
    # The live list, not a copy: a cancel or an update only replaces the target at its own
    # position (Run.replace_target), which the iteration has passed, and adds none.
    for original in run.case.targets:
        target = original
        fields = original.__dict__  # its fields past pydantic's attribute hook (as in _index)
        if fields["status"] not in OPEN_STATUSES:  # TargetState.open
            continue
        key = (fields["policy"], fields["name"])
        if key not in rules.rule_names:
            deadlines.cancel(run, target, f"its rule is not in policy set version {rules.version}")
            continue
        policy = rules.policies_by_name.get(key[0])
        kind = fields["kind"]
        if policy is not None and kind in _TURNAROUND:
            if matching is not None and policy.name not in matching and not policy.match_reads_event:
                deadlines.cancel(run, target, f"policy {policy.name} no longer matches the ticket")
                continue
        rule = rules.target_rules.get(key)
        if rule is not None and kind is _TARGET and not rule.when_reads_event:
            if not run.evaluator.test(rule.when, policy=rule.policy, rule=rule.name, default=True):
                deadlines.cancel(run, target, f"its when no longer holds ({rule.when.source})")
                continue
            if rule.escalation != fields["escalation"]:
                target = updated(target, {"escalation": rule.escalation})
        if switched:
            target = retime_ladder(run, target)
        if target is not original:
            run.replace_target(target)


def on_event(run: Run, policy: PolicyRuntime, event: TicketEvent, *, matches: bool, kind: str) -> None:
    """Start, stop, pause or resume each target of ``policy`` on ``event``."""
    test = run.evaluator.test
    # ``kind``: the event's kind (its ``_value_``), read once for the decision by the caller; a
    # condition false on this kind is not tested (its may_hold_on, inline)
    for rule in policy.targets:
        instances = run.instances(policy.name, rule.name)
        current = instances[-1] if instances else None
        if current is not None and current.__dict__["status"] in OPEN_STATUSES:  # current.open
            _progress(run, rule, current, event, kind)
            continue
        if not matches or (current is not None and not rule.restart):
            continue
        if ((kinds := rule.start.event_kinds) is not None and kind not in kinds) or not test(
            rule.start, policy=policy.name, rule=rule.name
        ):
            continue
        if not test(rule.when, policy=policy.name, rule=rule.name):
            continue
        entitlement = None
        if rule.within_from is not None:
            entitlement = deadlines.entitlement_of(run, rule.within_from, policy=policy.name, rule=rule.name)
        started = deadlines.new_target(
            run,
            id=f"{policy.name}/{rule.name}#{len(instances) + 1}",
            name=rule.name,
            policy=policy.name,
            kind=TargetKind.TARGET,
            start=event.time,
            duration=rule.within,
            at_risk=rule.at_risk,
            escalation=rule.escalation,
            entitlement=entitlement,
            cycle=len(instances) + 1,
        )
        if started is not None:
            run.notes.append(f"{policy.name}/{rule.name}: started, due {run.fmt(started.due_at)}")
            if rule.pause is not None and test(rule.pause, policy=policy.name, rule=rule.name):
                deadlines.pause(run, started, event.time)


def follow_pauses(run: Run, policy: PolicyRuntime, event: TicketEvent) -> None:
    """Only the pause of each open target follows the ticket (serviceflow's own writes)."""
    for rule in policy.targets:
        instances = run.instances(policy.name, rule.name)
        if instances and instances[-1].open:
            _follow_pause(run, rule, instances[-1], event)


def _progress(run: Run, rule: TargetRuntime, target: TargetState, event: TicketEvent, kind: str) -> None:
    # rule.stop.may_hold_on(kind), inline
    if ((kinds := rule.stop.event_kinds) is None or kind in kinds) and run.evaluator.test(
        rule.stop, policy=rule.policy, rule=rule.name
    ):
        deadlines.meet(run, target, event.time, f"{kind} by {event.actor.role._value_}")
        return
    _follow_pause(run, rule, target, event)


def _follow_pause(run: Run, rule: TargetRuntime, target: TargetState, event: TicketEvent) -> None:
    if rule.pause is None:
        return
    paused = run.evaluator.test(rule.pause, policy=rule.policy, rule=rule.name)
    if target.status is _BREACHED:
        if paused and target.ladder_held_at is None:
            hold_ladder(run, target, event.time)
        elif not paused and target.ladder_held_at is not None:
            release_ladder(run, target, event.time)
        return
    if paused and target.status is _RUNNING:
        deadlines.pause(run, target, event.time)
        run.notes.append(f"{rule.policy}/{rule.name}: paused")
    elif not paused and target.status is _PAUSED:
        deadlines.resume(run, target, event.time)
        run.notes.append(f"{rule.policy}/{rule.name}: resumed")
