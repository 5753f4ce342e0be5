"""Running a scenario: the engine in-process, a simulated clock and a simulated helpdesk.

Time moves only by ``advance`` and ``at`` steps; on the way, every wake-up the engine asked for
is delivered at its exact time, so escalations happen when they would in production. Actions
change the simulated tickets the way the helpdesk would (an assignment sets the assignee), and a
``link_case`` action reaches the other case, as the durable shell does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from serviceflow.model import (
    Action,
    Actor,
    ActorRole,
    AddInternalNote,
    AddTags,
    AssignOwner,
    CaseState,
    EventKind,
    LinkCase,
    Notify,
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
from serviceflow.policy.durations import DurationSyntaxError, parse_duration
from serviceflow.scenarios.model import Expectation, ExpectedAction, MessageSeed, Scenario, Step

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScenarioError(Exception):
    """The scenario itself is wrong (a bad step), as opposed to an expectation that failed."""


@dataclass(frozen=True)
class Issued:
    time: datetime
    ticket: str
    action: Action


@dataclass
class StepFailure:
    step: int  # 0-based index into scenario.steps
    kind: str
    time: datetime
    lines: list[str]


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[StepFailure] = field(default_factory=list)
    error: str | None = None
    error_step: int | None = None
    exercised: set[tuple[str, str]] = field(default_factory=set)
    steps: int = 0
    decisions: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


class Simulation:
    def __init__(self, scenario: Scenario, rules: Rules) -> None:
        self.scenario = scenario
        self.rules = rules
        self.now = scenario.start.astimezone(UTC)  # arithmetic on real time, not wall time
        self.zone = self._zone()
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
        self.checked_up_to = 0
        self.events = 0
        self.exercised: set[tuple[str, str]] = set()
        self.decisions = 0

    def _zone(self) -> ZoneInfo:
        calendar = self.rules.defaults.calendar
        if calendar and calendar in self.rules.calendars:
            return self.rules.calendars[calendar].zone
        return ZoneInfo("UTC")

    # -- the engine ----------------------------------------------------------------------------

    def _decide(self, ticket_id: str, engine_input: EngineInput, now: datetime) -> None:
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
        self._note_exercised(outcome.state)
        for action in outcome.actions:
            self.issued.append(Issued(now, ticket_id, action))
            self.exercised.add((action.policy, action.rule))
            self._apply(ticket_id, action, now)

    def _note_exercised(self, state: CaseState) -> None:
        for target in state.targets:
            self.exercised.add((target.policy, target.name))
        for change in state.ownership:
            self.exercised.add((change.policy, change.rule))
        for journey in state.journeys:
            self.exercised.add((journey.name, "start"))
        if state.linked_tickets:
            for decision in state.decisions:
                for action in decision.actions:
                    self.exercised.add((action.policy, action.rule))

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
                self._decide(target, LinkContact(ticket_key=action.ticket_key, time=now), now)
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
        if moment < self.now:
            raise ScenarioError(f"time cannot go back from {self._fmt(self.now)} to {self._fmt(moment)}")
        while True:
            due = [
                (wake, ticket_id)
                for ticket_id, case in self.cases.items()
                if (wake := next_wake_up(case)) is not None and wake <= moment
            ]
            if not due:
                break
            wake, ticket_id = min(due)
            self.now = max(self.now, wake)
            self._decide(ticket_id, WakeUp(), self.now)
        self.now = moment

    # -- steps ---------------------------------------------------------------------------------

    def run_step(self, step: Step) -> list[str]:
        """Carry out one step; an ``expect`` step returns its failed checks."""
        kind = step.kind
        if kind == "advance":
            assert step.advance is not None
            self.advance_to(self._after(step.advance))
        elif kind == "at":
            assert step.at is not None
            self.advance_to(self._moment(step.at))
        elif kind == "event":
            self._event(step)
        elif kind == "remedy":
            assert step.remedy is not None
            by = self._actor_id(step) or "owner"
            self._manual(step, RequestRemedy(remedy=step.remedy, by=by))
        elif kind == "approve":
            assert step.approve is not None
            self._manual(step, ResolveApproval(**{"approved": True, **step.approve}))
        elif kind == "reassign":
            assert step.reassign is not None
            self._manual(step, ReassignOwner(**{"reason": "scenario", "by": "lead", **step.reassign}))
        elif kind == "promise":
            assert step.promise is not None
            self._manual(step, RecordPromise(**{"by": "owner", **step.promise}))
        elif kind == "quarantined":
            assert step.quarantined is not None
            self._quarantine(step.quarantined, step.becomes)
        elif kind == "left_queue":
            assert step.left_queue is not None
            self._left_queue(step.left_queue)
        elif kind == "expect":
            assert step.expect is not None
            return self.check(step.expect)
        return []

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
            expires_at=self.now + timedelta(days=14),
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
        self._decide(event.ticket.id, EventInput(event=event), self.now)

    def _left_queue(self, message_id: str) -> None:
        message = self.quarantined.get(message_id)
        if message is None:
            raise ScenarioError(f"message {message_id!r} was never quarantined: add a `quarantined` step")
        event = departure_event(message, self.now, "recovered or deleted by a person in the helpdesk")
        if event.ticket.id in self.cases:
            self.tickets[event.ticket.id] = event.ticket
            self._decide(event.ticket.id, EventInput(event=event), self.now)

    def _manual(self, step: Step, engine_input: EngineInput) -> None:
        ticket_id = step.ticket or self.primary
        if ticket_id not in self.cases:
            raise ScenarioError(f"ticket {ticket_id} has no case yet: send an event first")
        try:
            self._decide(ticket_id, engine_input, self.now)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None

    def _actor_id(self, step: Step) -> str | None:
        return step.by.id if step.by is not None and not isinstance(step.by, str) else None

    def _event(self, step: Step) -> None:
        assert step.event is not None
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
        tags = [t for t in (*before.tags, *step.add_tags) if t not in step.remove_tags]
        if step.add_tags or step.remove_tags:
            changes["tags"] = list(dict.fromkeys(tags))
        try:
            after = Ticket.model_validate({**before.model_dump(), **changes, "updated_at": self.now})
        except Exception as exc:  # pydantic's message names the field
            raise ScenarioError(f"bad ticket change {changes}: {exc}") from None
        self.tickets[ticket_id] = after
        previous = {
            name: _text(getattr(before, name))
            for name in changes
            if getattr(before, name) != getattr(after, name)
        }
        actor = self._actor(step, kind)
        self.events += 1
        event = TicketEvent(
            id=step.id or f"{ticket_id}-e{self.events}",
            kind=kind,
            time=self.now,
            actor=actor,
            ticket=after,
            body=step.body or "",
            public=step.public
            if step.public is not None
            else (kind in (EventKind.AGENT_REPLY, EventKind.CUSTOMER_MESSAGE, EventKind.CREATED)),
            changes=previous,
        )
        for _ in range(step.repeat):
            self._decide(ticket_id, EventInput(event=event), self.now)

    def _actor(self, step: Step, kind: EventKind) -> Actor:
        by = step.by
        if by is None:
            role = {
                EventKind.CREATED: ActorRole.CUSTOMER,
                EventKind.CUSTOMER_MESSAGE: ActorRole.CUSTOMER,
            }.get(kind, ActorRole.AGENT)
            return Actor(role=role)
        if isinstance(by, str):
            return Actor(role=ActorRole(by))
        agent = self.roster.agent(by.id) if by.role == "agent" else None
        return Actor(role=ActorRole(by.role), id=by.id, name=by.name or (agent.name if agent else None))

    # -- time ----------------------------------------------------------------------------------

    def _after(self, text: str) -> datetime:
        try:
            span = parse_duration(text)
        except DurationSyntaxError as exc:
            raise ScenarioError(f"advance: {exc}") from None
        if span.clock.value == "elapsed":
            return self.now + span.delta
        calendar = self.rules.calendar(self.rules.defaults.calendar)
        return calendar.deadline(self.now, span)

    def _moment(self, value: datetime | str) -> datetime:
        if isinstance(value, datetime):
            return value
        match = re.fullmatch(r"(?:(next)\s+)?([a-z]+)?\s*(\d{1,2}):(\d{2})", value.strip().lower())
        if not match:
            raise ScenarioError(
                f"at: '{value}' is not a time; write e.g. 'Tuesday 09:00', '14:30' or an ISO timestamp"
            )
        day, hour, minute = match.group(2), int(match.group(3)), int(match.group(4))
        local = self.now.astimezone(self.zone)
        candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if day is not None:
            names = [d for d in WEEKDAYS if d.startswith(day)] if len(day) >= 3 else []
            if len(names) != 1:
                raise ScenarioError(f"at: '{day}' is not a weekday")
            ahead = (WEEKDAYS.index(names[0]) - local.weekday()) % 7
            candidate = (candidate + timedelta(days=ahead)).replace(tzinfo=self.zone)
        if candidate.astimezone(UTC) < self.now:
            candidate = candidate + timedelta(days=7 if day else 1)
        return datetime.combine(candidate.date(), candidate.timetz().replace(tzinfo=None), self.zone)

    def _on_this_day(self, value: datetime | str) -> datetime:
        """In an expectation, a time without a date ("14:00") is on the current simulated day."""
        if isinstance(value, datetime):
            return value
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not match:
            raise ScenarioError(f"'{value}' is not a time; write HH:MM or an ISO timestamp")
        day = self.now.astimezone(self.zone).date()
        return datetime.combine(day, datetime.min.time(), self.zone).replace(
            hour=int(match.group(1)), minute=int(match.group(2))
        )

    def _fmt(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%a %Y-%m-%d %H:%M")

    # -- expectations --------------------------------------------------------------------------

    def check(self, expect: Expectation) -> list[str]:
        ticket_id = expect.ticket or self.primary
        case = self.cases.get(ticket_id)
        failures: list[str] = []
        since = self.issued[self.checked_up_to :]
        self.checked_up_to = len(self.issued)
        for message_id, wanted in expect.triage.items():
            failures.extend(self._check_triage(message_id, wanted))
        if case is None:
            if expect.triage and expect.ticket is None:
                return failures  # only the triage was asked about
            return [*failures, f"ticket {ticket_id} has no case (no event reached it)"]
        if expect.owner is not None and case.owner != expect.owner:
            failures.append(f"owner: expected {expect.owner}, got {case.owner}")
        if expect.no_actions and since:
            failures.append("actions: expected none, got:")
            failures.extend(f"  + {self.describe(i)}" for i in since)
        if expect.actions is not None:
            failures.extend(self._compare_actions(expect.actions, since))
        for name, wanted_target in expect.targets.items():
            failures.extend(self._check_target(case, name, wanted_target))
        if expect.breached is not None:
            breached = sorted({t.name for t in case.targets if t.breached_at is not None})
            if breached != sorted(expect.breached):
                failures.append(f"breached: expected {sorted(expect.breached)}, got {breached}")
        notes = [
            i.action.body
            for i in self.issued
            if i.ticket == ticket_id and isinstance(i.action, AddInternalNote)
        ]
        for text in expect.notes_contain:
            if not any(text in note for note in notes):
                failures.append(f"notes: no internal note contains {text!r}")
        if expect.linked is not None and sorted(case.linked_tickets) != sorted(expect.linked):
            failures.append(f"linked: expected {sorted(expect.linked)}, got {sorted(case.linked_tickets)}")
        if expect.closed is not None and (case.closed_at is not None) != expect.closed:
            failures.append(f"closed: expected {expect.closed}, got {case.closed_at is not None}")
        if expect.errors is not None:
            count = sum(len(d.errors) for d in case.decisions)
            if count != expect.errors:
                failures.append(f"errors: expected {expect.errors}, got {count}")
        return failures

    def _check_triage(self, message_id: str, wanted: str) -> list[str]:
        verdict, _, rule = (part.strip() for part in wanted.partition(" by "))
        got = self.triaged.get(message_id)
        if got is None:
            return [f"triage: message {message_id} was not triaged (no `quarantined` step for it)"]
        if got.verdict != verdict or (rule and got.rule != rule):
            got_text = f"{got.verdict} by {got.rule} ({got.reason})"
            return [f"triage of {message_id}: expected {wanted}, got {got_text}"]
        return []

    def _check_target(self, case: CaseState, name: str, wanted: str | dict[str, Any]) -> list[str]:
        instances = [t for t in case.targets if t.name == name]
        spec = {"status": wanted} if isinstance(wanted, str) else dict(wanted)
        if not instances:
            if spec.get("status") == "absent":
                return []
            known = ", ".join(sorted({t.name for t in case.targets})) or "none"
            return [f"targets.{name}: no such target on the case (targets: {known})"]
        target = instances[-1]
        failures = []
        if "status" in spec and target.status.value != spec["status"]:
            failures.append(f"targets.{name}: expected {spec['status']}, got {target.status.value}")
        if "due" in spec:
            due = self._moment(spec["due"]) if not isinstance(spec["due"], datetime) else spec["due"]
            if target.due_at is None or abs((target.due_at - due).total_seconds()) >= 60:
                got = self._fmt(target.due_at) if target.due_at else "none (paused)"
                failures.append(f"targets.{name}: due expected {self._fmt(due)}, got {got}")
        if "instances" in spec and len(instances) != spec["instances"]:
            failures.append(f"targets.{name}: expected {spec['instances']} instances, got {len(instances)}")
        return failures

    def _compare_actions(self, expected: list[ExpectedAction], actual: list[Issued]) -> list[str]:
        matches = len(expected) == len(actual) and all(
            self._matches(e, a) for e, a in zip(expected, actual, strict=True)
        )
        if matches:
            return []
        lines = ["actions differ (- expected, + actual):"]
        for index in range(max(len(expected), len(actual))):
            exp = expected[index] if index < len(expected) else None
            act = actual[index] if index < len(actual) else None
            if exp is not None and act is not None and self._matches(exp, act):
                lines.append(f"    {self.describe(act)}")
                continue
            if exp is not None:
                lines.append(f"  - {self._describe_expected(exp)}")
            if act is not None:
                lines.append(f"  + {self.describe(act)}")
        return lines

    def _matches(self, expected: ExpectedAction, issued: Issued) -> bool:
        action = issued.action
        if action.type != expected.type:
            return False
        if expected.ticket is not None and issued.ticket != expected.ticket:
            return False
        if expected.at is not None:
            at = self._on_this_day(expected.at)
            if abs((issued.time - at).total_seconds()) >= 60:
                return False
        checks: list[tuple[Any, Any]] = [
            (expected.agent, getattr(action, "agent", None)),
            (expected.group, getattr(action, "group", None)),
            (expected.policy, action.policy),
            (expected.rule, action.rule),
        ]
        if expected.to is not None:
            checks.append((list(expected.to), list(getattr(action, "recipients", ()))))
        if expected.level is not None:
            level = getattr(action, "escalation_level", None)
            checks.append((expected.level, 0 if level is None and isinstance(action, Notify) else level))
        if expected.status is not None:
            checks.append((expected.status, _text(getattr(action, "status", None))))
        if expected.tags is not None:
            checks.append((list(expected.tags), list(getattr(action, "tags", ()))))
        if any(want is not None and want != got for want, got in checks):
            return False
        if expected.contains is not None:
            text = f"{getattr(action, 'subject', '')}\n{getattr(action, 'body', '')}"
            return expected.contains in text
        return True

    def describe(self, issued: Issued) -> str:
        action = issued.action
        parts = [self._fmt(issued.time), f"[{issued.ticket}]", action.type]
        if isinstance(action, AssignOwner):
            parts.append(f"agent={action.agent} group={action.group}")
        elif isinstance(action, Notify):
            level = f" level={action.escalation_level}" if action.escalation_level else ""
            parts.append(f"to={list(action.recipients)}{level} {action.subject!r}")
        elif isinstance(action, SetStatus):
            parts.append(f"status={action.status.value}")
        elif isinstance(action, AddTags | RemoveTags):
            parts.append(f"tags={list(action.tags)}")
        elif hasattr(action, "body"):
            body = action.body.splitlines()[0]
            parts.append(repr(body[:70]))
        parts.append(f"({action.policy}/{action.rule})")
        return " ".join(parts)

    def _describe_expected(self, expected: ExpectedAction) -> str:
        fields = expected.model_dump(exclude_none=True, exclude={"type"})
        return f"{expected.type} " + " ".join(f"{k}={v}" for k, v in fields.items())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return getattr(value, "value", None) or str(value)


def run_scenario(scenario: Scenario, rules: Rules) -> ScenarioResult:
    """Run every step; a failed expectation is recorded and the run goes on."""
    simulation = Simulation(scenario, rules)
    result = ScenarioResult(scenario)
    for index, step in enumerate(scenario.steps):
        result.steps = index + 1
        try:
            failures = simulation.run_step(step)
        except ScenarioError as exc:
            result.error, result.error_step = str(exc), index
            break
        if failures:
            result.failures.append(StepFailure(index, step.kind, simulation.now, failures))
    result.exercised = simulation.exercised
    result.decisions = simulation.decisions
    return result
