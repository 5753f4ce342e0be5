"""The field types of the policy language (names, durations, CEL expressions, recipients, pools,
channels) and the markers on them that say which fields hold CEL and which hold a time span:
what :mod:`serviceflow.policy.schema`'s documents are built of.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field
from pydantic.fields import FieldInfo

API_VERSION = "serviceflow/v1"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


@dataclass(frozen=True)
class CelField:
    """Marks a string field as CEL: its variable scope and the types it may yield.

    ``names``: a plain name (``office``) is a reference to a calendar, anything else CEL that
    yields a calendar's name.
    """

    scope: str
    expect: tuple[str, ...] = ("bool",)
    names: str | None = None


@dataclass(frozen=True)
class SpanField:
    """Marks a field as a duration: a literal (``4h``, ``5 business days``) or, unless
    ``literal`` is set, CEL."""

    scope: str
    expect: tuple[str, ...] = ("duration",)
    literal: bool = False


def field_marker(info: FieldInfo) -> CelField | SpanField | None:
    """The CEL or duration marker of a model field (in its metadata or inside its annotation)."""
    for item in info.metadata:
        if isinstance(item, CelField | SpanField):
            return item
    for arg in typing.get_args(info.annotation):
        for item in getattr(arg, "__metadata__", ()):
            if isinstance(item, CelField | SpanField):
                return item
    return None


Name = Annotated[str, Field(pattern=NAME_PATTERN, description="Lowercase letters, digits, - and _.")]
Condition = Annotated[str, CelField("case"), Field(description="CEL; must yield a bool.")]
AgentCondition = Annotated[str, CelField("agent"), Field(description="CEL over `agent`; a bool.")]
SameCaseCondition = Annotated[
    str, CelField("same_case"), Field(description="CEL over `ticket` and `other`; a bool.")
]
RemedyCondition = Annotated[str, CelField("remedy"), Field(description="CEL over `remedy`; a bool.")]
QuarantineCondition = Annotated[
    str,
    CelField("quarantine"),
    Field(description="CEL over `message`, `open_cases`, `ticket` and `now`; a bool."),
]
Within = Annotated[
    str,
    SpanField("case"),
    Field(description="A duration literal (4h, 90 minutes, 8 business hours, 5 business days) or CEL."),
]
Due = Annotated[
    str,
    SpanField("case", ("duration", "timestamp")),
    Field(description="A duration literal, or CEL yielding a duration or a timestamp."),
]
Delay = Annotated[
    str,
    SpanField("case", literal=True),
    Field(description="A duration literal: 30m, 4h, 4 business hours, 1 business days."),
]
AtRisk = Annotated[float, Field(gt=0, lt=1, description="Warn the owner at this fraction of the target.")]
CalendarChoice = Annotated[
    str,
    CelField("case", ("string",), names="calendars"),
    Field(
        description="A calendar's name, or CEL yielding one (e.g. from the customer's region or contract)."
    ),
]
Entitlement = Annotated[
    str,
    CelField("case", ("duration", "string")),
    Field(
        description="CEL yielding the target's time from the ticket (an entitlement field): a duration, "
        "or a literal such as '4 business hours'; `within` applies where it yields nothing."
    ),
]
CHANNEL_PATTERN = r"^[a-z0-9][a-z0-9_-]*(:[^\s:]+)?$"
Channel = Annotated[
    str,
    Field(
        pattern=CHANNEL_PATTERN,
        description="helpdesk, or a notification channel as name or kind:name (slack:support-leads).",
    ),
]

RECIPIENT_PATTERN = r"^(owner|owner\.lead|owner\.manager|group:[^\s]+|agent:[^\s]+)$"
Recipient = Annotated[
    str,
    Field(
        pattern=RECIPIENT_PATTERN,
        description="owner, owner.lead, owner.manager, group:NAME or agent:ID.",
    ),
]
POOL_PATTERN = r"^(group|agent):[^\s]+$"
Pool = Annotated[str, Field(pattern=POOL_PATTERN, description="group:NAME or agent:ID.")]
