"""The JSON Schema of policy documents, generated from the models, for editor completion.

Point an editor at it with a first line such as
``# yaml-language-server: $schema=../docs/policy.schema.json``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from serviceflow.policy.schema import JourneySpec, PolicySetSpec, PolicySpec

_Document = TypeAdapter(Annotated[PolicySetSpec | PolicySpec | JourneySpec, Field(discriminator="kind")])


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
