"""Finding scenarios beside the policies, running them, and reporting like pytest (and JUnit XML)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicyError
from serviceflow.policy.files import read_policy_file
from serviceflow.policy.loader import _data_path, discover
from serviceflow.policy.yaml_source import Document, load_documents
from serviceflow.scenarios.model import Scenario
from serviceflow.scenarios.runner import ScenarioResult, run_scenario


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    document: Document

    @property
    def id(self) -> str:
        return f"{self.document.file}::{self.scenario.name}"


@dataclass
class SuiteResult:
    results: list[tuple[LoadedScenario, ScenarioResult]] = field(default_factory=list)
    deselected: int = 0
    unexercised: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(1 for _, r in self.results if not r.passed)

    @property
    def passed(self) -> int:
        return len(self.results) - self.failed


def load_scenarios(paths: Sequence[Path | str]) -> tuple[list[LoadedScenario], list[PolicyError]]:
    """Every ``kind: Scenario`` document under ``paths``, and the problems of those that are invalid."""
    found: list[LoadedScenario] = []
    problems: list[PolicyError] = []
    for file in discover(paths):
        try:
            documents = load_documents(read_policy_file(file)[1], str(file))
        except PolicyError as exc:
            problems.append(exc)
            continue
        for document in documents:
            data = document.data
            if not isinstance(data, dict) or data.get("kind") != "Scenario":
                continue
            try:
                found.append(LoadedScenario(Scenario.model_validate(data), document))
            except pydantic.ValidationError as exc:
                for error in exc.errors():
                    path, rest = _data_path(data, error["loc"])
                    where = (*path, *rest) if error["type"] == "extra_forbidden" else path
                    message = str(error["msg"]).removeprefix("Value error, ")
                    if error["type"] == "missing":
                        message = f"missing required key '{rest[0] if rest else path[-1]}'"
                    elif error["type"] == "extra_forbidden":
                        message = f"unknown key '{where[-1]}'"
                    problems.append(
                        PolicyError(
                            message,
                            location=document.locate(where, key=error["type"] == "extra_forbidden"),
                            rule=str(data.get("name", "-")),
                        )
                    )
    names: dict[str, LoadedScenario] = {}
    for loaded in found:
        if loaded.scenario.name in names:
            first = names[loaded.scenario.name].document.locate(("name",))
            problems.append(
                PolicyError(
                    f"duplicate scenario name '{loaded.scenario.name}' (also at {first})",
                    location=loaded.document.locate(("name",)),
                    rule=loaded.scenario.name,
                )
            )
        names[loaded.scenario.name] = loaded
    return found, problems


def rule_inventory(rules: Rules) -> list[tuple[str, str]]:
    """Every rule a scenario could exercise, as (policy or journey, rule)."""
    inventory: list[tuple[str, str]] = []
    for policy in rules.policies:
        inventory.extend((policy.name, o.rule.name) for o in policy.owners)
        inventory.extend((policy.name, t.name) for t in policy.targets)
        inventory.extend((policy.name, p.name) for p in policy.promises)
        if policy.acknowledge:
            inventory.append((policy.name, "acknowledge"))
        if policy.same_case:
            inventory.append((policy.name, "same_case"))
        if policy.authority:
            inventory.append((policy.name, "authority"))
            inventory.extend((policy.name, name) for name, _ in policy.authority.grants)
        inventory.extend((policy.name, rule.name) for rule, _ in policy.quarantine)
    for journey in rules.journeys:
        inventory.append((journey.name, "start"))
        inventory.extend((journey.name, s.spec.name) for s in journey.stages)
    return inventory


def run_suite(
    scenarios: Sequence[LoadedScenario],
    rules: Rules,
    *,
    keyword: str | None = None,
    on_result: Callable[[LoadedScenario, ScenarioResult], None] | None = None,
) -> SuiteResult:
    started = time.perf_counter()
    suite = SuiteResult()
    exercised: set[tuple[str, str]] = set()
    for loaded in scenarios:
        if keyword and not _selected(keyword, loaded):
            suite.deselected += 1
            continue
        result = run_scenario(loaded.scenario, rules)
        exercised |= result.exercised
        suite.results.append((loaded, result))
        if on_result:
            on_result(loaded, result)
    suite.unexercised = [f"{p}/{r}" for p, r in rule_inventory(rules) if (p, r) not in exercised]
    suite.seconds = time.perf_counter() - started
    return suite


def _selected(keyword: str, loaded: LoadedScenario) -> bool:
    """``-k``: substrings, with ``not`` in front to exclude, as in pytest's simplest form."""
    text = f"{loaded.id} {loaded.scenario.description}".lower()
    for term in keyword.lower().split(" and "):
        term = term.strip()
        if term.startswith("not "):
            if term[4:].strip() in text:
                return False
        elif term not in text:
            return False
    return True


def failure_report(loaded: LoadedScenario, result: ScenarioResult) -> list[str]:
    """The lines that explain a failed scenario: which step, where, and what differed."""
    lines: list[str] = []
    if result.error is not None:
        step = result.error_step or 0
        where = loaded.document.locate(("steps", step))
        lines.append(f"{where}: step {step + 1}: error: {result.error}")
    for failure in result.failures:
        where = loaded.document.locate(("steps", failure.step))
        lines.append(
            f"{where}: step {failure.step + 1} ({failure.kind} at {failure.time:%a %Y-%m-%d %H:%M %Z}):"
        )
        lines.extend(f"    {line}" for line in failure.lines)
    return lines


def write_junit(suite: SuiteResult, path: Path) -> None:
    testsuite = ET.Element(
        "testsuite",
        name="serviceflow policy test",
        tests=str(len(suite.results)),
        failures=str(suite.failed),
        errors="0",
        skipped=str(suite.deselected),
        time=f"{suite.seconds:.3f}",
    )
    for loaded, result in suite.results:
        case = ET.SubElement(
            testsuite,
            "testcase",
            classname=loaded.document.file,
            name=loaded.scenario.name,
            time="0",
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message="scenario failed")
            failure.text = "\n".join(failure_report(loaded, result))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(testsuite).write(path, encoding="utf-8", xml_declaration=True)
