"""What the engine decides on: a ticket event, a wake-up, or a person's manual operation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from serviceflow.model import Action, CaseState, Decision, Remedy, Roster, TicketEvent
from serviceflow.model.ticket import Model


class EventInput(Model):
    """Something happened on the ticket."""

    type: Literal["event"] = "event"
    event: TicketEvent


class WakeUp(Model):
    """A timer the engine asked for came due: warnings, breaches, escalation levels."""

    type: Literal["wake_up"] = "wake_up"


class ReassignOwner(Model):
    """A person makes someone else the accountable owner."""

    type: Literal["reassign_owner"] = "reassign_owner"
    agent: str
    reason: str
    by: str


class RecordPromise(Model):
    """A person records a promise by hand (instead of through a note or tag the policy reads)."""

    type: Literal["record_promise"] = "record_promise"
    promise: str = Field(description="The name of a promise rule, e.g. refund.")
    due_at: AwareDatetime | None = Field(default=None, description="Overrides the rule's due.")
    detail: str = ""
    by: str


class RequestRemedy(Model):
    """The owner wants to grant a remedy; policy says whether they may, or who approves."""

    type: Literal["request_remedy"] = "request_remedy"
    remedy: Remedy
    by: str


class ResolveApproval(Model):
    """An approver decided on a remedy request."""

    type: Literal["resolve_approval"] = "resolve_approval"
    approval: str = Field(description="The approval target's id.")
    approved: bool
    by: str


class LinkContact(Model):
    """Another ticket from the same customer about the same matter joined this case."""

    type: Literal["link_contact"] = "link_contact"
    ticket_key: str
    time: AwareDatetime


EngineInput = Annotated[
    EventInput | WakeUp | ReassignOwner | RecordPromise | RequestRemedy | ResolveApproval | LinkContact,
    Field(discriminator="type"),
]


class Context(Model):
    """What the engine may know beyond the case itself; read by the shell before deciding."""

    roster: Roster = Roster()
    open_cases: tuple[CaseState, ...] = Field(
        default=(), description="The requester's other open cases, for the same-case rule."
    )


@dataclass(frozen=True)
class Outcome:
    """The engine's answer: the new state, the actions to carry out, and when to wake it."""

    state: CaseState
    actions: tuple[Action, ...]
    wake_at: datetime | None
    decision: Decision | None
    evaluations: int = 0  # CEL evaluations this decision took (for benchmarks)

    def __init__(
        self,
        state: CaseState,
        actions: tuple[Action, ...],
        wake_at: datetime | None,
        decision: Decision | None,
        evaluations: int = 0,
    ) -> None:
        # Filled into the instance's own dict: the generated __init__ of a frozen dataclass sets
        # each field through object.__setattr__ (about three times a plain __init__'s cost), and
        # every input makes one Outcome. Still frozen: assigning a field raises.
        fields = self.__dict__  # item by item: no keywords' dict to build and merge
        fields["state"] = state
        fields["actions"] = actions
        fields["wake_at"] = wake_at
        fields["decision"] = decision
        fields["evaluations"] = evaluations
