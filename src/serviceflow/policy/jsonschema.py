"""The JSON Schema of policy documents, generated from the models, for editor completion.

Point an editor at it with a first line such as
``# yaml-language-server: $schema=../docs/policy.schema.json``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeAlias

from pydantic import Field, TypeAdapter

from serviceflow.policy.schema import JourneySpec, PolicySetSpec, PolicySpec

_DocumentType: TypeAlias = Annotated[PolicySetSpec | PolicySpec | JourneySpec, Field(discriminator="kind")]
# mypy takes a union (or Annotated) for TypeAdapter's TypeForm only with its incomplete TypeForm feature.
_Document: TypeAdapter[PolicySetSpec | PolicySpec | JourneySpec]
_Document = TypeAdapter(_DocumentType)  # type: ignore[arg-type, unused-ignore]


def policy_json_schema() -> dict[str, Any]:
    schema = _Document.json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://serviceflow.dev/schemas/policy.schema.json",
        "title": "serviceflow policy document",
        **schema,
    }


def policy_json_schema_text() -> str:
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"
