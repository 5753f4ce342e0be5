"""Running a scenario: simulate each step (:mod:`~serviceflow.scenarios.simulate`), check each
``expect`` (:mod:`~serviceflow.scenarios.expect`), and collect what failed, with the rule errors
the engine recorded on the way; reports are :mod:`~serviceflow.scenarios.report`'s."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pydantic

from serviceflow.engine.rules import Rules
from serviceflow.errors import CalendarRangeError, describe_validation
from serviceflow.scenarios.clock import ScenarioError
from serviceflow.scenarios.expect import Checker
from serviceflow.scenarios.model import ExpectStep, Scenario, kind_of
from serviceflow.scenarios.simulate import Issued, PolicyLoader, Simulation

__all__ = ["Issued", "ScenarioError", "ScenarioResult", "StepFailure", "run_scenario"]


@dataclass
class StepFailure:
    step: int  # 0-based index into scenario.steps
    kind: str
    time: datetime  # in the policy set's zone, as the report prints it
    lines: list[str]
    errors: list[str] = field(default_factory=list)  # rule errors recorded since the previous expect


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[StepFailure] = field(default_factory=list)
    error: str | None = None
    error_step: int | None = None
    exercised: set[tuple[str, str]] = field(default_factory=set)
    steps: int = 0
    decisions: int = 0
    rule_errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


def run_scenario(
    scenario: Scenario, rules: Rules, load_policies: PolicyLoader | None = None
) -> ScenarioResult:
    """Run every step; a failed expectation is recorded and the run goes on."""
    simulation = Simulation(scenario, rules, load_policies)
    checker = Checker(simulation)
    result = ScenarioResult(scenario)
    errors_seen = 0
    for index, step in enumerate(scenario.steps):
        result.steps = index + 1
        try:
            if isinstance(step, ExpectStep):
                failures = checker.check(step.expect)
            else:
                simulation.run_step(step, index)
                failures = []
        except ScenarioError as exc:
            result.error, result.error_step = str(exc), index
            break
        except pydantic.ValidationError as exc:  # a value the step built (a ticket, an input)
            result.error, result.error_step = f"{kind_of(step)}: {describe_validation(exc)}", index
            break
        except CalendarRangeError as exc:  # a deadline past the year 9999: a guard, since a
            # scenario's time stays in 1970-2100 (simulate.advance_to) and spans are <= 10 years
            result.error, result.error_step = f"{kind_of(step)}: {exc}", index
            break
        if isinstance(step, ExpectStep):
            recent = [
                f"{simulation.clock.fmt(when)} [{ticket}] {error}"
                for when, ticket, error in simulation.errors[errors_seen:]
            ]
            errors_seen = len(simulation.errors)
            if failures:
                failure = StepFailure(index, kind_of(step), simulation.local_now(), failures, recent)
                result.failures.append(failure)
    result.exercised = simulation.exercised
    result.decisions = simulation.decisions
    result.rule_errors = [f"{simulation.clock.fmt(w)} [{t}] {e}" for w, t, e in simulation.errors]
    return result
