"""Help Scout's words -> serviceflow's: statuses, channels, the priority tag, conversations as
tickets, and spam conversations as quarantined messages.

- **Status** (CONTRACTS.md §2.3, §4.1): ``active`` and ``open`` are both the open state (official
  examples answer either); ``pending``; ``closed``, which a customer's reply reopens, is what the
  other helpdesks call *solved* (a Zendesk ticket is *closed* only when nothing can reopen it),
  so the shipped policies read it as ``solved``; ``spam`` is the quarantine's (:mod:`.quarantine`).
  Help Scout has no *new* and no *on hold*.
- **Priority**: Help Scout has none. serviceflow keeps it in a tag, ``priority-<level>`` (the
  prefix is ``SERVICEFLOW_HELPSCOUT_PRIORITY_TAG_PREFIX``), so a person sets it with a tag and
  ``set_priority`` writes one; no tag is ``normal``.
- **Channel**: the conversation's ``type`` (``email``, ``chat``, ``phone``).
- **Requester**: the ``primaryCustomer``; **recipient**: the inbox's address (read by the client,
  kept), since a conversation names only its ``mailboxId``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from typing import Any

from serviceflow.model import Channel, Priority, QuarantinedMessage, Requester, Ticket, TicketStatus

from . import own_writes
from .models import Conversation

VENDOR = "helpscout"
#: Help Scout's statuses -> serviceflow's (see the module docstring).
STATUS_IN = {
    "active": TicketStatus.OPEN,
    "open": TicketStatus.OPEN,
    "pending": TicketStatus.PENDING,
    "closed": TicketStatus.SOLVED,
}
#: serviceflow's statuses -> what ``PATCH /status`` sets (``on_hold`` has no Help Scout status).
STATUS_OUT = {
    TicketStatus.NEW: "active",
    TicketStatus.OPEN: "active",
    TicketStatus.PENDING: "pending",
    TicketStatus.SOLVED: "closed",
    TicketStatus.CLOSED: "closed",
}
CHANNELS = {"email": Channel.EMAIL, "chat": Channel.CHAT, "phone": Channel.PHONE}
SPAM = "spam"
#: The cause every Help Scout quarantined message carries (policies match on it).
SPAM_CAUSE = "spam"
EXCERPT_CHARS = 500


def status(value: str) -> TicketStatus:
    """A Help Scout status as serviceflow's; an unknown one counts as open (a person looks)."""
    return STATUS_IN.get(value, TicketStatus.OPEN)


def same_status(current: str, wanted: str) -> bool:
    """Whether ``current`` already is ``wanted`` (``open`` and ``active`` are one state)."""
    return current == wanted or {current, wanted} <= {"active", "open"}


def priority_tag(level: Priority, prefix: str) -> str:
    return f"{prefix}{level.value}"


def priority(tags: Iterable[str], prefix: str) -> Priority:
    """The priority a conversation's tags name (the most urgent, when several do)."""
    found = [p for p in Priority if priority_tag(p, prefix) in {t.strip().casefold() for t in tags}]
    return found[-1] if found else Priority.NORMAL


def tag_names(conversation: Conversation) -> list[str]:
    return [t.tag for t in conversation.tags]


def requester(conversation: Conversation) -> Requester:
    person = conversation.primaryCustomer
    if person is None and conversation.createdBy is not None and conversation.createdBy.type == "customer":
        person = conversation.createdBy
    if person is None:
        return Requester(id="unknown")
    return Requester(id=person.id, email=person.email, name=person.name)


def ticket_from_conversation(
    conversation: Conversation,
    *,
    account: str,
    priority_prefix: str,
    recipient: str | None = None,
    updated_at: datetime | None = None,
) -> Ticket:
    """A conversation as a serviceflow ticket (its stamp tag hidden)."""
    tags = own_writes.visible(tag_names(conversation))
    assignee = conversation.assignee
    # assigned to a team: ``type: "team"`` is a thread assignee's in the v2 List Threads example
    # (OFFICIAL); on a conversation's ``assignee`` it is UNVERIFIED (its example is a user's)
    team = assignee is not None and assignee.type == "team"
    fields: dict[str, Any] = {
        f.name or f.id: f.text if f.text is not None else f.value for f in conversation.customFields
    }
    if conversation.number is not None:
        fields["helpscout_number"] = conversation.number
    if conversation.mailboxId is not None:
        fields["helpscout_mailbox"] = conversation.mailboxId
    return Ticket(
        id=conversation.id,
        vendor=VENDOR,
        account=account,
        subject=conversation.subject,
        status=status(conversation.status),
        priority=priority(tags, priority_prefix),
        channel=CHANNELS.get(conversation.type or "", Channel.OTHER),
        requester=requester(conversation),
        recipient=recipient,
        assignee=None if assignee is None or team else assignee.id,
        group=assignee.id if assignee is not None and team else None,
        tags=tuple(tags),
        custom_fields=fields,
        created_at=conversation.createdAt,
        updated_at=max(updated_at, conversation.last_change) if updated_at else conversation.last_change,
    )


def quarantined(conversation: Conversation, *, account: str, recipient: str | None) -> QuarantinedMessage:
    """A spam conversation as a quarantined message (cause ``spam``). How long Help Scout keeps
    spam is not documented in any source read (UNVERIFIED), so no expiry is claimed."""
    who = requester(conversation)
    return QuarantinedMessage(
        id=conversation.id,
        vendor=VENDOR,
        account=account,
        sender=Requester(
            id=who.id if who.id != "unknown" else (who.email or "unknown"), email=who.email, name=who.name
        ),
        subject=conversation.subject,
        excerpt=" ".join(plain(conversation.preview).split())[:EXCERPT_CHARS],
        cause=SPAM_CAUSE,
        recipient=recipient,
        channel=CHANNELS.get(conversation.type or "", Channel.EMAIL),
        received_at=conversation.createdAt,
        ticket_id=None,  # the spam *is* the conversation
    )


class _Text(HTMLParser):
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain(html: str | None) -> str:
    """A thread body (HTML) as plain text, lines kept."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return html
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def to_html(text: str) -> str:
    """Plain text as the HTML a thread's ``text`` carries: escaped, one ``<br>`` a line."""
    return "<br>".join(escape(line) for line in text.splitlines())
