"""The scenario file format (``kind: Scenario``): a roster, a start time, tickets, then a timeline
of events, clock steps and expectations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from serviceflow.model import Remedy, Roster


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TicketSeed(_Spec):
    """A ticket's starting values; anything left out gets a sensible default."""

    id: str = "1"
    subject: str = "A customer question"
    status: str = "new"
    priority: str = "normal"
    channel: str = "email"
    requester: dict[str, Any] = Field(default_factory=lambda: {"id": "customer-1"})
    recipient: str | None = None
    assignee: str | None = None
    group: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}


class MessageSeed(_Spec):
    """A message the helpdesk will quarantine (suspended or spam); it arrives with a step."""

    id: str
    sender: dict[str, Any] = Field(default_factory=lambda: {"id": "stranger@example.net"})
    subject: str = "A message"
    excerpt: str = ""
    cause: str = "Detected as spam"
    recipient: str | None = None


class Actor(_Spec):
    role: Literal["customer", "agent", "system", "serviceflow"]
    id: str | None = None
    name: str | None = None


class ExpectedAction(_Spec):
    """Matches an issued action on the fields given; the rest are not compared."""

    type: str
    at: AwareDatetime | str | None = Field(default=None, description="When issued (to the minute).")
    agent: str | None = None
    group: str | None = None
    to: list[str] | None = Field(default=None, description="Notification recipients, in order.")
    level: int | None = Field(default=None, description="Escalation level; 0 for an at-risk warning.")
    status: str | None = None
    tags: list[str] | None = None
    contains: str | None = Field(default=None, description="Text in the subject or body.")
    policy: str | None = None
    rule: str | None = None
    ticket: str | None = None


class Expectation(_Spec):
    ticket: str | None = Field(default=None, description="Which ticket's case; default the first.")
    owner: str | None = None
    actions: list[ExpectedAction] | None = Field(
        default=None, description="Exactly the actions issued since the previous expect, in order."
    )
    no_actions: bool = False
    targets: dict[str, str | dict[str, Any]] = Field(
        default_factory=dict, description="Target name -> status, or {status, due}."
    )
    breached: list[str] | None = Field(default=None, description="Exactly the targets breached so far.")
    notes_contain: list[str] = Field(default_factory=list, description="Text in issued internal notes.")
    linked: list[str] | None = None
    closed: bool | None = None
    errors: int | None = Field(default=None, description="Rule errors recorded so far.")
    triage: dict[str, str] = Field(
        default_factory=dict,
        description="Quarantined message id -> its verdict (recover, review, ignore, dismiss), "
        "optionally with the rule: 'recover by recover-known-customer'.",
    )


STEP_KINDS = (
    "event",
    "advance",
    "at",
    "remedy",
    "approve",
    "reassign",
    "promise",
    "quarantined",
    "left_queue",
    "expect",
)


class Step(_Spec):
    """One step: exactly one of event, advance, at, remedy, approve, reassign, promise, expect."""

    event: str | None = None
    by: Actor | Literal["customer", "agent", "system", "serviceflow"] | None = None
    ticket: str | None = None
    set: dict[str, Any] = {}
    add_tags: list[str] = []
    remove_tags: list[str] = []
    body: str | None = None
    public: bool | None = None
    id: str | None = None
    advance: str | None = None
    at: AwareDatetime | str | None = None
    remedy: Remedy | None = None
    approve: dict[str, Any] | None = None
    reassign: dict[str, Any] | None = None
    promise: dict[str, Any] | None = None
    quarantined: str | None = Field(
        default=None, description="A message (from `quarantine`) lands in the helpdesk's quarantine now."
    )
    becomes: str | None = Field(
        default=None, description="With `quarantined`: the ticket id it gets if it is recovered."
    )
    left_queue: str | None = Field(
        default=None, description="A person recovered or deleted the quarantined message in the helpdesk."
    )
    expect: Expectation | None = None
    repeat: int = Field(default=1, ge=1, description="Deliver the event this many times (duplicates).")

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        chosen = [name for name in STEP_KINDS if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"a step is exactly one of: {', '.join(STEP_KINDS)} (found: {', '.join(chosen) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next((name for name in STEP_KINDS if getattr(self, name) is not None), "?")


class Scenario(_Spec):
    api_version: Literal["serviceflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Scenario"]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    start: AwareDatetime
    roster: Roster = Roster()
    tickets: list[TicketSeed] = Field(default_factory=lambda: [TicketSeed()])
    quarantine: list[MessageSeed] = Field(
        default_factory=list, description="Messages the helpdesk quarantines during the scenario."
    )
    vendor: str = "demo"
    account: str = "demo"
    steps: list[Step] = Field(min_length=1)
