"""Deadlines: targets, promises and acknowledgements - started, paused, resumed, met."""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import (
    RecordPromise,
)
from serviceflow.engine.rules import Duration, PolicyRuntime, TargetRuntime
from serviceflow.engine.run_base import RunBase
from serviceflow.model import (
    AddInternalNote,
    EventKind,
    SetStatus,
    TargetKind,
    TargetState,
    TargetStatus,
    TicketEvent,
    TicketStatus,
)

_CLOSED = (TicketStatus.SOLVED, TicketStatus.CLOSED)


class Deadlines(RunBase):
    # -- targets -------------------------------------------------------------------------------

    def _deadline(
        self, duration: Duration, start: datetime, *, policy: str, rule: str
    ) -> tuple[datetime, float, str | None] | None:
        """When a duration starting at ``start`` ends, its length on its clock, and the clock."""
        assert self.evaluator is not None
        calendar = self._calendar(duration.calendar)
        if duration.span is not None:
            due = calendar.deadline(start, duration.span)
        else:
            assert duration.expression is not None
            value = self.evaluator.moment(duration.expression, policy=policy, rule=rule, base=start)
            if value is None:
                return None
            # A negative duration from a rule means "due now", not an error in the calendar.
            due = (
                value if isinstance(value, datetime) else calendar.add(start, max(value.total_seconds(), 0.0))
            )
        total = calendar.business_seconds(start, due)
        return due, max(total, 1.0), duration.calendar

    def _new_target(
        self,
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
    ) -> TargetState | None:
        if due_override is not None:
            calendar_name = duration.calendar
            due = due_override
            total = max(self._calendar(calendar_name).business_seconds(start, due), 1.0)
        else:
            found = self._deadline(duration, start, policy=policy, rule=name)
            if found is None:
                return None
            due, total, calendar_name = found
        target = TargetState(
            id=id,
            name=name,
            policy=policy,
            kind=kind,
            calendar=calendar_name,
            assignee=assignee,
            started_at=start,
            total_seconds=total,
            due_at=due,
            at_risk=at_risk,
            escalation=escalation,
            detail=detail,
        )
        target = target.model_copy(update={"warn_at": self._warn_at(target, start, total)})
        self._add_target(target)
        return target

    def _warn_at(self, target: TargetState, anchor: datetime, remaining: float) -> datetime | None:
        if target.at_risk is None or target.warned:
            return None
        before_due = (1 - target.at_risk) * target.total_seconds
        return self._calendar(target.calendar).add(anchor, max(remaining - before_due, 0.0))

    def _pause(self, target: TargetState, time: datetime) -> None:
        assert target.due_at is not None
        remaining = self._calendar(target.calendar).business_seconds(time, target.due_at)
        self._replace_target(
            target.model_copy(
                update={
                    "status": TargetStatus.PAUSED,
                    "remaining_seconds": remaining,
                    "due_at": None,
                    "warn_at": None,
                }
            )
        )

    def _resume(self, target: TargetState, time: datetime) -> None:
        remaining = target.remaining_seconds or 0.0
        due = self._calendar(target.calendar).add(time, remaining)
        resumed = target.model_copy(
            update={"status": TargetStatus.RUNNING, "remaining_seconds": None, "due_at": due}
        )
        self._replace_target(resumed.model_copy(update={"warn_at": self._warn_at(resumed, time, remaining)}))

    def _meet(self, target: TargetState, time: datetime, why: str) -> None:
        self._replace_target(
            target.model_copy(
                update={
                    "status": TargetStatus.MET,
                    "met_at": time,
                    "next_level_at": None,
                    "due_at": target.due_at,
                }
            )
        )
        late = " (after its breach; escalation stopped)" if target.breached_at else ""
        self.notes.append(f"{target.policy}/{target.name}: met{late}: {why}")

    def _cancel(self, target: TargetState, why: str) -> None:
        self._replace_target(
            target.model_copy(update={"status": TargetStatus.CANCELLED, "next_level_at": None})
        )
        self.notes.append(f"{target.policy}/{target.name}: cancelled: {why}")

    def _targets(self, policy: PolicyRuntime, event: TicketEvent, *, matches: bool) -> None:
        assert self.evaluator is not None
        test = self.evaluator.test
        for rule in policy.targets:
            instances = self._instances(policy.name, rule.name)
            current = instances[-1] if instances else None
            if current is not None and current.open:
                self._progress(rule, current, event)
                continue
            if not matches or (current is not None and not rule.restart):
                continue
            if not test(rule.start, policy=policy.name, rule=rule.name):
                continue
            if not test(rule.when, policy=policy.name, rule=rule.name):
                continue
            started = self._new_target(
                id=f"{policy.name}/{rule.name}#{len(instances) + 1}",
                name=rule.name,
                policy=policy.name,
                kind=TargetKind.TARGET,
                start=event.time,
                duration=rule.within,
                at_risk=rule.at_risk,
                escalation=rule.escalation,
            )
            if started is not None:
                self.notes.append(f"{policy.name}/{rule.name}: started, due {self._fmt(started.due_at)}")
                if rule.pause is not None and test(rule.pause, policy=policy.name, rule=rule.name):
                    self._pause(started, event.time)

    def _repause(self, policy: PolicyRuntime, event: TicketEvent) -> None:
        """Only the pause of each open target follows the ticket (serviceflow's own writes)."""
        for rule in policy.targets:
            instances = self._instances(policy.name, rule.name)
            if instances and instances[-1].open:
                self._follow_pause(rule, instances[-1], event)

    def _progress(self, rule: TargetRuntime, target: TargetState, event: TicketEvent) -> None:
        assert self.evaluator is not None
        test = self.evaluator.test
        if test(rule.stop, policy=rule.policy, rule=rule.name):
            self._meet(target, event.time, f"{event.kind.value} by {event.actor.role.value}")
            return
        self._follow_pause(rule, target, event)

    def _follow_pause(self, rule: TargetRuntime, target: TargetState, event: TicketEvent) -> None:
        assert self.evaluator is not None
        test = self.evaluator.test
        if rule.pause is None or target.status is TargetStatus.BREACHED:
            return
        paused = test(rule.pause, policy=rule.policy, rule=rule.name)
        if paused and target.status is TargetStatus.RUNNING:
            self._pause(target, event.time)
            self.notes.append(f"{rule.policy}/{rule.name}: paused")
        elif not paused and target.status is TargetStatus.PAUSED:
            self._resume(target, event.time)
            self.notes.append(f"{rule.policy}/{rule.name}: resumed")

    def _promises(self, policy: PolicyRuntime, event: TicketEvent, *, matches: bool) -> None:
        assert self.evaluator is not None
        test = self.evaluator.test
        for rule in policy.promises:
            for promise in self._instances(policy.name, rule.name):
                if promise.open and test(rule.kept, policy=policy.name, rule=rule.name):
                    self._meet(promise, event.time, "kept")
            if matches and test(rule.recorded, policy=policy.name, rule=rule.name):
                made = self._new_target(
                    id=f"{policy.name}/{rule.name}@{event.id}",
                    name=rule.name,
                    policy=policy.name,
                    kind=TargetKind.PROMISE,
                    start=event.time,
                    duration=rule.due,
                    at_risk=rule.at_risk,
                    escalation=rule.escalation,
                    detail=(event.body or "").strip(),
                )
                if made is not None:
                    self.notes.append(
                        f"{policy.name}/{rule.name}: promise recorded, due {self._fmt(made.due_at)}"
                    )

    def _record_promise_by_hand(self, request: RecordPromise) -> None:
        for policy in self.rules.policies:
            for rule in policy.promises:
                if rule.name != request.promise:
                    continue
                self.evaluator = self.evaluator or Evaluator(
                    self.rules.environment,
                    {"ticket": self.state.ticket, "case": self.state.view(), "now": self.now},
                )
                self._new_target(
                    id=f"{policy.name}/{rule.name}@manual-{len(self.state.targets) + 1}",
                    name=rule.name,
                    policy=policy.name,
                    kind=TargetKind.PROMISE,
                    start=self.now,
                    duration=rule.due,
                    at_risk=rule.at_risk,
                    escalation=rule.escalation,
                    detail=request.detail or f"recorded by {request.by}",
                    due_override=request.due_at,
                )
                return
        raise ValueError(f"no promise rule named {request.promise!r} in the policy set")

    def _acknowledge(self, policy: PolicyRuntime, event: TicketEvent, *, matches: bool) -> None:
        assert self.evaluator is not None
        rule = policy.acknowledge
        if rule is None:
            return
        test = self.evaluator.test
        waiting = [t for t in self._instances(policy.name, "acknowledge") if t.open]
        if waiting and test(rule.acknowledged, policy=policy.name, rule="acknowledge"):
            for target in waiting:
                self._meet(target, event.time, f"{event.kind.value} by {event.actor.role.value}")
            return
        if matches and not waiting and test(rule.when, policy=policy.name, rule="acknowledge"):
            self._new_target(
                id=f"{policy.name}/acknowledge@{event.id}",
                name="acknowledge",
                policy=policy.name,
                kind=TargetKind.ACKNOWLEDGEMENT,
                start=event.time,
                duration=rule.within,
                at_risk=rule.at_risk,
                escalation=rule.escalation,
                detail=f"inbound {event.kind.value} {event.id}",
            )

    def _reopen_unanswered(self, matching: list[PolicyRuntime], event: TicketEvent) -> None:
        """No silent auto-sort: a ticket solved or closed without any human reply comes back."""
        assert self.evaluator is not None
        if self.state.human_replied or self.state.ticket.status not in _CLOSED:
            return
        if event.kind not in (EventKind.STATUS_CHANGED, EventKind.CREATED):
            return
        for policy in matching:
            rule = policy.acknowledge
            if rule is None or not rule.spec.reopen_unanswered:
                continue
            if self.evaluator.test(rule.reopen_unless, policy=policy.name, rule="acknowledge"):
                return
            status = self.state.ticket.status.value
            who = event.actor.name or event.actor.id or event.actor.role.value
            reason = f"ticket {status} by {who} without any human reply"
            if self.state.ticket.status is TicketStatus.SOLVED:
                self._act(
                    SetStatus,
                    f"reopen/{event.id}",
                    reason=reason + "; reopened",
                    policy=policy.name,
                    rule="acknowledge",
                    status=TicketStatus.OPEN,
                )
            self._act(
                AddInternalNote,
                f"reopen-note/{event.id}",
                reason=reason,
                policy=policy.name,
                rule="acknowledge",
                body=(
                    f"This ticket was {status} by {who} but nobody has answered the customer. "
                    f"serviceflow brought it back to {self.state.owner or 'its owner'}; "
                    "please reply to the customer."
                ),
            )
            return
