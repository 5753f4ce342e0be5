"""Simulating a scenario: the engine in-process, a simulated clock and a simulated helpdesk.

Time moves only by ``advance`` and ``at`` steps; on the way, every wake-up the engine asked for
is delivered at its exact time (cases due at the same instant in the order of their ticket ids),
so escalations happen when they would in production. Actions change the simulated tickets the
way the helpdesk would (an assignment sets the assignee), and a ``link_case`` action reaches the
other case, as the durable shell does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pydantic

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import (
    Context,
    EngineInput,
    EventInput,
    LinkContact,
    ReassignOwner,
    RecordPromise,
    RequestRemedy,
    ResolveApproval,
    WakeUp,
)
from serviceflow.engine.quarantine import Triage, arrival_event, departure_event, recovery_event, triage
from serviceflow.engine.rules import Rules
from serviceflow.engine.timers import next_wake_up
from serviceflow.errors import describe_validation
from serviceflow.model import (
    Action,
    Actor,
    ActorRole,
    AddTags,
    AssignOwner,
    CaseState,
    EventKind,
    LinkCase,
    QuarantinedMessage,
    RemoveTags,
    Requester,
    Roster,
    SetPriority,
    SetStatus,
    Ticket,
    TicketEvent,
    TicketKind,
)
from serviceflow.model.bounds import EARLIEST, LATEST
from serviceflow.scenarios.clock import ScenarioError, SimulatedClock
from serviceflow.scenarios.model import (
    AdvanceStep,
    ApproveStep,
    AtStep,
    ChangePoliciesStep,
    EventStep,
    LeftQueueStep,
    MessageSeed,
    PolicyChange,
    PromiseStep,
    QuarantinedStep,
    ReassignStep,
    RemedyStep,
    Scenario,
    Step,
)

#: Loads the policy set a ``change_policies`` step names, given the rules in force.
PolicyLoader = Callable[[PolicyChange, Rules, int], Rules]


@dataclass(frozen=True)
class Issued:
    time: datetime
    ticket: str
    action: Action


class Simulation:
    def __init__(self, scenario: Scenario, rules: Rules, load_policies: PolicyLoader | None = None) -> None:
        self.scenario = scenario
        self.rules = rules
        self.versions = [rules.version]  # every policy set version the scenario switched to
        self.load_policies = load_policies
        self.clock = SimulatedClock.starting(scenario.start, rules)
        self.roster: Roster = scenario.roster
        self.tickets: dict[str, Ticket] = {}
        for seed in scenario.tickets:
            data = seed.model_dump()
            data["requester"] = Requester.model_validate(data["requester"])
            self.tickets[seed.id] = Ticket(
                vendor=scenario.vendor,
                account=scenario.account,
                created_at=scenario.start,
                updated_at=scenario.start,
                **data,
            )
        self.messages: dict[str, MessageSeed] = {seed.id: seed for seed in scenario.quarantine}
        self.quarantined: dict[str, QuarantinedMessage] = {}
        self.triaged: dict[str, Triage] = {}
        self.primary = scenario.tickets[0].id
        self.cases: dict[str, CaseState] = {}
        self.issued: list[Issued] = []
        self.errors: list[tuple[datetime, str, str]] = []  # rule errors: when, ticket, what
        self.events = 0
        self.exercised: set[tuple[str, str]] = set()
        self.decisions = 0

    @property
    def now(self) -> datetime:
        return self.clock.now

    def local_now(self) -> datetime:
        """The current moment as the scenario's people read it, in the policy set's zone."""
        return self.clock.now.astimezone(self.clock.zone)

    # -- the engine ----------------------------------------------------------------------------

    def decide(self, ticket_id: str, engine_input: EngineInput, now: datetime) -> None:
        state = self.cases.get(ticket_id)
        requester = self.tickets[ticket_id].requester.id
        others = tuple(
            case
            for other_id, case in self.cases.items()
            if other_id != ticket_id and case.ticket.requester.id == requester and not case.finished
        )
        outcome = decide(state, engine_input, now, self.rules, Context(roster=self.roster, open_cases=others))
        self.decisions += 1
        self.cases[ticket_id] = outcome.state
        for target in outcome.state.targets:
            self.exercised.add((target.policy, target.name))
        for change in outcome.state.ownership:
            self.exercised.add((change.policy, change.rule))
        for journey in outcome.state.journeys:
            self.exercised.add((journey.name, "start"))
        if outcome.decision is not None:
            self.errors.extend((now, ticket_id, error) for error in outcome.decision.errors)
        for action in outcome.actions:
            self.issued.append(Issued(now, ticket_id, action))
            self.exercised.add((action.policy, action.rule))
            self._apply(ticket_id, action, now)

    def _apply(self, ticket_id: str, action: Action, now: datetime) -> None:
        """What the helpdesk (and the durable shell) would do with an action."""
        ticket = self.tickets[ticket_id]
        changes: dict[str, Any] = {}
        if isinstance(action, AssignOwner):
            changes = {"assignee": action.agent, "group": action.group or ticket.group}
            if action.agent:
                self._count_assignment(action.agent, now)
        elif isinstance(action, SetStatus):
            changes = {"status": action.status}
        elif isinstance(action, SetPriority):
            changes = {"priority": action.priority}
        elif isinstance(action, AddTags):
            changes = {"tags": (*ticket.tags, *(t for t in action.tags if t not in ticket.tags))}
        elif isinstance(action, RemoveTags):
            changes = {"tags": tuple(t for t in ticket.tags if t not in action.tags)}
        elif isinstance(action, LinkCase):
            target = next((tid for tid, case in self.cases.items() if case.case_id == action.case_id), None)
            if target is not None:
                self.decide(target, LinkContact(ticket_key=action.ticket_key, time=now), now)
        if changes:
            self.tickets[ticket_id] = ticket.model_copy(update={**changes, "updated_at": now})

    def _count_assignment(self, agent_id: str, now: datetime) -> None:
        agents = tuple(
            a.model_copy(update={"open_cases": a.open_cases + 1, "last_assigned_at": now})
            if a.id == agent_id
            else a
            for a in self.roster.agents
        )
        self.roster = self.roster.model_copy(update={"agents": agents})

    def advance_to(self, moment: datetime) -> None:
        if not EARLIEST <= moment < LATEST:  # what a case's times hold (the start's own window)
            raise ScenarioError(
                f"time cannot reach {moment.isoformat()}: a case's times lie from "
                f"{EARLIEST.date()} up to {LATEST.date()}; advance less or start earlier"
            )
        if moment < self.now:
            raise ScenarioError(
                f"time cannot go back from {self.clock.fmt(self.now)} to {self.clock.fmt(moment)}"
            )
        while True:
            due = [
                (wake, ticket_id)
                for ticket_id, case in self.cases.items()
                if (wake := next_wake_up(case)) is not None and wake <= moment
            ]
            if not due:
                break
            wake, ticket_id = min(due)
            self.clock.now = max(self.now, wake)
            self.decide(ticket_id, WakeUp(), self.now)
        self.clock.now = moment

    # -- steps ---------------------------------------------------------------------------------

    def run_step(self, step: Step, index: int = 0) -> None:
        """Carry out step ``index`` (an ``expect`` is checked by :mod:`serviceflow.scenarios.expect`)."""
        if isinstance(step, AdvanceStep):
            self.advance_to(self.clock.after(step.advance, self.rules))
        elif isinstance(step, AtStep):
            self.advance_to(self.clock.moment(step.at))
        elif isinstance(step, EventStep):
            self._event(step)
        elif isinstance(step, RemedyStep):
            by = step.by.id if step.by is not None and not isinstance(step.by, str) else None
            self._manual(step.ticket, RequestRemedy(remedy=step.remedy, by=by or "owner"))
        elif isinstance(step, ApproveStep):
            self._manual(step.ticket, ResolveApproval(**{"approved": True, **step.approve}))
        elif isinstance(step, ReassignStep):
            self._manual(step.ticket, ReassignOwner(**{"reason": "scenario", "by": "lead", **step.reassign}))
        elif isinstance(step, PromiseStep):
            self._manual(step.ticket, RecordPromise(**{"by": "owner", **step.promise}))
        elif isinstance(step, QuarantinedStep):
            self._quarantine(step.quarantined, step.becomes)
        elif isinstance(step, LeftQueueStep):
            self._left_queue(step.left_queue)
        elif isinstance(step, ChangePoliciesStep):
            if self.load_policies is None:
                raise ScenarioError("change_policies: this run cannot load another policy set")
            self.rules = self.load_policies(step.change_policies, self.rules, index)
            self.versions.append(self.rules.version)

    def _manual(self, ticket: str | None, engine_input: EngineInput) -> None:
        ticket_id = ticket or self.primary
        if ticket_id not in self.cases:
            raise ScenarioError(f"ticket {ticket_id} has no case yet: send an event first")
        try:
            self.decide(ticket_id, engine_input, self.now)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None

    def _event(self, step: EventStep) -> None:
        ticket_id = step.ticket or self.primary
        if ticket_id not in self.tickets:
            raise ScenarioError(
                f"unknown ticket {ticket_id!r}; the scenario's tickets: {', '.join(self.tickets)}"
            )
        try:
            kind = EventKind(step.event)
        except ValueError:
            known = ", ".join(k.value for k in EventKind)
            raise ScenarioError(f"unknown event {step.event!r}; events: {known}") from None
        before = self.tickets[ticket_id]
        changes: dict[str, Any] = dict(step.set)
        if step.add_tags or step.remove_tags:
            tags = [t for t in (*before.tags, *step.add_tags) if t not in step.remove_tags]
            changes["tags"] = list(dict.fromkeys(tags))
        if changes:
            try:
                after = Ticket.model_validate({**before.model_dump(), **changes, "updated_at": self.now})
            except pydantic.ValidationError as exc:  # name the field, never echo the value
                raise ScenarioError(f"bad ticket change: {describe_validation(exc, prefix='set')}") from None
        else:
            after = before.model_copy(update={"updated_at": self.now})
        self.tickets[ticket_id] = after
        previous = {
            name: _text(getattr(before, name))
            for name in changes
            if getattr(before, name) != getattr(after, name)
        }
        self.events += 1
        event = TicketEvent(
            id=step.id or f"{ticket_id}-e{self.events}",
            kind=kind,
            time=self.now,
            actor=self._actor(step, kind),
            ticket=after,
            body=step.body or "",
            public=step.public
            if step.public is not None
            else (kind in (EventKind.AGENT_REPLY, EventKind.CUSTOMER_MESSAGE, EventKind.CREATED)),
            changes=previous,
        )
        for _ in range(step.repeat):
            self.decide(ticket_id, EventInput(event=event), self.now)

    def _actor(self, step: EventStep, kind: EventKind) -> Actor:
        by = step.by
        if by is None:
            role = (
                ActorRole.CUSTOMER
                if kind in (EventKind.CREATED, EventKind.CUSTOMER_MESSAGE)
                else ActorRole.AGENT
            )
            return Actor(role=role)
        if isinstance(by, str):
            return Actor(role=ActorRole(by))
        agent = self.roster.agent(by.id) if by.role == "agent" else None
        return Actor(role=ActorRole(by.role), id=by.id, name=by.name or (agent.name if agent else None))

    # -- quarantined mail ----------------------------------------------------------------------

    def _quarantine(self, message_id: str, becomes: str | None) -> None:
        """What the quarantine watcher does with a message it finds: triage, then act."""
        seed = self.messages.get(message_id)
        if seed is None:
            known = ", ".join(self.messages) or "none"
            raise ScenarioError(f"unknown quarantined message {message_id!r}; the scenario's: {known}")
        message = QuarantinedMessage(
            id=seed.id,
            vendor=self.scenario.vendor,
            account=self.scenario.account,
            sender=Requester.model_validate(seed.sender),
            subject=seed.subject,
            excerpt=seed.excerpt,
            cause=seed.cause,
            recipient=seed.recipient,
            received_at=self.now,
            expires_at=self.now + timedelta(days=14),  # the clock is UTC: elapsed, not wall, days
        )
        self.quarantined[seed.id] = message
        senders_cases = [
            case
            for case in self.cases.values()
            if case.ticket.kind is TicketKind.TICKET
            and case.ticket.requester.id == message.sender.id
            and not case.finished
        ]
        verdict = triage(message, self.rules, senders_cases, self.now)
        self.triaged[seed.id] = verdict
        self.exercised.add((verdict.policy, verdict.rule))
        if verdict.verdict == "review":
            event = arrival_event(message)
        elif verdict.verdict == "recover":
            ticket = Ticket(
                id=becomes or f"recovered-{seed.id}",
                vendor=message.vendor,
                account=message.account,
                subject=message.subject,
                channel=message.channel,
                requester=message.sender,
                recipient=message.recipient,
                created_at=self.now,
                updated_at=self.now,
            )
            event = recovery_event(message, ticket)
        else:
            return
        self.tickets[event.ticket.id] = event.ticket
        self.decide(event.ticket.id, EventInput(event=event), self.now)

    def _left_queue(self, message_id: str) -> None:
        message = self.quarantined.get(message_id)
        if message is None:
            raise ScenarioError(f"message {message_id!r} was never quarantined: add a `quarantined` step")
        event = departure_event(message, self.now, "recovered or deleted by a person in the helpdesk")
        if event.ticket.id in self.cases:
            self.tickets[event.ticket.id] = event.ticket
            self.decide(event.ticket.id, EventInput(event=event), self.now)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return getattr(value, "value", None) or str(value)
