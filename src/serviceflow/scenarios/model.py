"""The scenario file format (``kind: Scenario``): a roster, a start time, tickets, then a timeline
of steps. A step is exactly one of the kinds in :data:`STEP_KINDS`, told apart by its key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Discriminator, Field, Tag

from serviceflow.model import Remedy, Roster
from serviceflow.model.bounds import AccountName, EventId, TicketId, VendorName, WebhookTime

#: Most deliveries an ``event`` step's ``repeat`` may ask for: duplicates are a handful, not a load test.
MAX_REPEAT = 100


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TicketSeed(_Spec):
    """A ticket's starting values; anything left out gets a sensible default."""

    id: TicketId = "1"
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


Moment = AwareDatetime | str
By = Actor | Literal["customer", "agent", "system", "serviceflow"] | None


class ExpectedAction(_Spec):
    """Matches an issued action on the fields given; the rest are not compared."""

    type: str
    at: Moment | None = Field(
        default=None, description="When issued: to the minute, or to the second when seconds are written."
    )
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
    via: list[str] | None = Field(default=None, description="A notification's channels.")
    purpose: str | None = Field(default=None, description="A notification's purpose: breached, resolved, ...")


class ExpectedTarget(_Spec):
    """A target's latest cycle, on the fields given."""

    status: Literal["running", "paused", "met", "breached", "cancelled", "absent"] | None = None
    due: Moment | None = None
    breached_at: Moment | None = None
    instances: int | None = Field(default=None, description="How many cycles the target has had.")
    level: int | None = Field(default=None, description="Escalation levels fired so far.")
    reason: str | None = Field(default=None, description="Text in the reason it was cancelled.")
    held: bool | None = Field(default=None, description="Breached, and its ladder held by its pause.")
    pauses: int | None = Field(default=None, description="How often the latest cycle's clock stood still.")


class Expectation(_Spec):
    ticket: str | None = Field(default=None, description="Which ticket's case; default the first.")
    owner: str | None = None
    actions: list[ExpectedAction] | None = Field(
        default=None, description="Exactly the actions issued since the previous expect, in order."
    )
    no_actions: bool = False
    targets: dict[
        str, Literal["running", "paused", "met", "breached", "cancelled", "absent"] | ExpectedTarget
    ] = Field(default_factory=dict, description="Target name -> status, or {status, due, breached_at, ...}.")
    breached: list[str] | None = Field(default=None, description="Exactly the targets breached so far.")
    notes_contain: list[str] = Field(default_factory=list, description="Text in issued internal notes.")
    linked: list[str] | None = None
    closed: bool | None = None
    errors: int | None = Field(default=None, description="Rule errors recorded so far.")
    policy_version: str | None = Field(
        default=None,
        description="The policy set the case decides under: 'first', 'latest', 'previous' (the one "
        "before the latest) or a version.",
    )
    triage: dict[str, str] = Field(
        default_factory=dict,
        description="Quarantined message id -> its verdict (recover, review, ignore, dismiss), "
        "optionally with the rule: 'recover by recover-known-customer'.",
    )


# -- steps ---------------------------------------------------------------------------------------


class EventStep(_Spec):
    """Something happens on a ticket."""

    event: str
    ticket: str | None = None
    by: By = None
    set: dict[str, Any] = {}
    add_tags: list[str] = []
    remove_tags: list[str] = []
    body: str | None = None
    public: bool | None = None
    id: EventId | None = None
    repeat: int = Field(
        default=1,
        ge=1,
        le=MAX_REPEAT,
        description=f"Deliver the event this many times (duplicates), at most {MAX_REPEAT}.",
    )


class AdvanceStep(_Spec):
    advance: str


class AtStep(_Spec):
    at: Moment


class RemedyStep(_Spec):
    remedy: Remedy
    ticket: str | None = None
    by: By = None


class ApproveStep(_Spec):
    approve: dict[str, Any]
    ticket: str | None = None


class ReassignStep(_Spec):
    reassign: dict[str, Any]
    ticket: str | None = None


class PromiseStep(_Spec):
    promise: dict[str, Any]
    ticket: str | None = None


class QuarantinedStep(_Spec):
    quarantined: str = Field(
        description="A message (from `quarantine`) lands in the helpdesk's quarantine now."
    )
    becomes: str | None = Field(
        default=None, description="With `quarantined`: the ticket id it gets if it is recovered."
    )


class LeftQueueStep(_Spec):
    left_queue: str = Field(
        description="A person recovered or deleted the quarantined message in the helpdesk."
    )


class PolicyChange(_Spec):
    """Another policy set from now on: a folder, or the current set with documents replaced,
    added or removed. Its ``on_change`` says what open cases do."""

    path: str | None = Field(default=None, description="A policy folder, relative to the scenario file.")
    replace: list[dict[str, Any]] = Field(
        default=[], description="Documents that replace the set's of the same kind and name, or are added."
    )
    remove: list[str] = Field(default=[], description="Documents to drop, as Kind/name: Policy/urgent.")


class ChangePoliciesStep(_Spec):
    change_policies: PolicyChange


class ExpectStep(_Spec):
    expect: Expectation


#: A step's kind is its first key among these.
STEP_KINDS: dict[str, type[_Spec]] = {
    "event": EventStep,
    "advance": AdvanceStep,
    "at": AtStep,
    "remedy": RemedyStep,
    "approve": ApproveStep,
    "reassign": ReassignStep,
    "promise": PromiseStep,
    "quarantined": QuarantinedStep,
    "left_queue": LeftQueueStep,
    "change_policies": ChangePoliciesStep,
    "expect": ExpectStep,
}


def step_kind(value: Any) -> str | None:
    """The kind of a step, from its keys (a mapping) or its class (a model)."""
    if isinstance(value, dict):
        found = [key for key in STEP_KINDS if key in value]
        return found[0] if len(found) == 1 else None
    return next((k for k, model in STEP_KINDS.items() if isinstance(value, model)), None)


Step = Annotated[
    Annotated[EventStep, Tag("event")]
    | Annotated[AdvanceStep, Tag("advance")]
    | Annotated[AtStep, Tag("at")]
    | Annotated[RemedyStep, Tag("remedy")]
    | Annotated[ApproveStep, Tag("approve")]
    | Annotated[ReassignStep, Tag("reassign")]
    | Annotated[PromiseStep, Tag("promise")]
    | Annotated[QuarantinedStep, Tag("quarantined")]
    | Annotated[LeftQueueStep, Tag("left_queue")]
    | Annotated[ChangePoliciesStep, Tag("change_policies")]
    | Annotated[ExpectStep, Tag("expect")],
    Discriminator(step_kind),
]


def kind_of(step: Any) -> str:
    return step_kind(step) or "?"


class Scenario(_Spec):
    api_version: Literal["serviceflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Scenario"]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    start: WebhookTime = Field(description="When the scenario starts: from 1970 up to 2100, with a zone.")
    roster: Roster = Roster()
    tickets: list[TicketSeed] = Field(default_factory=lambda: [TicketSeed()], min_length=1)
    quarantine: list[MessageSeed] = Field(
        default_factory=list, description="Messages the helpdesk quarantines during the scenario."
    )
    vendor: VendorName = "demo"
    account: AccountName = "demo"
    steps: list[Step] = Field(min_length=1)
