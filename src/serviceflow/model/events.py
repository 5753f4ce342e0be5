"""Events: what happened on a ticket, in vendor-neutral form."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from serviceflow.model.bounds import EventId, WebhookTime
from serviceflow.model.ticket import Model, Ticket


class EventKind(StrEnum):
    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    INTERNAL_NOTE = "internal_note"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    FIELDS_CHANGED = "fields_changed"


class ActorRole(StrEnum):
    """Who did it: the customer, a person on our side, an automation of the helpdesk (a trigger,
    a rule), or serviceflow itself.

    ``serviceflow`` marks the echo of serviceflow's own writes: a helpdesk reports every change
    its API user makes (Zendesk's event subscriptions, Freshdesk's automation rules), and each
    plugin recognises the integration's identity. Such an event is never a person's: it meets no
    target, acknowledges nothing and is no reassignment by a person.
    """

    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    SERVICEFLOW = "serviceflow"


class Actor(Model):
    id: str | None = None
    role: ActorRole
    name: str | None = None


class TicketEvent(Model):
    """One thing that happened on a ticket, with the ticket as it was right after it.

    ``id`` is stable across re-deliveries of the same webhook: the case de-duplicates on it.
    """

    id: EventId = Field(description="Stable event id for de-duplication.")
    kind: EventKind
    time: WebhookTime
    actor: Actor
    ticket: Ticket
    body: str = Field(default="", description="Message or note text; empty when there is none.")
    public: bool | None = Field(default=None, description="Whether a comment is visible to the customer.")
    changes: dict[str, str | None] = Field(
        default_factory=dict,
        description="Changed fields, as field name -> previous value (status_changed, fields_changed).",
    )
    reconciled: bool = Field(
        default=False,
        description="Found by a reconcile sweep or a backfill (a missed webhook), not delivered by one.",
    )
