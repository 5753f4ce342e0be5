"""Loading the shipped policy set, and what a loaded set offers the engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from serviceflow.errors import PolicySetError
from serviceflow.policy import load_policy_set
from serviceflow.policy.durations import Clock
from serviceflow.policy.jsonschema import policy_json_schema_text
from serviceflow.policy.samples import sample_values

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():
    return load_policy_set([REPO / "policies", REPO / "workflows"])


def test_shipped_set_loads_every_document(shipped) -> None:
    assert shipped.settings.name == "default"
    assert [p.name for p in shipped.policies] == ["urgent", "quarantine", "standard"]  # by priority
    assert [j.name for j in shipped.journeys] == ["refund"]
    assert len(shipped.version) == 16


def test_every_expression_evaluates_on_a_sample(shipped) -> None:
    from serviceflow.cel import CelEnvironment

    env = CelEnvironment()
    for site in shipped.expressions:
        result = site.expression.evaluate(env.activation(sample_values(site.variables)))
        assert result is not None, site.source


def test_expressions_and_spans_are_addressable(shipped) -> None:
    # A type's start and stop are filled in by the schema, so they are compiled like any other.
    assert shipped.policies[0].targets[0].stop == 'event.kind == "agent_reply"'
    assert (
        shipped.expression("Policy", "urgent", "targets", 0, "stop").source == 'event.kind == "agent_reply"'
    )
    within = shipped.expression("Policy", "standard", "targets", 0, "within")
    assert within.type.name == "duration"
    resolution = shipped.span("Policy", "standard", "targets", 3, "within")
    assert resolution is not None and resolution.clock is Clock.BUSINESS_DAYS
    assert resolution.days == 10
    assert shipped.span("Policy", "standard", "targets", 0, "within") is None


def test_defaults_are_compiled_too(shipped) -> None:
    when = shipped.expression("Policy", "standard", "acknowledge", "when")
    assert "event.kind" in when.references


def test_version_changes_with_content(write_policies: Callable[..., Path]) -> None:
    folder = write_policies({})
    first = load_policy_set([folder]).version
    (folder / "policyset.yaml").write_text((folder / "policyset.yaml").read_text() + "# edit\n")
    assert load_policy_set([folder]).version != first


def test_broken_set_raises_with_every_problem(write_policies: Callable[..., Path]) -> None:
    folder = write_policies(
        {"p.yaml": "apiVersion: serviceflow/v1\nkind: Policy\nname: p\nmatch: a\nprioritee: 1\n"}
    )
    with pytest.raises(PolicySetError) as caught:
        load_policy_set([folder])
    assert [p.location.line for p in caught.value.problems] == [4, 5]


def test_committed_json_schema_is_current() -> None:
    committed = (REPO / "docs" / "policy.schema.json").read_text()
    assert committed == policy_json_schema_text(), (
        "docs/policy.schema.json is stale: run `serviceflow policy schema -o docs/policy.schema.json`"
    )


def test_json_schema_covers_every_kind() -> None:
    schema = json.loads(policy_json_schema_text())
    kinds = set(schema["discriminator"]["mapping"])
    assert kinds == {"PolicySet", "Policy", "Journey"}
