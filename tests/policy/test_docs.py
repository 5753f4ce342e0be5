"""The policy reference documents every key of the schema (the way datasette tests its docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from serviceflow.policy.loader import _model_in
from serviceflow.policy.schema import JourneySpec, PolicySetSpec, PolicySpec

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
DOCUMENTED = set(re.findall(r"^\| `([^`]+)`", DOC, flags=re.MULTILINE))
ENVELOPE = {"apiVersion", "kind"}


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in ENVELOPE:
            continue
        found.append(key)
        sub = _model_in(info.annotation)
        if sub is not None and prefix == "" and key in ("defaults", "fallback"):
            found.extend(f"{key}.{k}" for k in keys(sub, key))
    return found


@pytest.mark.parametrize("model", [PolicySetSpec, PolicySpec, JourneySpec])
def test_every_key_is_documented(model: type[BaseModel]) -> None:
    missing = [
        k for k in keys(model) if k not in DOCUMENTED and not any(d.startswith(f"{k}.") for d in DOCUMENTED)
    ]
    assert not missing, f"docs/policies.md does not document: {missing}"


def test_nested_sections_are_documented() -> None:
    from serviceflow.policy import schema

    for model, prefix in [
        (schema.OwnerRule, ""), (schema.TargetRule, ""), (schema.PromiseRule, ""),
        (schema.AcknowledgeRule, ""), (schema.SameCaseRule, ""), (schema.Authority, ""),
        (schema.Stage, ""), (schema.Calendar, ""), (schema.Ladder, ""),
    ]:  # fmt: skip
        for key in keys(model, prefix):
            assert key in DOCUMENTED or f"levels[].{key}" in DOCUMENTED, (model.__name__, key)
    for key in keys(schema.Level):
        assert f"levels[].{key}" in DOCUMENTED, key
