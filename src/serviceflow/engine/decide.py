"""decide(state, input, now, rules, context) -> Outcome: the functional core of serviceflow.

Pure and deterministic: no I/O, no clock reads, no randomness. Every action carries the reason,
the policy and the rule that issued it, and every decision records the policy set version.

An event is handled in three steps: timers due before the event happened are processed, then
the event itself (at its own time), then timers due up to ``now``. Wake-ups only process timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from serviceflow.engine.clock import Clock
from serviceflow.engine.deadlines import Deadlines
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.handoffs import Handoffs
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
from serviceflow.engine.ownership import Ownership
from serviceflow.engine.people import OwnerChoice
from serviceflow.engine.rules import Rules
from serviceflow.model import (
    ActorRole,
    CaseState,
    Decision,
    EventKind,
    TargetKind,
    TargetStatus,
    TicketEvent,
    TicketStatus,
)

SEEN_EVENTS_KEPT = 500
DECISIONS_KEPT = 200
TIMELINE_KEPT = 30


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
class _Run(Ownership, Deadlines, Handoffs, Clock):
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
        if event.actor.role is ActorRole.SERVICEFLOW:
            self._on_own_write(event)
            return
        kind = freshest.kind.value
        matching = [
            p
            for p in self.rules.policies
            if p.kind == kind and self.evaluator.test(p.match, policy=p.name, rule="match")
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

    def _on_own_write(self, event: TicketEvent) -> None:
        """The echo of serviceflow's own write (its note, its assignment, its tags).

        It refreshes what the case knows of the ticket, and a target's pause follows the ticket's
        state, but it is nobody's reply or acknowledgement: no target starts, stops or is met, no
        promise is recorded or kept, no journey moves, no owner changes.
        """
        for policy in self.rules.policies:
            self._repause(policy, event)
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
