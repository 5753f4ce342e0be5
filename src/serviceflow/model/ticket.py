"""The vendor-neutral ticket, as every plugin normalises it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from serviceflow.model.bounds import AccountName, CustomFields, PersonId, TicketId, VendorName, WebhookTime


class TicketStatus(StrEnum):
    """Where a ticket is in its life; vendors' own statuses map onto these."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    """How the customer reached us."""

    EMAIL = "email"
    WEB = "web"
    PHONE = "phone"
    CHAT = "chat"
    API = "api"
    SOCIAL = "social"
    OTHER = "other"


class TicketKind(StrEnum):
    """What a case is about: a helpdesk ticket, or a message the helpdesk quarantined."""

    TICKET = "ticket"
    QUARANTINED = "quarantined"


class Model(BaseModel):
    """Base of the domain models: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Requester(Model):
    """The customer who asked."""

    id: PersonId
    email: str | None = None
    name: str | None = None


class TicketOrganization(Model):
    """The requester's organization (Zendesk) or company (Freshdesk), as policies read it:
    ``ticket.organization.name``, ``.tags``, ``.fields``, ``.domains``. Empty (no id, no name)
    when the ticket has none or the helpdesk was not read, so a rule never meets a null."""

    id: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=1_000)
    domains: tuple[str, ...] = Field(default=(), max_length=100)
    tags: tuple[str, ...] = Field(default=(), max_length=500)
    fields: CustomFields = Field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.id or self.name)


class Ticket(Model):
    """A helpdesk ticket as serviceflow sees it, whatever the vendor.

    Ids are strings everywhere (Zendesk's event webhooks send them as strings, Freshdesk's as numbers),
    bounded by :mod:`serviceflow.model.bounds`: one case per ticket, and a 400 at parse for an id,
    an account or a time no case could hold.
    """

    id: TicketId
    kind: TicketKind = Field(
        default=TicketKind.TICKET,
        description="'quarantined' for a review case of suspended or spam mail (not yet a ticket).",
    )
    vendor: VendorName = Field(description="The plugin that owns the ticket, e.g. 'zendesk'.")
    account: AccountName = Field(description="The helpdesk account: Zendesk subdomain, Freshdesk domain.")
    subject: str = ""
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.OTHER
    requester: Requester
    recipient: str | None = Field(
        default=None, description="The address the customer wrote to, e.g. manager@shop.example."
    )
    assignee: str | None = Field(default=None, description="The assigned agent's id.")
    group: str | None = Field(default=None, description="The assigned group's id or name.")
    tags: tuple[str, ...] = ()
    custom_fields: CustomFields = Field(default_factory=dict)
    organization: TicketOrganization = Field(
        default_factory=TicketOrganization,
        description="The requester's organization, when the helpdesk was read (see CaseState.ticket_read).",
    )
    created_at: WebhookTime
    updated_at: WebhookTime

    @property
    def key(self) -> str:
        """The case id: one case per ticket per account per vendor."""
        return f"{self.vendor}:{self.account}:{self.id}"
