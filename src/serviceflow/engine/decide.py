"""decide(state, input, now, rules, context) -> Outcome: the functional core of serviceflow.

Pure and deterministic: no I/O, no clock reads, no randomness. Every action carries the reason,
the policy and the rule that issued it, and every decision records the policy set version.

An event is handled in three steps: timers due before the event happened are processed, then
the event itself (at its own time), then timers due up to ``now``. Wake-ups only process timers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import (
    Context,
    EngineInput,
    EventInput,
    LinkContact,
    Outcome,
    ReassignOwner,
    RecordPromise,
    RequestRemedy,
    ResolveApproval,
    WakeUp,
)
from serviceflow.engine.people import OwnerChoice, choose_owner, fallback_owner, resolve
from serviceflow.engine.rules import Duration, PolicyRuntime, Rules, TargetRuntime
from serviceflow.engine.summary import case_summary
from serviceflow.model import (
    Action,
    ActorRole,
    AddInternalNote,
    AssignOwner,
    CaseState,
    Decision,
    Deferred,
    EventKind,
    JourneyState,
    LinkCase,
    MergeTickets,
    Notify,
    OwnershipChange,
    SetStatus,
    TargetKind,
    TargetState,
    TargetStatus,
    TicketEvent,
    TicketStatus,
)

SEEN_EVENTS_KEPT = 500
DECISIONS_KEPT = 200
TIMELINE_KEPT = 30
_CLOSED = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def decide(
    state: CaseState | None,
    engine_input: EngineInput,
    now: datetime,
    rules: Rules,
    context: Context | None = None,
) -> Outcome:
    """Decide on one input.

    Args:
        state: the case so far; None for the first event of a new case.
        engine_input: a ticket event, a wake-up, or a manual operation.
        now: the current time, as the caller's clock (or a simulated one) says.
        rules: the compiled policy set.
        context: the roster and the requester's other open cases.

    Returns:
        The new state, the actions to carry out (in order), and the next wake-up time.
    """
    return _Run(state, engine_input, now, rules, context or Context()).run()


def next_wake_up(state: CaseState) -> datetime | None:
    """The earliest moment a timer of this case needs the engine again."""
    times: list[datetime] = [d.send_at for d in state.deferred]
    for target in state.targets:
        if target.status is TargetStatus.RUNNING:
            if target.warn_at is not None and not target.warned:
                times.append(target.warn_at)
            if target.due_at is not None:
                times.append(target.due_at)
        elif target.status is TargetStatus.BREACHED and target.next_level_at is not None:
            times.append(target.next_level_at)
    return min(times) if times else None


@dataclass
class _Timed:
    time: datetime
    order: int
    action: Action


@dataclass
class _Run:
    state_in: CaseState | None
    engine_input: EngineInput
    now: datetime
    rules: Rules
    context: Context
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evaluator: Evaluator | None = None

    # -- entry ---------------------------------------------------------------------------------

    def run(self) -> Outcome:
        engine_input = self.engine_input
        if isinstance(engine_input, EventInput):
            event = engine_input.event
            if self.state_in is not None and event.id in self.state_in.seen_events:
                return Outcome(self.state_in, (), next_wake_up(self.state_in), None)
            self.state = self.state_in or CaseState(
                case_id=event.ticket.key, ticket=event.ticket, opened_at=event.time
            )
            self._advance(min(event.time, self.now))
            self._on_event(event, new_case=self.state_in is None)
            label = f"{event.kind.value} {event.id}"
        else:
            if self.state_in is None:
                raise ValueError("only a ticket event can start a case")
            self.state = self.state_in
            label = self._on_manual(engine_input)
        self._cancel_stale_targets()
        self._advance(self.now)
        self._close_if_done()
        return self._outcome(label)

    def _outcome(self, label: str) -> Outcome:
        errors = tuple(str(e) for e in self.evaluator.errors) if self.evaluator else ()
        if not self.actions and not self.notes and not errors and isinstance(self.engine_input, WakeUp):
            return Outcome(self.state, (), next_wake_up(self.state), None)
        decision = Decision(
            time=self.now,
            input=label,
            policy_version=self.rules.version,
            actions=tuple(self.actions),
            notes=tuple(self.notes),
            errors=errors,
        )
        self.state = self.state.model_copy(
            update={
                "decisions": (*self.state.decisions, decision)[-DECISIONS_KEPT:],
                "issued": (*self.state.issued, *(a.key for a in self.actions)),
            }
        )
        return Outcome(
            self.state, tuple(self.actions), next_wake_up(self.state), decision, self._evaluations()
        )

    def _evaluations(self) -> int:
        return self.evaluator.counter[0] if self.evaluator else 0

    # -- helpers -------------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        self.state = self.state.model_copy(update=changes)

    def _key(self, purpose: str) -> str:
        return f"{self.state.case_id}/{purpose}"

    def _emit(self, action: Action) -> None:
        if action.key in self.state.issued or any(a.key == action.key for a in self.actions):
            return  # carried out once, however often the input repeats
        self.actions.append(action)

    def _replace_target(self, target: TargetState) -> None:
        self._update(targets=tuple(target if t.id == target.id else t for t in self.state.targets))

    def _add_target(self, target: TargetState) -> None:
        self._update(targets=(*self.state.targets, target))

    def _calendar(self, name: str | None) -> BusinessCalendar:
        return self.rules.calendar(name)

    def _instances(self, policy: str, name: str) -> list[TargetState]:
        return [t for t in self.state.targets if t.policy == policy and t.name == name]

    # -- events --------------------------------------------------------------------------------

    def _on_event(self, event: TicketEvent, *, new_case: bool) -> None:
        state = self.state
        freshest = event.ticket if event.ticket.updated_at >= state.ticket.updated_at else state.ticket
        self._update(
            ticket=freshest,
            seen_events=(*state.seen_events, event.id)[-SEEN_EVENTS_KEPT:],
        )
        self.evaluator = Evaluator(
            self.rules.environment,
            {"ticket": freshest, "event": event, "case": self.state.view, "now": event.time},
            cache=self.rules.cache,
        )
        matching = [
            p for p in self.rules.policies if self.evaluator.test(p.match, policy=p.name, rule="match")
        ]
        linked = new_case and self._same_case(matching, event)
        if not linked:
            self._ownership(matching, event)
        if event.kind is EventKind.AGENT_REPLY and event.actor.role is ActorRole.AGENT:
            self._update(human_replied=True)
        self._remember(event)
        for policy in self.rules.policies:
            self._targets(policy, event, matches=policy in matching)
            self._promises(policy, event, matches=policy in matching)
            self._acknowledge(policy, event, matches=policy in matching)
        self._reopen_unanswered(matching, event)
        self._journeys(event)
        if event.ticket.status is TicketStatus.CLOSED:
            self._ticket_closed(event.time)
        if self.evaluator.errors:
            self._apply_fallback(event)

    def _remember(self, event: TicketEvent) -> None:
        """Keep the story: what the customer said and what people did, for the case summary."""
        who = event.actor.name or event.actor.id or event.actor.role.value
        text = " ".join((event.body or "").split())
        text = f": {text[:117]}..." if len(text) > 120 else (f": {text}" if text else "")
        entry = {
            EventKind.CREATED: f"{who} opened ticket {event.ticket.id} ({event.ticket.channel.value})",
            EventKind.CUSTOMER_MESSAGE: f"{who} wrote",
            EventKind.AGENT_REPLY: f"{who} replied",
            EventKind.INTERNAL_NOTE: f"{who} noted",
            EventKind.STATUS_CHANGED: f"{who} set the status to {event.ticket.status.value}",
        }.get(event.kind)
        if entry is not None:
            line = f"{self._fmt(event.time)} {entry}{text}"
            self._update(timeline=(*self.state.timeline, line)[-TIMELINE_KEPT:])

    def _on_manual(self, engine_input: EngineInput) -> str:
        if isinstance(engine_input, WakeUp):
            return "wake-up"
        if isinstance(engine_input, ReassignOwner):
            self._set_owner(
                OwnerChoice(
                    owner=engine_input.agent,
                    group=None,
                    policy="manual",
                    rule="reassign",
                    reason=f"reassigned by {engine_input.by}: {engine_input.reason}",
                ),
                self.now,
            )
            return f"reassign owner to {engine_input.agent}"
        if isinstance(engine_input, RecordPromise):
            self._record_promise_by_hand(engine_input)
            return f"record promise {engine_input.promise}"
        if isinstance(engine_input, RequestRemedy):
            self._request_remedy(engine_input)
            return f"remedy request {engine_input.remedy.kind} {engine_input.remedy.amount}"
        if isinstance(engine_input, ResolveApproval):
            self._resolve_approval(engine_input)
            return f"approval {engine_input.approval}"
        if isinstance(engine_input, LinkContact):
            if engine_input.ticket_key not in self.state.linked_tickets:
                self._update(linked_tickets=(*self.state.linked_tickets, engine_input.ticket_key))
                self.notes.append(f"repeat contact {engine_input.ticket_key} joined this case")
            return f"link contact {engine_input.ticket_key}"
        raise TypeError(f"unknown input {engine_input!r}")

    # -- ownership -----------------------------------------------------------------------------

    def _set_owner(self, choice: OwnerChoice, time: datetime, *, assign: bool = True) -> None:
        previous = self.state.owner
        if previous == choice.owner and self.state.ticket.assignee == choice.owner:
            return
        if previous != choice.owner:
            change = OwnershipChange(
                time=time,
                previous=previous,
                owner=choice.owner,
                reason=choice.reason,
                policy=choice.policy,
                rule=choice.rule,
            )
            self._update(owner=choice.owner, ownership=(*self.state.ownership, change))
        if assign:
            agent = None if choice.owner.startswith("group:") else choice.owner
            group = choice.group or (choice.owner.partition(":")[2] if agent is None else None)
            if group is None:
                # The helpdesk wants an assignee inside the ticket's group: keep them together.
                member = self.context.roster.agent(agent)
                group = member.groups[0] if member and member.groups else None
            self._emit(
                AssignOwner(
                    key=self._key(f"assign/{len(self.state.ownership)}@{self._input_id()}"),
                    reason=choice.reason,
                    policy=choice.policy,
                    rule=choice.rule,
                    agent=agent,
                    group=group,
                )
            )

    def _ownership(self, matching: list[PolicyRuntime], event: TicketEvent) -> None:
        assert self.evaluator is not None
        ticket = self.state.ticket
        owner = self.state.owner
        if owner is None:
            if ticket.assignee and self.context.roster.agent(ticket.assignee):
                self._set_owner(
                    OwnerChoice(
                        ticket.assignee,
                        None,
                        "helpdesk",
                        "assignee",
                        "already assigned in the helpdesk",
                    ),
                    event.time,
                    assign=False,
                )
                return
            rules = [o for p in matching for o in p.owners]
            choice = choose_owner(rules, self.evaluator, self.context.roster)
            if choice is None:
                choice = fallback_owner(
                    self.rules.fallback.owner,
                    self.context.roster,
                    "no owner rule found an available agent; the fallback pool owns it",
                )
            self._set_owner(choice, event.time)
            return
        pool = owner.partition(":")[2] if owner.startswith("group:") else None
        if ticket.assignee is None and (pool is None or ticket.group != pool):
            where = f" (filed to group {ticket.group})" if ticket.group else ""
            self._set_owner(
                OwnerChoice(
                    owner,
                    None,
                    "serviceflow",
                    "one-owner",
                    f"ticket was left without an assignee{where}; back to its owner",
                ),
                event.time,
            )
        elif ticket.assignee != owner and event.kind is EventKind.ASSIGNED:
            who = event.actor.name or event.actor.id or event.actor.role.value
            self._set_owner(
                OwnerChoice(
                    ticket.assignee,
                    None,
                    "helpdesk",
                    "reassigned",
                    f"reassigned in the helpdesk by {who}",
                ),
                event.time,
                assign=False,
            )

    def _apply_fallback(self, event: TicketEvent) -> None:
        """A rule failed on this ticket: a person from the fallback pool must look at it."""
        assert self.evaluator is not None
        if self.state.owner is None:
            self._set_owner(
                fallback_owner(self.rules.fallback.owner, self.context.roster, "a policy rule failed"),
                event.time,
            )
        details = "\n".join(f"- {error}" for error in self.evaluator.errors)
        self._emit(
            AddInternalNote(
                key=self._key(f"fallback/{event.id}"),
                reason="a policy rule failed on this ticket; the safe default was applied",
                policy="fallback",
                rule="fallback",
                body=f"{self.rules.fallback.note}\n{details}",
            )
        )

    # -- repeat contacts -----------------------------------------------------------------------

    def _same_case(self, matching: list[PolicyRuntime], event: TicketEvent) -> bool:
        assert self.evaluator is not None
        for policy in matching:
            if policy.same_case is None:
                continue
            spec, expression = policy.same_case
            for other in self.context.open_cases:
                if other.case_id == self.state.case_id or other.finished:
                    continue
                candidate = self.evaluator.with_values(other=other.view(), other_ticket=other.ticket)
                if not candidate.test(expression, policy=policy.name, rule="same_case"):
                    continue
                self._link(policy, other, merge=spec.merge, time=event.time)
                return True
        return False

    def _link(self, policy: PolicyRuntime, other: CaseState, *, merge: bool, time: datetime) -> None:
        reason = f"repeat contact: the customer's open case {other.case_id} continues here"
        if other.owner:
            self._set_owner(OwnerChoice(other.owner, None, policy.name, "same_case", reason), time)
        else:
            self._ownership([policy], self._event())
        zone = self._zone()
        self._emit(
            AddInternalNote(
                key=self._key(f"summary/{other.case_id}"),
                reason=f"case summary of {other.case_id}, so the customer need not repeat it",
                policy=policy.name,
                rule="same_case",
                body=case_summary(other, zone=zone),
            )
        )
        self._emit(
            LinkCase(
                key=self._key(f"link/{other.case_id}"),
                reason=reason,
                policy=policy.name,
                rule="same_case",
                case_id=other.case_id,
                ticket_key=self.state.case_id,
            )
        )
        if merge:
            self._emit(
                MergeTickets(
                    key=self._key(f"merge/{other.ticket.id}"),
                    reason=f"same matter as ticket {other.ticket.id}",
                    policy=policy.name,
                    rule="same_case",
                    into_ticket=other.ticket.id,
                )
            )
        self._update(linked_tickets=(*self.state.linked_tickets, other.case_id))

    def _input_id(self) -> str:
        """What makes an action's key unique to this input, and the same when it is repeated."""
        if isinstance(self.engine_input, EventInput):
            return self.engine_input.event.id
        return self.now.isoformat()

    def _event(self) -> TicketEvent:
        assert isinstance(self.engine_input, EventInput)
        return self.engine_input.event

    def _zone(self) -> Any:
        calendar = self.rules.defaults.calendar
        return self._calendar(calendar).zone if calendar else None

    def _fmt(self, moment: datetime | None) -> str:
        """Times people read are in the policy set's local time."""
        if moment is None:
            return "-"
        zone = self._zone()
        return (moment.astimezone(zone) if zone else moment).strftime("%a %d %b %Y %H:%M %Z")

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

    def _progress(self, rule: TargetRuntime, target: TargetState, event: TicketEvent) -> None:
        assert self.evaluator is not None
        test = self.evaluator.test
        if test(rule.stop, policy=rule.policy, rule=rule.name):
            self._meet(target, event.time, f"{event.kind.value} by {event.actor.role.value}")
            return
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
                self._emit(
                    SetStatus(
                        key=self._key(f"reopen/{event.id}"),
                        reason=reason + "; reopened",
                        policy=policy.name,
                        rule="acknowledge",
                        status=TicketStatus.OPEN,
                    )
                )
            self._emit(
                AddInternalNote(
                    key=self._key(f"reopen-note/{event.id}"),
                    reason=reason,
                    policy=policy.name,
                    rule="acknowledge",
                    body=(
                        f"This ticket was {status} by {who} but nobody has answered the customer. "
                        f"serviceflow brought it back to {self.state.owner or 'its owner'}; "
                        "please reply to the customer."
                    ),
                )
            )
            return

    # -- journeys ------------------------------------------------------------------------------

    def _journeys(self, event: TicketEvent) -> None:
        assert self.evaluator is not None
        for journey in self.rules.journeys:
            current = next((j for j in self.state.journeys if j.name == journey.name), None)
            if current is None:
                if not self.evaluator.test(journey.start, policy=journey.name, rule="start"):
                    continue
                current = JourneyState(name=journey.name, stage=0, started_at=event.time)
                self._update(journeys=(*self.state.journeys, current))
                self.notes.append(f"{journey.name}: journey started")
                self._start_stage(journey.name, 0, event.time)
            if current.finished_at is not None:
                continue
            while current.finished_at is None:
                stage = journey.stages[current.stage]
                target = next((t for t in self._instances(journey.name, stage.spec.name) if t.open), None)
                if target is None:
                    break
                if not self.evaluator.test(stage.done, policy=journey.name, rule=stage.spec.name):
                    break
                self._meet(target, event.time, "stage done")
                if current.stage + 1 < len(journey.stages):
                    current = current.model_copy(update={"stage": current.stage + 1})
                    self._start_stage(journey.name, current.stage, event.time)
                else:
                    current = current.model_copy(update={"finished_at": event.time})
                    self.notes.append(f"{journey.name}: journey finished")
                self._update(
                    journeys=tuple(current if j.name == journey.name else j for j in self.state.journeys)
                )

    def _start_stage(self, journey_name: str, index: int, time: datetime) -> None:
        journey = next(j for j in self.rules.journeys if j.name == journey_name)
        stage = journey.stages[index]
        handoff = stage.spec.handoff
        assignee = resolve([handoff], self.state.owner, self.context.roster)[0] if handoff else None
        target = self._new_target(
            id=f"{journey.name}/{stage.spec.name}#{index + 1}",
            name=stage.spec.name,
            policy=journey.name,
            kind=TargetKind.STAGE,
            start=time,
            duration=stage.within,
            at_risk=stage.at_risk,
            escalation=stage.escalation,
            assignee=assignee,
            detail=stage.spec.note or "",
        )
        if target is None or handoff is None:
            return
        due = f"{self._fmt(target.due_at)}"
        reason = f"journey {journey.name}: stage {stage.spec.name} handed to {handoff}"
        self._emit(
            Notify(
                key=self._key(f"handoff/{target.id}"),
                reason=reason,
                policy=journey.name,
                rule=stage.spec.name,
                recipients=(assignee or handoff,),
                subject=f"Handoff: {stage.spec.name} for ticket {self.state.ticket.id} (due {due})",
                body=stage.spec.note or f"Please complete '{stage.spec.name}' by {due}.",
            )
        )
        self._emit(
            AddInternalNote(
                key=self._key(f"handoff-note/{target.id}"),
                reason=reason,
                policy=journey.name,
                rule=stage.spec.name,
                body=(
                    f"Handed to {handoff} for '{stage.spec.name}', due {due}. "
                    f"{self.state.owner or 'The owner'} stays accountable for this case."
                ),
            )
        )

    # -- authority -----------------------------------------------------------------------------

    def _request_remedy(self, request: RequestRemedy) -> None:
        remedy = request.remedy
        evaluator = Evaluator(
            self.rules.environment,
            {
                "ticket": self.state.ticket,
                "case": self.state.view(),
                "now": self.now,
                "remedy": remedy,
            },
        )
        self.evaluator = evaluator
        text = f"{remedy.kind} {remedy.amount:g}{' ' + remedy.currency if remedy.currency else ''}"
        for policy in self.rules.policies:
            authority = policy.authority
            if authority is None:
                continue
            for name, expression in authority.grants:
                if evaluator.test(expression, policy=policy.name, rule=name):
                    self._emit(
                        AddInternalNote(
                            key=self._key(f"remedy/{len(self.state.decisions)}"),
                            reason=f"{text} granted on the spot by {request.by} under {name}",
                            policy=policy.name,
                            rule=name,
                            body=f"{request.by} granted {text} (within their authority: {name}).",
                        )
                    )
                    return
            approver = resolve([authority.spec.approver], self.state.owner, self.context.roster)
            target = self._new_target(
                id=f"{policy.name}/authority#{len(self._instances(policy.name, 'authority')) + 1}",
                name="authority",
                policy=policy.name,
                kind=TargetKind.APPROVAL,
                start=self.now,
                duration=authority.approve_within,
                at_risk=self.rules.defaults.at_risk,
                escalation=authority.escalation,
                assignee=approver[0] if approver else None,
                detail=f"{text} requested by {request.by}",
            )
            if target is None:
                return
            self._emit(
                Notify(
                    key=self._key(f"approval/{target.id}"),
                    reason=f"{text} is over {request.by}'s authority: approval requested",
                    policy=policy.name,
                    rule="authority",
                    recipients=tuple(approver) or (self.rules.fallback.owner,),
                    subject=f"Approval needed: {text} on ticket {self.state.ticket.id}",
                    body=(
                        f"{request.by} asks to grant {text}. Please approve or decline by "
                        f"{self._fmt(target.due_at)} (approval {target.id})."
                    ),
                )
            )
            return

    def _resolve_approval(self, decision: ResolveApproval) -> None:
        target = next((t for t in self.state.targets if t.id == decision.approval), None)
        if target is None or target.kind is not TargetKind.APPROVAL:
            raise ValueError(f"no approval {decision.approval!r} in case {self.state.case_id}")
        if not target.open:
            return
        verdict = "approved" if decision.approved else "declined"
        self._meet(target, self.now, f"{verdict} by {decision.by}")
        self._emit(
            AddInternalNote(
                key=self._key(f"approval-result/{target.id}"),
                reason=f"{target.detail}: {verdict} by {decision.by}",
                policy=target.policy,
                rule="authority",
                body=f"{target.detail}: {verdict} by {decision.by}.",
            )
        )

    # -- housekeeping --------------------------------------------------------------------------

    def _cancel_stale_targets(self) -> None:
        """A rule removed from the policy set stops the targets and escalations it started."""
        names = self.rules.rule_names
        for target in self.state.targets:
            if target.open and (target.policy, target.name) not in names:
                self._cancel(target, f"its rule is not in policy set version {self.rules.version}")

    def _ticket_closed(self, time: datetime) -> None:
        """A closed ticket stops its turnaround targets; promises stand until kept or missed."""
        for target in self.state.targets:
            if (
                target.open
                and target.kind is not TargetKind.PROMISE
                and target.status is not TargetStatus.BREACHED
            ):
                self._cancel(target, "the ticket was closed")

    def _close_if_done(self) -> None:
        if self.state.closed_at is not None or self.state.ticket.status is not TicketStatus.CLOSED:
            return
        if all(t.settled for t in self.state.targets) and not self.state.deferred:
            self._update(closed_at=self.now)
            self.notes.append("case closed: the ticket is closed and every target is settled")

    # -- time ----------------------------------------------------------------------------------

    def _advance(self, until: datetime) -> None:
        """Fire every warning, breach and escalation level due up to ``until``, in time order."""
        timed: list[_Timed] = []
        for target in list(self.state.targets):
            self._advance_target(target, until, timed)
        still_waiting = []
        for deferred in self.state.deferred:
            if deferred.send_at <= until:
                timed.append(_Timed(deferred.send_at, len(timed), deferred.action))
            else:
                still_waiting.append(deferred)
        if len(still_waiting) != len(self.state.deferred):
            self._update(deferred=tuple(still_waiting))
        for item in sorted(timed, key=lambda t: (t.time, t.order)):
            self._emit(item.action)

    def _advance_target(self, target: TargetState, until: datetime, timed: list[_Timed]) -> None:
        original = target
        if target.status is TargetStatus.RUNNING and target.due_at is not None:
            if target.warn_at is not None and not target.warned and target.warn_at <= until:
                if target.warn_at < target.due_at:
                    timed.append(_Timed(target.warn_at, len(timed), self._warning(target)))
                target = target.model_copy(update={"warned": True})
            if target.due_at <= until:
                target = target.model_copy(
                    update={
                        "status": TargetStatus.BREACHED,
                        "breached_at": target.due_at,
                        "warned": True,
                        "next_level_at": self._level_time(target, 0, target.due_at),
                    }
                )
                self.notes.append(f"{target.policy}/{target.name}: BREACHED at {self._fmt(target.due_at)}")
        while (
            target.status is TargetStatus.BREACHED
            and target.next_level_at is not None
            and target.next_level_at <= until
        ):
            fired_at = target.next_level_at
            self._escalate(target, fired_at, timed)
            target = target.model_copy(
                update={
                    "level": target.level + 1,
                    "next_level_at": self._level_time(target, target.level + 1, fired_at),
                }
            )
        if target is not original:
            self._replace_target(target)

    def _level_time(self, target: TargetState, level: int, base: datetime) -> datetime | None:
        ladder = self.rules.ladder(target.escalation)
        if ladder is None or level >= len(ladder.levels):
            return None
        span = self.rules.level_delay(target.escalation or "", level)
        if span is None:
            return base
        calendar_name = (
            ladder.levels[level].calendar
            or (target.calendar if span.clock.value != "elapsed" else None)
            or self.rules.defaults.calendar
        )
        calendar = self._calendar(calendar_name if span.clock.value != "elapsed" else None)
        return calendar.deadline(base, span)

    def _responsible(self, target: TargetState) -> str | None:
        return target.assignee or self.state.owner

    def _warning(self, target: TargetState) -> Notify:
        who = self._responsible(target)
        due = f"{self._fmt(target.due_at)}" if target.due_at else "soon"
        return Notify(
            key=self._key(f"warn/{target.id}"),
            reason=(
                f"{target.name} reached {round((target.at_risk or 0) * 100)} % of its time; "
                "only the owner is warned before a breach"
            ),
            policy=target.policy,
            rule=target.name,
            recipients=(who,) if who else (self.rules.fallback.owner,),
            subject=f"At risk: {target.name} on ticket {self.state.ticket.id} is due {due}",
            body=f"{target.detail or target.name} is due {due}.",
        )

    def _escalate(self, target: TargetState, fired_at: datetime, timed: list[_Timed]) -> None:
        ladder = self.rules.ladder(target.escalation)
        if ladder is None:
            return
        level = ladder.levels[target.level]
        wanted = resolve(level.notify, self._responsible(target), self.context.roster)
        if not wanted:
            wanted = [self.rules.fallback.owner]
        cooldown = self.rules.cooldown(target.escalation or "")
        recent = _recently_notified(self.state.notified, f"{target.policy}/{target.name}", fired_at, cooldown)
        recipients = [r for r in wanted if r not in recent]
        if not recipients:
            self.notes.append(f"{target.policy}/{target.name}: level {target.level + 1} skipped (cooldown)")
            return
        action = Notify(
            key=self._key(f"escalate/{target.id}/{target.level + 1}"),
            reason=(
                f"{target.name} breached at {self._fmt(target.breached_at)}; "
                f"escalation level {target.level + 1} of {len(ladder.levels)} ({target.escalation})"
            ),
            policy=target.policy,
            rule=target.name,
            recipients=tuple(recipients),
            subject=f"Breached: {target.name} on ticket {self.state.ticket.id}",
            body=level.message
            or f"{target.detail or target.name} was due {self._fmt(target.breached_at)} and is not met.",
            escalation_level=target.level + 1,
        )
        self._update(
            notified=(
                *self.state.notified,
                *(f"{target.policy}/{target.name}|{r}|{fired_at.isoformat()}" for r in recipients),
            )
        )
        send_at = fired_at
        if level.in_business_hours:
            calendar = self._calendar(level.calendar or target.calendar or self.rules.defaults.calendar)
            send_at = calendar.next_open(fired_at)
        if send_at > self.now:
            self._update(deferred=(*self.state.deferred, Deferred(send_at=send_at, action=action)))
            self.notes.append(
                f"{target.policy}/{target.name}: level {target.level + 1} held until "
                f"{self._fmt(send_at)} (business hours)"
            )
        else:
            timed.append(_Timed(send_at, len(timed), action))


def _recently_notified(notified: Iterable[str], target: str, at: datetime, cooldown: timedelta) -> set[str]:
    recent: set[str] = set()
    for entry in notified:
        name, recipient, when = entry.split("|")
        if name == target and at - datetime.fromisoformat(when) < cooldown:
            recent.add(recipient)
    return recent
