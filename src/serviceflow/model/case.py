"""The case: serviceflow's durable memory of one ticket, from first contact to closure."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator, model_validator

from serviceflow.model.actions import Action
from serviceflow.model.ticket import Model, Ticket


class TargetStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


#: The statuses of an open target (``TargetState.open``): still counting, or breached and not yet met.
OPEN_STATUSES = (TargetStatus.RUNNING, TargetStatus.PAUSED, TargetStatus.BREACHED)


class TargetKind(StrEnum):
    TARGET = "target"  # a turnaround target of a policy
    ACKNOWLEDGEMENT = "acknowledgement"  # every inbound message gets one
    PROMISE = "promise"  # a commitment to the customer
    STAGE = "stage"  # a journey stage, possibly a handoff to a back-office team
    APPROVAL = "approval"  # a remedy over the owner's authority, waiting for an approver


class Pause(Model):
    """One stretch of time a target's clock stood still (``end`` None: it still does)."""

    start: AwareDatetime
    end: AwareDatetime | None = None


class CycleOutcome(StrEnum):
    """How one SLA cycle (one start of a target, to its stop) turned out."""

    OPEN = "open"  # running or paused
    MET = "met"  # met before its due time
    MET_LATE = "met_late"  # met after it breached
    BREACHED = "breached"  # breached and not met (yet)
    CANCELLED = "cancelled"  # withdrawn: its rule changed or went, the ticket closed


class TargetState(Model):
    """One deadline, with its clock and its escalation ladder: one SLA cycle.

    Every start (and re-arm) of a target is an instance of its own, numbered by ``cycle``, with
    its start, its pauses, its stop and outcome. While running, ``due_at`` is set; while paused,
    ``remaining_seconds`` holds what is left on the target's clock (elapsed or business seconds)
    and ``due_at`` is None. A breached target whose pause holds stops climbing its ladder:
    ``ladder_held_at`` says since when, ``ladder_remaining_seconds`` how long until its next level.
    """

    id: str = Field(description="Unique in the case: policy/rule, plus an instance suffix.")
    name: str
    policy: str
    kind: TargetKind
    status: TargetStatus = TargetStatus.RUNNING
    calendar: str | None = Field(default=None, description="None: elapsed time.")
    assignee: str | None = Field(
        default=None, description="Who works on it, when not the case owner (a handoff)."
    )
    started_at: AwareDatetime
    total_seconds: float
    due_at: AwareDatetime | None = None
    remaining_seconds: float | None = None
    at_risk: float | None = None
    warn_at: AwareDatetime | None = None
    warned: bool = False
    escalation: str | None = None
    breached_at: AwareDatetime | None = None
    level: int = Field(default=0, description="Escalation levels fired so far.")
    next_level_at: AwareDatetime | None = None
    met_at: AwareDatetime | None = None
    detail: str = ""
    cycle: int = Field(default=1, description="Which start of this target it is: 1, 2, ...")
    pauses: tuple[Pause, ...] = ()
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str | None = None
    level_base_at: AwareDatetime | None = Field(
        default=None, description="When the last level fired (or the breach): the next one counts from it."
    )
    ladder_held_at: AwareDatetime | None = None
    ladder_remaining_seconds: float | None = None
    channels_used: tuple[str, ...] = Field(
        default=(), description="Channels other than the helpdesk its escalations went through."
    )

    @property
    def outcome(self) -> CycleOutcome:
        if self.status is TargetStatus.CANCELLED:
            return CycleOutcome.CANCELLED
        if self.status is TargetStatus.MET:
            return CycleOutcome.MET_LATE if self.breached_at is not None else CycleOutcome.MET
        if self.breached_at is not None:
            return CycleOutcome.BREACHED
        return CycleOutcome.OPEN

    @property
    def stopped_at(self) -> datetime | None:
        """When the cycle stopped: met or cancelled."""
        return self.met_at or self.cancelled_at

    @property
    def open(self) -> bool:
        """Still counting, or breached and not yet met."""
        return self.status in OPEN_STATUSES

    @property
    def settled(self) -> bool:
        """Nothing more can happen: met, cancelled, or breached with the whole ladder climbed."""
        return not self.open or (self.status is TargetStatus.BREACHED and self.next_level_at is None)


class OwnershipChange(Model):
    """Every change of the accountable owner, with why."""

    time: AwareDatetime
    previous: str | None
    owner: str
    reason: str
    policy: str
    rule: str


class AssignedOn(Model):
    """The ticket as it was when serviceflow last asked the helpdesk to assign the owner: no
    ticket this old, with this assignee and group, can show that assignment yet."""

    updated_at: AwareDatetime = Field(description="The ticket's updated_at in the helpdesk.")
    assignee: str | None = None
    group: str | None = None


class JourneyState(Model):
    name: str
    stage: int = 0
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None


class Notified(Model):
    """Who was told about a target's breach, and when: what escalation cooldowns read."""

    target: str = Field(description="policy/rule of the target.")
    recipient: str
    at: AwareDatetime


class Deferred(Model):
    """A notification held until its recipients' business hours."""

    send_at: AwareDatetime
    action: Action


#: The deliveries a case keeps (the latest); older ones stay in the workflow's history.
MAX_DELIVERIES = 500


