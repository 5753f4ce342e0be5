"""The policy language, as pydantic models: what the YAML files in policies/ and workflows/ hold.

Four kinds of document, each with ``apiVersion: serviceflow/v1``:

- ``PolicySet``: set-wide settings: calendars, escalation ladders, defaults, the safe fallback.
- ``Policy``: which tickets it covers, how the owner is chosen, targets, promises, the
  acknowledgement guard, the same-case rule for repeat contacts, authority for remedies.
- ``Journey`` (in workflows/): a case journey's stages and handoffs, each with its target.
- ``Scenario``: a policy test, read by ``serviceflow policy test`` and skipped by the loader.

CEL fields are typed with :class:`CelField` metadata that says which variables are in scope and
what the expression must yield; the loader compiles and checks every one of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from serviceflow.policy.calendars import WEEKDAYS as WEEKDAYS
from serviceflow.policy.calendars import Calendar as Calendar
from serviceflow.policy.calendars import Holiday as Holiday
from serviceflow.policy.calendars import TimeRanges as TimeRanges
from serviceflow.policy.calendars import expand_days as expand_days
from serviceflow.policy.fields import API_VERSION as API_VERSION
from serviceflow.policy.fields import CHANNEL_PATTERN as CHANNEL_PATTERN
from serviceflow.policy.fields import NAME_PATTERN as NAME_PATTERN
from serviceflow.policy.fields import POOL_PATTERN as POOL_PATTERN
from serviceflow.policy.fields import RECIPIENT_PATTERN as RECIPIENT_PATTERN
from serviceflow.policy.fields import AgentCondition as AgentCondition
from serviceflow.policy.fields import AtRisk as AtRisk
from serviceflow.policy.fields import CalendarChoice as CalendarChoice
from serviceflow.policy.fields import CelField as CelField
from serviceflow.policy.fields import Channel as Channel
from serviceflow.policy.fields import Condition as Condition
from serviceflow.policy.fields import Delay as Delay
from serviceflow.policy.fields import Due as Due
from serviceflow.policy.fields import Entitlement as Entitlement
from serviceflow.policy.fields import Name as Name
from serviceflow.policy.fields import Pool as Pool
from serviceflow.policy.fields import QuarantineCondition as QuarantineCondition
from serviceflow.policy.fields import Recipient as Recipient
from serviceflow.policy.fields import RemedyCondition as RemedyCondition
from serviceflow.policy.fields import SameCaseCondition as SameCaseCondition
from serviceflow.policy.fields import SpanField as SpanField
from serviceflow.policy.fields import Within as Within
from serviceflow.policy.fields import field_marker as field_marker


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# -- calendars: serviceflow.policy.calendars ----------------------------------------------------

# -- escalation ------------------------------------------------------------------------------


class Level(Spec):
    """One rung of an escalation ladder."""

    after: Delay | None = Field(
        default=None, description="Delay after the breach (or the previous level); default at once."
    )
    notify: list[Recipient] = Field(min_length=1)
    calendar: Name | None = Field(
        default=None, description="The clock `after` counts on; default the target's calendar."
    )
    in_business_hours: bool = Field(
        default=False, description="Hold notifications until the calendar is open."
    )
    message: str | None = None
    via: list[Channel] = Field(
        default=["helpdesk"], min_length=1, description="The channels the notification goes through."
    )


class Ladder(Spec):
    """What happens after a breach, level by level, until the target is met."""

    levels: list[Level] = Field(min_length=1)
    cooldown: Delay = Field(
        default="1h", description="No repeat notification of one level to one person inside this."
    )


# -- policy ----------------------------------------------------------------------------------


class Defaults(Spec):
    calendar: Name | None = None
    escalation: Name | None = None
    at_risk: AtRisk = 0.75


class Fallback(Spec):
    """The safe default when a rule errors: whom the case goes to, and the note left behind."""

    owner: Pool
    note: str = "serviceflow could not apply a policy rule to this ticket; a person must check it."


OnChange = Literal["new_cases", "open_cases", "recompute"]


class BackfillSpec(Spec):
    """What ``serviceflow reconcile --backfill`` does with targets breached before install."""

    breaches: Literal["digest", "escalate"] = Field(
        default="digest",
        description="digest: recorded, and each owner gets one digest of theirs; escalate: each "
        "case climbs its ladder from install on, one escalation per breach (docs/adoption.md).",
    )


class PolicySetSpec(Spec):
    api_version: Literal["serviceflow/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicySet"]
    name: Name
    description: str = ""
    on_change: OnChange = Field(
        default="open_cases",
        description="What this version does to cases opened under an earlier one: new_cases (they "
        "keep their version), open_cases (they switch at their next decision), recompute (they "
        "switch, and their open targets are recomputed from their recorded cycles).",
    )
    defaults: Defaults = Defaults()
    fallback: Fallback
    calendars: dict[Name, Calendar] = {}
    escalations: dict[Name, Ladder] = {}
    backfill: BackfillSpec = BackfillSpec()


class OwnerRule(Spec):
    """How the one accountable owner is chosen; the first rule whose ``when`` holds decides."""

    name: Name
    when: Condition = "true"
    pick: Literal["fixed", "round_robin", "least_loaded"] = "least_loaded"
    from_: list[Pool] = Field(alias="from", min_length=1)
    only: AgentCondition | None = Field(
        default=None, description="Keep only agents for whom this holds, e.g. a skill."
    )


TargetType = Literal["first_response", "next_response", "resolution", "custom"]

#: The start and stop conditions a target's ``type`` implies, and whether a met target re-arms.
TYPE_DEFAULTS: dict[str, tuple[str, str, bool]] = {
    "first_response": ('event.kind == "created"', 'event.kind == "agent_reply"', False),
    "next_response": ('event.kind == "customer_message"', 'event.kind == "agent_reply"', True),
    "resolution": (
        'event.kind == "created" || (event.kind == "status_changed"'
        ' && ticket.status in ["new", "open"] && "status" in event.changes'
        ' && event.changes.status in ["solved", "closed"])',
        'ticket.status in ["solved", "closed"]',
        True,
    ),
}


class TargetRule(Spec):
    """A turnaround target. ``type`` gives start/stop defaults; any of them can be overridden."""

    name: Name
    type: TargetType = "custom"
    when: Condition = "true"
    within: Within
    within_from: Entitlement | None = None
    calendar: CalendarChoice | None = None
    start: Condition | None = None
    stop: Condition | None = None
    pause: Condition | None = None
    at_risk: AtRisk | None = None
    escalation: Name | None = None

    @model_validator(mode="after")
    def _defaults_of_the_type(self) -> TargetRule:
        if self.type == "custom":
            if self.start is None or self.stop is None:
                raise ValueError(
                    "a custom target needs both start and stop; or set type: first_response, "
                    "next_response or resolution for their defaults"
                )
            return self
        start, stop, _ = TYPE_DEFAULTS[self.type]
        # Filled in here so the loader compiles and checks them like any condition written out.
        object.__setattr__(self, "start", self.start or start)
        object.__setattr__(self, "stop", self.stop or stop)
        return self

    @property
    def restart(self) -> bool:
        """Whether a met target starts again on its next start event."""
        return TYPE_DEFAULTS.get(self.type, ("", "", False))[2]


class PromiseRule(Spec):
    """A commitment to the customer, recorded from an event; kept, or breached."""

    name: Name
    recorded: Condition
    due: Due
    kept: Condition
    calendar: CalendarChoice | None = None
    at_risk: AtRisk | None = None
    escalation: Name | None = None


class AcknowledgeRule(Spec):
    """No silent auto-sort: every inbound message gets an owner and an acknowledgement target."""

    within: Within
    when: Condition = 'event.actor.role == "customer" && event.kind in ["created", "customer_message"]'
    acknowledged: Condition = (
        'event.actor.role == "agent" && (event.kind == "agent_reply" || event.kind == "internal_note")'
    )
    calendar: CalendarChoice | None = None
    escalation: Name | None = None
    reopen_unanswered: bool = Field(
        default=True, description="Reopen a ticket solved or closed without any human reply."
    )
    reopen_unless: Condition = "false"


class SameCaseRule(Spec):
    """Repeat contacts: join a new ticket to an open case of the same requester."""

    when: SameCaseCondition
    merge: bool = False


class GrantRule(Spec):
    name: Name
    when: RemedyCondition


class Authority(Spec):
    """Which remedies the owner may grant on the spot; the rest go to an approver as a handoff."""

    grant: list[GrantRule] = Field(min_length=1)
    approver: Recipient = "owner.lead"
    approve_within: Within = "24h"
    escalation: Name | None = None


class QuarantineRule(Spec):
    """What to do with a message the helpdesk quarantined; the first rule whose ``when`` holds
    decides. A message no rule takes is reviewed: nothing auto-sorted goes unread."""

    name: Name
    when: QuarantineCondition = "true"
    do: Literal["recover", "review", "ignore", "dismiss"] = Field(
        description="recover: make it a ticket now; review: a person decides (a review case); "
        "ignore: leave it in the queue; dismiss: delete it from the helpdesk."
    )


class PolicySpec(Spec):
    api_version: Literal["serviceflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Policy"]
    name: Name
    description: str = ""
    applies_to: Literal["ticket", "quarantined"] = Field(
        default="ticket",
        description="'quarantined': review cases of suspended or spam mail, not tickets.",
    )
    match: Condition = "true"
    priority: int = Field(default=0, description="Higher first, where several policies match.")
    calendar: CalendarChoice | None = None
    owner: list[OwnerRule] = []
    targets: list[TargetRule] = []
    promises: list[PromiseRule] = []
    acknowledge: AcknowledgeRule | None = None
    same_case: SameCaseRule | None = None
    authority: Authority | None = None
    quarantine: list[QuarantineRule] = Field(
        default=[], description="Triage of quarantined mail; only where applies_to is 'quarantined'."
    )

    @model_validator(mode="after")
    def _quarantine_rules_need_quarantined(self) -> PolicySpec:
        if self.quarantine and self.applies_to != "quarantined":
            raise ValueError("quarantine rules need 'applies_to: quarantined' on their policy")
        return self


# -- journeys --------------------------------------------------------------------------------


class Stage(Spec):
    """One stage of a journey. A ``handoff`` stage is a back-office task; the owner stays."""

    name: Name
    handoff: Pool | None = Field(default=None, description="The team that does this stage.")
    within: Within
    done: Condition
    calendar: CalendarChoice | None = None
    at_risk: AtRisk | None = None
    escalation: Name | None = None
    note: str | None = Field(default=None, description="What the stage's owner is told.")


class JourneySpec(Spec):
    api_version: Literal["serviceflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Journey"]
    name: Name
    description: str = ""
    start: Condition
    calendar: Name | None = None
    stages: list[Stage] = Field(min_length=1)


DOCUMENT_KINDS: dict[str, type[Spec]] = {
    "PolicySet": PolicySetSpec,
    "Policy": PolicySpec,
    "Journey": JourneySpec,
}
IGNORED_KINDS = frozenset({"Scenario"})

#: Where a document's named rules live (rule names are unique within a document).
RULE_SECTIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Policy": (("owner",), ("targets",), ("promises",), ("authority", "grant")),
    "Journey": (("stages",),),
}
