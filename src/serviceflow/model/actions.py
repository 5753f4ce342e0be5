"""Actions: what the engine asks the durable shell to carry out through a vendor plugin.

Every action carries the reason it was issued and the rule that issued it, so "which rule did this,
and why" always has an answer. ``key`` is the idempotency key: an action with the same key is
carried out once, however often an activity retries.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from serviceflow.model.ticket import Model, Priority, TicketStatus

#: The channel every notification goes through unless a ladder level names others (``via``).
HELPDESK_CHANNEL = "helpdesk"


class ActionBase(Model):
    key: str = Field(description="Idempotency key, unique within the case.")
    reason: str
    policy: str
    rule: str


class AssignOwner(ActionBase):
    type: Literal["assign_owner"] = "assign_owner"
    agent: str | None = None
    group: str | None = None


class AddInternalNote(ActionBase):
    type: Literal["add_internal_note"] = "add_internal_note"
    body: str


class AddPublicReply(ActionBase):
    type: Literal["add_public_reply"] = "add_public_reply"
    body: str


class AddTags(ActionBase):
    type: Literal["add_tags"] = "add_tags"
    tags: tuple[str, ...]


class RemoveTags(ActionBase):
    type: Literal["remove_tags"] = "remove_tags"
    tags: tuple[str, ...]


class SetStatus(ActionBase):
    type: Literal["set_status"] = "set_status"
    status: TicketStatus


class SetPriority(ActionBase):
    type: Literal["set_priority"] = "set_priority"
    priority: Priority


class MergeTickets(ActionBase):
    type: Literal["merge_tickets"] = "merge_tickets"
    into_ticket: str


class LinkCase(ActionBase):
    """Tell another case that a repeat contact joined it (carried out by the shell, not a vendor)."""

    type: Literal["link_case"] = "link_case"
    case_id: str
    ticket_key: str


class Person(Model):
    """Someone a notification is for, as the roster knows them: what a channel needs to address
    them and to name them in its text (never a bare id)."""

    id: str = Field(description="The recipient as in ``recipients``: an agent id or ``group:NAME``.")
    name: str = Field(description="How texts name them: the agent's or team's name, else the id.")
    email: str | None = None
    team: bool = Field(default=False, description="A team (``group:NAME``), not one person.")


class NotifyPurpose(StrEnum):
    """Why a notification is sent; a channel that keeps incidents (PagerDuty) opens one on a
    breach and resolves it when the target is met or withdrawn (``resolved``)."""

    AT_RISK = "at_risk"
    BREACHED = "breached"
    RESOLVED = "resolved"
    HANDOFF = "handoff"
    APPROVAL = "approval"


class Notify(ActionBase):
    """Tell people something: an at-risk warning to the owner, a breach escalation level, a
    handoff or approval request, or that a breached target was met after all.

    ``recipients`` are ids (agents, ``group:NAME``); ``people`` are the same recipients resolved
    through the roster, so a channel can address them and name them. ``channels`` are where it
    goes: ``helpdesk`` (a note on the ticket that tells them), or a registered notification
    channel as ``kind:name`` (``slack:support-leads``) or ``name``.
    """

    type: Literal["notify"] = "notify"
    recipients: tuple[str, ...]
    subject: str
    body: str
    escalation_level: int | None = Field(
        default=None, description="The ladder level, for escalations; None for warnings."
    )
    channels: tuple[str, ...] = Field(
        default=(HELPDESK_CHANNEL,), description="Where to deliver it: helpdesk, or kind:name channels."
    )
    people: tuple[Person, ...] = Field(default=(), description="The recipients, resolved from the roster.")
    purpose: NotifyPurpose | None = Field(default=None, description="None in actions decided before it.")
    target: str | None = Field(default=None, description="The target's name (policy/rule in ``rule``).")
    target_id: str | None = Field(default=None, description="The target instance (cycle) in the case.")
    ticket_subject: str = ""


Action = Annotated[
    AssignOwner
    | AddInternalNote
    | AddPublicReply
    | AddTags
    | RemoveTags
    | SetStatus
    | SetPriority
    | MergeTickets
    | LinkCase
    | Notify,
    Field(discriminator="type"),
]
