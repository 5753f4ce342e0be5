"""Quarantined mail: what a helpdesk set aside instead of making it a ticket.

Zendesk puts such mail in its *suspended tickets* queue (no ticket, no webhook; an unrecovered one
is deleted after 14 days); Freshdesk makes it a ticket flagged ``spam``. Each plugin normalises
its queue into :class:`QuarantinedMessage`, so one watcher and one set of policies serve both.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from serviceflow.model.ticket import Channel, Model, Requester


class QuarantinedMessage(Model):
    """One message waiting in a helpdesk's suspended or spam queue."""

    id: str = Field(description="The vendor's id of the suspended ticket or spam-flagged ticket.")
    vendor: str
    account: str
    sender: Requester = Field(description="Who wrote it: the vendor's user id if known, else the email.")
    subject: str = ""
    excerpt: str = Field(default="", description="The start of the message text, as plain text.")
    cause: str = Field(
        default="", description="Why the helpdesk set it aside, in the vendor's words ('Detected as spam')."
    )
    recipient: str | None = Field(default=None, description="The address it was sent to.")
    channel: Channel = Channel.EMAIL
    received_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the helpdesk deletes it for good, if it does."
    )
    ticket_id: str | None = Field(
        default=None, description="The ticket this mail belongs to, when the helpdesk knows one."
    )
    how_to_recover: str = Field(
        default="",
        max_length=2_000,
        description="What a person does in the helpdesk to take it out of quarantine, when serviceflow "
        "cannot (the plugin's words); its review case shows it.",
    )

    @property
    def key(self) -> str:
        """The review case's id: ``{vendor}:{account}:quarantine-{id}``."""
        return f"{self.vendor}:{self.account}:{QUARANTINE_PREFIX}{self.id}"


#: Ticket ids of review cases start with this; it never clashes with a helpdesk's ticket ids.
QUARANTINE_PREFIX = "quarantine-"
