"""One reading of pydantic's errors for people (serviceflow.errors.field_problems): the roster
file, the policy test's scenarios and the values a scenario builds name ``file:line:col`` and the
field, every missing key, and never the value that was given."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from serviceflow.errors import FieldProblem, SourceLocation, describe_validation, field_problems
from serviceflow.model import Roster
from serviceflow.policy.yaml_source import load_documents
from serviceflow.scenarios.suite import load_scenarios

ROSTER = """\
agents:
  - {name: ann, open_cases: hunter2-secret}
  - {id: bob, bogus: hunter2-secret}
groups:
  - {lead: lee}
"""

NAMELESS = "apiVersion: serviceflow/v1\nkind: Scenario\nname: s\nroster:\n  groups:\n    - {lead: x}\n"


def _problems(text: str, file: str = "r.yaml") -> list[FieldProblem]:
    document = load_documents(text, file)[0]
    with pytest.raises(pydantic.ValidationError) as caught:
        Roster.model_validate(document.data)
    return field_problems(caught.value, document)


def test_each_problem_is_located_and_named_and_never_shows_the_value() -> None:
    problems = _problems(ROSTER)
    assert [p.line("roster") for p in problems] == [
        "r.yaml:2:5: agents.0: missing required key 'id'",
        "r.yaml:2:29: agents.0.open_cases: Input should be a valid integer, unable to parse string as an"
        " integer",
        "r.yaml:3:15: agents.1.bogus: unknown key 'bogus'",
        "r.yaml:5:5: groups.0: missing required key 'id'",
        "r.yaml:5:5: groups.0: missing required key 'name'",
    ]
    assert problems[2] == FieldProblem(
        ("agents", 1, "bogus"), "unknown", "unknown key", "bogus", SourceLocation("r.yaml", 3, 15)
    )
    assert all("hunter2" not in p.line("roster") for p in problems)


def test_without_a_document_the_field_names_the_key_itself() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Roster.model_validate({"agents": [{"name": "ann", "x": "hunter2"}], "groups": [{"id": "g"}]})
    assert describe_validation(caught.value, prefix="roster") == (
        "roster.agents.0.id: missing required key; roster.agents.0.x: unknown key; "
        "roster.groups.0.name: missing required key"
    )
    assert [p.location for p in field_problems(caught.value)] == [None, None, None]


def test_more_than_five_problems_are_counted_not_listed() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Roster.model_validate({"agents": [{} for _ in range(7)]})
    assert describe_validation(caught.value).endswith("agents.4.id: missing required key (and 2 more)")


def test_a_scenario_names_every_missing_key_of_a_mapping(tmp_path: Path) -> None:
    # Until the callers shared one reader, a scenario named only the first missing key of each
    # mapping: 'steps' and the group's 'name' were found only after 'start' and 'id' were fixed.
    path = tmp_path / "s.yaml"
    path.write_text(NAMELESS)
    found, problems = load_scenarios([path])
    assert found == []
    assert [str(p) for p in problems] == [
        f"{path}:1:1: s: missing required key 'start'",
        f"{path}:6:7: s: missing required key 'id'",
        f"{path}:6:7: s: missing required key 'name'",
        f"{path}:1:1: s: missing required key 'steps'",
    ]
