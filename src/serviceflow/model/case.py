"""The case: serviceflow's durable memory of one ticket, from first contact to closure."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from serviceflow.model.actions import Action
from serviceflow.model.ticket import Model, Ticket


class TargetStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class TargetKind(StrEnum):
    TARGET = "target"  # a turnaround target of a policy
    ACKNOWLEDGEMENT = "acknowledgement"  # every inbound message gets one
    PROMISE = "promise"  # a commitment to the customer
    STAGE = "stage"  # a journey stage, possibly a handoff to a back-office team
    APPROVAL = "approval"  # a remedy over the owner's authority, waiting for an approver


class TargetState(Model):
    """One deadline, with its clock and its escalation ladder.

    While running, ``due_at`` is set; while paused, ``remaining_seconds`` holds what is left on
    the target's clock (elapsed or business seconds) and ``due_at`` is None.
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

    @property
    def open(self) -> bool:
        """Still counting, or breached and not yet met."""
        return self.status in (TargetStatus.RUNNING, TargetStatus.PAUSED, TargetStatus.BREACHED)

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


class JourneyState(Model):
    name: str
    stage: int = 0
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None


class Deferred(Model):
    """A notification held until its recipients' business hours."""

    send_at: AwareDatetime
    action: Action


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
    journeys: tuple[JourneyState, ...] = ()
    linked_tickets: tuple[str, ...] = Field(default=(), description="Repeat contacts joined here.")
    human_replied: bool = False
    seen_events: tuple[str, ...] = Field(default=(), description="Event ids already decided on.")
    issued: tuple[str, ...] = Field(default=(), description="Idempotency keys of issued actions.")
    notified: tuple[str, ...] = Field(
        default=(),
        description="target|recipient|ISO time of escalation notifications, for cooldowns.",
    )
    deferred: tuple[Deferred, ...] = ()
    timeline: tuple[str, ...] = Field(
        default=(), description="The story so far: messages, replies, notes, status changes."
    )
    decisions: tuple[Decision, ...] = ()

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
