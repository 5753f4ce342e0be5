"""What a notification channel is given and what it answers: vendor-neutral models.

A :class:`Notification` is everything any channel needs to tell people about a case: who it is
for (resolved to names and addresses, never bare agent ids), which ticket (subject and link when
known), which target and ladder level, and whether it warns, escalates a breach or resolves one.
A :class:`Delivery` is what one channel did with it; the shell records it in the case.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import AwareDatetime, Field

from serviceflow.model.ticket import Model

#: Bounds on what a notification carries, so no input makes an unbounded message.
MAX_SUBJECT = 1_000
MAX_BODY = 20_000
MAX_RECIPIENTS = 100
MAX_KEY = 1_000


class NotificationKind(StrEnum):
    """Why people are told."""

    WARNING = "warning"  # a target is at risk: only its owner is warned, before any breach
    BREACH = "breach"  # a target breached: one level of its escalation ladder
    RESOLVE = "resolve"  # a breached target is met after all: close what the breach opened


class Recipient(Model):
    """A person a notification is for, as the roster knows them."""

    id: str = Field(max_length=200, description="The agent id (the helpdesk's).")
    name: str = Field(default="", max_length=200, description="Their name, as people know them.")
    email: str | None = Field(default=None, max_length=320, description="Their address, for email.")

    @property
    def display(self) -> str:
        """The name when the roster has one, else the id: what texts call this person."""
        return self.name or self.id


class TicketRef(Model):
    """The ticket a notification is about; a review case's quarantined message has no link."""

    id: str = Field(max_length=200)
    subject: str = Field(default="", max_length=MAX_SUBJECT)
    url: str | None = Field(default=None, max_length=2_000, description="Where a person opens it.")


class Notification(Model):
    """One thing to tell people, the same for every channel.

    ``key`` is the idempotency key of the engine action that asked for it: the same notification
    delivered twice carries the same key, and channels that can de-duplicate use it.
    """

    key: str = Field(min_length=1, max_length=MAX_KEY)
    case_id: str = Field(min_length=1, max_length=500)
    kind: NotificationKind
    subject: str = Field(max_length=MAX_SUBJECT)
    body: str = Field(default="", max_length=MAX_BODY)
    recipients: tuple[Recipient, ...] = Field(default=(), max_length=MAX_RECIPIENTS)
    ticket: TicketRef | None = None
    target: str | None = Field(default=None, max_length=200, description="The target's name.")
    target_id: str | None = Field(
        default=None,
        max_length=500,
        description="The target's id in the case (policy/rule plus instance): a breach and its "
        "resolve share it, and so share an incident.",
    )
    level: int | None = Field(default=None, ge=0, le=1_000, description="The ladder level of a breach.")
    due_at: AwareDatetime | None = None
    policy: str = Field(default="", max_length=200)
    rule: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=2_000)

    @property
    def incident(self) -> str:
        """What a breach opened and its resolve closes: the case and the target (an alerting
        channel's de-duplication key). Without a target it is the action's own key."""
        if self.target_id or self.target:
            return f"{self.case_id}/{self.target_id or self.target}"
        return self.key

    def incident_key(self, limit: int) -> str:
        """:attr:`incident`, shortened to ``limit`` characters by a stable hash when longer."""
        incident = self.incident
        if len(incident) <= limit:
            return incident
        digest = hashlib.sha256(incident.encode()).hexdigest()[:32]
        return f"{incident[: limit - 33]}#{digest}"


class DeliveryOutcome(StrEnum):
    """What became of one delivery through one channel."""

    DELIVERED = "delivered"  # the channel took it (for email: the server accepted it)
    SKIPPED = "skipped"  # not for this channel (an at-risk warning is no page)
    REFUSED = "refused"  # the channel said no, and no retry changes that: the reason says what to fix
    RETRYABLE = "retryable"  # it may pass (429, 5xx, network): try again later


class Delivery(Model):
    """The outcome of delivering one notification through one channel, as the case records it."""

    channel: str
    key: str
    outcome: DeliveryOutcome
    detail: str = ""
    attempts: int = Field(default=1, ge=0)
    retry_after: float | None = Field(
        default=None, ge=0, description="Seconds the channel asked us to wait, when it said."
    )

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.outcome.value} via {self.channel}{detail}"
