"""Actions: what the engine asks the durable shell to carry out through a vendor plugin.

Every action carries the reason it was issued and the rule that issued it, so "which rule did this,
and why" always has an answer. ``key`` is the idempotency key: an action with the same key is
carried out once, however often an activity retries.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from serviceflow.model.ticket import Model, Priority, TicketStatus


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


class Notify(ActionBase):
    """Tell people something: an at-risk warning to the owner, or a breach escalation level."""

    type: Literal["notify"] = "notify"
    recipients: tuple[str, ...]
    subject: str
    body: str
    escalation_level: int | None = Field(
        default=None, description="The ladder level, for escalations; None for warnings."
    )


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
