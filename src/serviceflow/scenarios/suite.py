"""Finding scenarios beside the policies, and running them."""

from __future__ import annotations

import difflib
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicyError, SourceLocation, field_problems
from serviceflow.policy.files import read_policy_file
from serviceflow.policy.loader import _model_in, discover
from serviceflow.policy.yaml_source import Document, load_documents
from serviceflow.scenarios.model import STEP_KINDS, Scenario
from serviceflow.scenarios.policies import policy_loader
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
    stopped: bool = False  # -x: stopped at the first failure

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
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(PolicyError(f"cannot read it: {exc}", location=SourceLocation(str(file))))
            continue
        for document in documents:
            data = document.data
            if not isinstance(data, dict) or data.get("kind") != "Scenario":
                continue
            step_problems = _step_problems(document)
            if step_problems:
                problems.extend(step_problems)
                continue
            try:
                found.append(LoadedScenario(Scenario.model_validate(data), document))
            except pydantic.ValidationError as exc:
                problems.extend(_problems(document, exc))
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


def _suggest(key: str, allowed: Sequence[str]) -> str:
    hint = difflib.get_close_matches(key, list(allowed), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _step_problems(document: Document) -> list[PolicyError]:
    """A step is one of the known kinds: say which key is wrong and what was probably meant."""
    problems = []
    name = str(document.data.get("name", "-"))
    steps = document.data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        kinds = [key for key in STEP_KINDS if key in step]
        if len(kinds) == 1:
            continue
        if kinds:
            message = f"a step is exactly one of: {', '.join(STEP_KINDS)} (found: {', '.join(kinds)})"
            where = document.locate(("steps", index))
        else:
            unknown = next((str(k) for k in step), "?")
            message = (
                f"unknown step '{unknown}'{_suggest(unknown, list(STEP_KINDS))}; "
                f"a step is one of: {', '.join(STEP_KINDS)}"
            )
            where = document.locate(("steps", index, unknown), key=True)
        problems.append(PolicyError(message, location=where, rule=name))
    return problems


def _allowed_keys(data: Any, path: Sequence[str | int]) -> list[str]:
    """The keys a scenario allows at ``path`` (steps by their kind)."""
    model: Any = Scenario
    node = data
    in_mapping = False  # the next part is a key of a dict[str, Model], not a field
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        if isinstance(part, int) or in_mapping:
            in_mapping = False
            if isinstance(node, dict) and model is None:
                model = next((m for k, m in STEP_KINDS.items() if k in node), None)
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(str(part)) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return []
        model = None if part == "steps" else _model_in(info.annotation)
        in_mapping = typing.get_origin(info.annotation) is dict
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _untag(loc: list[Any]) -> list[Any]:
    """A step's union tag is the name of its one key: not a key of its own."""
    if len(loc) >= 3 and loc[0] == "steps" and isinstance(loc[1], int) and loc[2] in STEP_KINDS:
        del loc[2]
    return loc


def _problems(document: Document, exc: pydantic.ValidationError) -> list[PolicyError]:
    name = str(document.data.get("name", "-"))
    problems = []
    for problem in field_problems(exc, document, untag=_untag):
        message = f"{problem.field('scenario')}: {problem.detail}"
        if problem.kind == "missing":
            message = problem.what
        elif problem.kind == "unknown":
            key = str(problem.key)
            allowed = _allowed_keys(document.data, problem.path[:-1])
            listed = f"; allowed here: {', '.join(allowed)}" if allowed else ""
            message = f"{problem.what}{_suggest(key, allowed)}{listed}"
        location = problem.location or document.locate(())  # always set: the document was given
        problems.append(PolicyError(message, location=location, rule=name))
    return problems


def run_suite(
    scenarios: Sequence[LoadedScenario],
    rules: Rules,
    *,
    keyword: str | None = None,
    on_result: Callable[[LoadedScenario, ScenarioResult], None] | None = None,
    exitfirst: bool = False,
) -> SuiteResult:
    started = time.perf_counter()
    suite = SuiteResult()
    exercised: set[tuple[str, str]] = set()
    for loaded in scenarios:
        if keyword and not _selected(keyword, loaded):
            suite.deselected += 1
            continue
        result = run_scenario(loaded.scenario, rules, policy_loader(loaded.document))
        exercised |= result.exercised
        suite.results.append((loaded, result))
        if on_result:
            on_result(loaded, result)
        if exitfirst and not result.passed:
            suite.stopped = True
            break
    suite.unexercised = [
        f"{r.policy}/{r.rule}" for r in rules.inventory if (r.policy, r.rule) not in exercised
    ]
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
