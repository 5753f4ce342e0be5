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


class TargetState(Model):
    """One deadline: a turnaround target, an acknowledgement, a promise, or a handoff's own target."""

    name: str
    policy: str
    kind: str = Field(description="target, acknowledgement, promise, handoff or review.")
    status: TargetStatus = TargetStatus.RUNNING
    started_at: AwareDatetime
    due_at: AwareDatetime | None = None
    at_risk_warned: bool = False
    escalation_level: int = 0
    met_at: AwareDatetime | None = None
    breached_at: AwareDatetime | None = None


class OwnershipChange(Model):
    """Every change of the accountable owner, with why."""

    time: AwareDatetime
    previous: str | None
    owner: str
    reason: str
    rule: str


class Decision(Model):
    """What the engine decided on one input, and under which policy set version."""

    time: AwareDatetime
    input: str = Field(description="The event id, or 'wake-up'.")
    policy_version: str
    actions: tuple[str, ...] = Field(default=(), description="Idempotency keys of the actions issued.")
    error: str | None = Field(default=None, description="A rule error, and the safe default applied.")


class CaseState(Model):
    """Everything a case remembers. The engine returns a new one on every decision."""

    case_id: str
    ticket: Ticket
    owner: str | None = None
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    targets: tuple[TargetState, ...] = ()
    ownership: tuple[OwnershipChange, ...] = ()
    linked_tickets: tuple[str, ...] = Field(default=(), description="Repeat contacts joined to this case.")
    human_replied: bool = False
    seen_events: tuple[str, ...] = Field(default=(), description="Event ids already decided on.")
    issued: tuple[Action, ...] = ()
    decisions: tuple[Decision, ...] = ()


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
