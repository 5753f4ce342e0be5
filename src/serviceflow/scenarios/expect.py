"""Checking an ``expect`` step against the simulation: each key given, on the case of its ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from serviceflow.model import AddInternalNote, AddTags, AssignOwner, CaseState, Notify, RemoveTags, SetStatus
from serviceflow.scenarios.clock import SimulatedClock
from serviceflow.scenarios.model import Expectation, ExpectedAction, ExpectedTarget
from serviceflow.scenarios.simulate import Issued, Simulation


@dataclass
class Checker:
    """Checks expectations; remembers which actions the previous ``expect`` already saw."""

    simulation: Simulation
    checked_up_to: int = 0

    @property
    def clock(self) -> SimulatedClock:
        return self.simulation.clock

    def check(self, expect: Expectation) -> list[str]:
        sim = self.simulation
        ticket_id = expect.ticket or sim.primary
        case = sim.cases.get(ticket_id)
        failures: list[str] = []
        since = sim.issued[self.checked_up_to :]
        self.checked_up_to = len(sim.issued)
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
            spec = ExpectedTarget(status=wanted_target) if isinstance(wanted_target, str) else wanted_target
            failures.extend(self._check_target(case, name, spec))
        if expect.breached is not None:
            breached = sorted({t.name for t in case.targets if t.breached_at is not None})
            if breached != sorted(expect.breached):
                failures.append(f"breached: expected {sorted(expect.breached)}, got {breached}")
        notes = [
            i.action.body
            for i in sim.issued
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
        if expect.policy_version is not None:
            named = {"first": sim.versions[0], "latest": sim.versions[-1], "previous": sim.versions[-2:][0]}
            wanted = named.get(expect.policy_version, expect.policy_version)
            if case.policy_version != wanted:
                failures.append(
                    f"policy_version: expected {expect.policy_version} ({wanted}), got {case.policy_version}"
                )
        return failures

    def _check_triage(self, message_id: str, wanted: str) -> list[str]:
        verdict, _, rule = (part.strip() for part in wanted.partition(" by "))
        got = self.simulation.triaged.get(message_id)
        if got is None:
            return [f"triage: message {message_id} was not triaged (no `quarantined` step for it)"]
        if got.verdict != verdict or (rule and got.rule != rule):
            return [
                f"triage of {message_id}: expected {wanted}, got {got.verdict} by {got.rule} ({got.reason})"
            ]
        return []

    def _check_target(self, case: CaseState, name: str, spec: ExpectedTarget) -> list[str]:
        instances = [t for t in case.targets if t.name == name]
        if not instances:
            if spec.status == "absent":
                return []
            known = ", ".join(sorted({t.name for t in case.targets})) or "none"
            return [f"targets.{name}: no such target on the case (targets: {known})"]
        target = instances[-1]
        failures = []
        if spec.status is not None and target.status.value != spec.status:
            failures.append(f"targets.{name}: expected {spec.status}, got {target.status.value}")
        if spec.due is not None:
            failures.extend(
                self._check_time(f"targets.{name}: due", spec.due, target.due_at, "none (paused)")
            )
        if spec.breached_at is not None:
            failures.extend(
                self._check_time(
                    f"targets.{name}: breached_at", spec.breached_at, target.breached_at, "never", past=True
                )
            )
        if spec.instances is not None and len(instances) != spec.instances:
            failures.append(f"targets.{name}: expected {spec.instances} instances, got {len(instances)}")
        if spec.level is not None and target.level != spec.level:
            failures.append(f"targets.{name}: expected level {spec.level}, got {target.level}")
        if spec.reason is not None and spec.reason not in (target.cancel_reason or ""):
            failures.append(
                f"targets.{name}: reason expected to contain {spec.reason!r}, got {target.cancel_reason!r}"
            )
        if spec.pauses is not None and len(target.pauses) != spec.pauses:
            failures.append(f"targets.{name}: expected {spec.pauses} pauses, got {len(target.pauses)}")
        if spec.held is not None and (target.ladder_held_at is not None) != spec.held:
            failures.append(
                f"targets.{name}: held expected {spec.held}, got {target.ladder_held_at is not None}"
            )
        return failures

    def _check_time(
        self, what: str, wanted: datetime | str, got: datetime | None, none: str, *, past: bool = False
    ) -> list[str]:
        """``due`` times are the next such time; times in the past (``breached_at``) this day's."""
        moment = self.clock.on_this_day(wanted, what) if past else self.clock.moment(wanted, what)
        precision = self.clock.precision(wanted)
        if got is None or abs((got - moment).total_seconds()) >= precision:
            shown = self.clock.fmt(got) if got else none
            return [f"{what} expected {self.clock.fmt(moment)}, got {shown}"]
        return []

    def _compare_actions(self, expected: list[ExpectedAction], actual: list[Issued]) -> list[str]:
        if len(expected) == len(actual) and all(
            self._matches(e, a) for e, a in zip(expected, actual, strict=True)
        ):
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
            at = self.clock.on_this_day(expected.at, "actions.at")
            if abs((issued.time - at).total_seconds()) >= self.clock.precision(expected.at):
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
            status = getattr(action, "status", None)
            checks.append((expected.status, getattr(status, "value", status)))
        if expected.tags is not None:
            checks.append((list(expected.tags), list(getattr(action, "tags", ()))))
        if expected.via is not None:
            checks.append((list(expected.via), list(getattr(action, "channels", ()))))
        if expected.purpose is not None:
            purpose = getattr(action, "purpose", None)
            checks.append((expected.purpose, getattr(purpose, "value", purpose)))
        if any(want is not None and want != got for want, got in checks):
            return False
        if expected.contains is not None:
            text = f"{getattr(action, 'subject', '')}\n{getattr(action, 'body', '')}"
            return expected.contains in text
        return True

    def describe(self, issued: Issued) -> str:
        action = issued.action
        parts = [self.clock.fmt(issued.time), f"[{issued.ticket}]", action.type]
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