class DeliveryRecord(Model):
    """One notification through one channel, as the case remembers it: who was told, where,
    and what became of it (``delivered``, ``skipped: ...``, ``refused``, ``retryable`` when it
    gave up, ``shadow: would have ...`` in shadow mode)."""

    key: str = Field(description="The Notify action's idempotency key.")
    channel: str = Field(description="'helpdesk', or the configured channel's name (slack:leads).")
    recipients: tuple[str, ...] = Field(default=(), description="Who it was for, by name.")
    outcome: str
    detail: str = ""
    at: AwareDatetime = Field(description="When the outcome was known.")


class ActionRecord(Model):
    """What became of one action the case asked of the helpdesk: ``done``, ``skipped: ...``,
    ``failed: ...``, ``ticket gone``, or ``shadow: would have ...`` in shadow mode."""

    key: str
    type: str
    outcome: str = Field(max_length=2_000)
    at: AwareDatetime


class Decision(Model):
    """What the engine decided on one input, and under which policy set version."""

    time: AwareDatetime
    input: str = Field(description="The event id and kind, 'wake-up', or the manual operation.")
    policy_version: str
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = Field(default=(), description="Things decided that are not actions.")
    errors: tuple[str, ...] = Field(default=(), description="Rule errors, each with the default applied.")


class CaseState(Model):
    """Everything a case remembers. The engine returns a new one on every decision."""

    case_id: str
    ticket: Ticket
    owner: str | None = None
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    targets: tuple[TargetState, ...] = ()
    ownership: tuple[OwnershipChange, ...] = ()
    assigned_on: AssignedOn | None = Field(
        default=None,
        description="The ticket as it was when serviceflow last asked the helpdesk to assign the owner: "
        "a ticket no newer cannot show the assignment yet, so its missing assignee does not mean it "
        "was left without one.",
    )
    journeys: tuple[JourneyState, ...] = ()
    linked_tickets: tuple[str, ...] = Field(default=(), description="Repeat contacts joined here.")
    human_replied: bool = False
    seen_events: tuple[str, ...] = Field(default=(), description="Event ids already decided on.")
    issued: tuple[str, ...] = Field(default=(), description="Idempotency keys of issued actions.")
    notified: tuple[Notified, ...] = Field(
        default=(), description="Escalation notifications by target and recipient, for cooldowns."
    )
    deferred: tuple[Deferred, ...] = ()
    timeline: tuple[str, ...] = Field(
        default=(), description="The story so far: messages, replies, notes, status changes."
    )
    decisions: tuple[Decision, ...] = ()
    policy_version: str | None = Field(
        default=None, description="The policy set version the case decides under."
    )
    ticket_read: str | None = Field(
        default=None,
        description="Whether the full ticket was read from the helpdesk: 'read', or why the case "
        "decides on what the webhooks gave ('failed: 429 ...', 'not offered: ...'); None: not tried.",
    )
    actions_done: tuple[ActionRecord, ...] = Field(
        default=(), description=f"What each action did in the helpdesk (the latest {MAX_DELIVERIES})."
    )
    deliveries: tuple[DeliveryRecord, ...] = Field(
        default=(), description=f"Notifications delivered, by channel (the latest {MAX_DELIVERIES})."
    )

    @field_validator("notified", mode="before")
    @classmethod
    def _typed_notified(cls, value: Any) -> Any:
        """Cases recorded before the records were typed hold ``target|recipient|iso`` strings."""
        if isinstance(value, list | tuple):
            records = []
            for item in value:
                if isinstance(item, str):
                    target, recipient, at = item.rsplit("|", 2)
                    records.append({"target": target, "recipient": recipient, "at": at})
                else:
                    records.append(item)
            return records
        return value

    @model_validator(mode="before")
    @classmethod
    def _version_from_decisions(cls, data: Any) -> Any:
        """A case recorded before it kept its version decided under its last decision's."""
        if isinstance(data, dict) and data.get("policy_version") is None and data.get("decisions"):
            last = data["decisions"][-1]
            version = last.get("policy_version") if isinstance(last, dict) else last.policy_version
            if version:
                return {**data, "policy_version": version}
        return data

    @property
    def finished(self) -> bool:
        """The ticket is closed and every target is settled: the case can end."""
        return self.closed_at is not None

    def view(self) -> CaseView:
        """What policies can read about this case."""
        return CaseView(
            id=self.case_id,
            owner=self.owner,
            opened_at=self.opened_at,
            closed=self.closed_at is not None,
            human_replied=self.human_replied,
            contacts=1 + len(self.linked_tickets),
            targets=tuple(
                TargetView(name=t.name, kind=t.kind.value, status=t.status, due_at=t.due_at)
                for t in self.targets
            ),
            breaches=sum(1 for t in self.targets if t.breached_at is not None),
        )


class TargetView(Model):
    """A deadline as policies see it."""

    name: str
    kind: str
    status: TargetStatus
    due_at: AwareDatetime | None = None


class CaseView(Model):
    """What a policy can read about a case (the ``case`` and ``other`` variables)."""

    id: str
    owner: str | None = None
    opened_at: AwareDatetime
    closed: bool = False
    human_replied: bool = False
    contacts: int = Field(default=1, description="Tickets joined to this case, the first included.")
    targets: tuple[TargetView, ...] = ()
    breaches: int = 0
