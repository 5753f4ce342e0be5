"""Zendesk's words -> serviceflow's: tickets from the REST API, suspended tickets as quarantined
messages, and the value maps webhooks share.

Zendesk names things its own way (``hold``, ``web_service``, numeric ids); serviceflow's model is
vendor-neutral with string ids, so every mapping lives here once and both the REST path
(:func:`ticket_from_api`) and the webhook path (:mod:`.webhooks`) use it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.adapters.records import Person
from serviceflow.model import Channel, Priority, QuarantinedMessage, Requester, Ticket, TicketStatus

from .models import SuspendedTicket, User
from .models import Ticket as ZendeskTicket

VENDOR = "zendesk"

#: "All unrecovered suspended tickets are automatically deleted after 14 days"
#: (support.zendesk.com/hc/en-us/articles/4408893392922; developer.zendesk.com Suspended Tickets:
#: "If no one reviews it, the email is deleted after 14 days").
SUSPENDED_RETENTION = timedelta(days=14)
#: The longest excerpt of a suspended email kept on a QuarantinedMessage (characters).
EXCERPT_LENGTH = 500
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6])\s*>|<br\s*/?>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

_STATUS = {
    "new": TicketStatus.NEW,
    "open": TicketStatus.OPEN,
    "pending": TicketStatus.PENDING,
    "hold": TicketStatus.ON_HOLD,
    "on-hold": TicketStatus.ON_HOLD,  # the trigger placeholder's display string, lower-cased
    "on_hold": TicketStatus.ON_HOLD,
    "solved": TicketStatus.SOLVED,
    "closed": TicketStatus.CLOSED,
    # Event webhooks may report these; for serviceflow the ticket is over.
    "deleted": TicketStatus.CLOSED,
    "archived": TicketStatus.CLOSED,
    "scrubbed": TicketStatus.CLOSED,
}
_PRIORITY = {p.value: p for p in Priority}
_CHANNEL = {
    "email": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "web": Channel.WEB,
    "web_form": Channel.WEB,
    "voice": Channel.PHONE,
    "phone": Channel.PHONE,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "api": Channel.API,
    "web_service": Channel.API,
    "twitter": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
}


def status(value: str | None) -> TicketStatus:
    """A Zendesk status in any spelling (``hold``, ``HOLD``, ``On-hold``); unknown -> open."""
    if not value:
        return TicketStatus.NEW
    return _STATUS.get(value.strip().lower(), TicketStatus.OPEN)


def priority(value: str | None) -> Priority:
    """A Zendesk priority in any spelling; none (Zendesk's default) -> normal."""
    if not value:
        return Priority.NORMAL
    return _PRIORITY.get(value.strip().lower(), Priority.NORMAL)


def channel(value: object) -> Channel:
    """``via.channel`` (or a trigger's ``{{ticket.via}}`` display string) -> a Channel; anything
    but a known name (none, a number, a boolean in an export's undocumented ``via``) is other."""
    if not isinstance(value, str) or not value:
        return Channel.OTHER
    key = value.strip().lower().replace(" ", "_")
    return _CHANNEL.get(key, Channel.OTHER)


def sid(value: Any) -> str | None:
    """An id as serviceflow keeps it: a string, or None for none/empty."""
    if value is None or value == "":
        return None
    return str(value)


def timestamp(value: Any, *, default: datetime | None = None) -> datetime:
    """An aware datetime from Zendesk's ISO text; ``default`` (or now) when absent/unparseable."""
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default if default is not None else datetime.now(UTC)


def custom_fields(items: Any) -> dict[str, Any]:
    """``[{"id": 360..., "value": ...}]`` -> ``{"360...": value}``."""
    out: dict[str, Any] = {}
    for item in items or ():
        if isinstance(item, Mapping) and "id" in item:
            out[str(item["id"])] = item.get("value")
    return out


def ticket_from_api(ticket: ZendeskTicket, *, account: str, requester: User | None = None) -> Ticket:
    """A REST ticket (``GET /api/v2/tickets/{id}``) as a serviceflow Ticket.

    Args:
        ticket: The ticket as the client returned it.
        account: The account name (subdomain) the ticket belongs to.
        requester: The requester, when the caller read them, for email and name.
    """
    extra = ticket.model_extra or {}
    via = extra.get("via") or {}
    created = timestamp(ticket.created_at)
    return Ticket(
        id=str(ticket.id),
        vendor=VENDOR,
        account=account,
        subject=ticket.subject or "",
        status=status(ticket.status),
        priority=priority(ticket.priority),
        channel=channel(via.get("channel") if isinstance(via, Mapping) else None),
        requester=Requester(
            id=sid(ticket.requester_id) or "unknown",
            email=requester.email if requester else None,
            name=requester.name if requester else None,
        ),
        recipient=extra.get("recipient"),
        assignee=sid(ticket.assignee_id),
        group=sid(ticket.group_id),
        tags=tuple(ticket.tags),
        custom_fields=custom_fields(ticket.custom_fields),
        created_at=created,
        updated_at=timestamp(ticket.updated_at, default=created),
    )


def person(user: User) -> Person:
    """A Zendesk user (the requester) as a :class:`~serviceflow.adapters.Person`."""
    extra = user.model_extra or {}
    fields = extra.get("user_fields")
    return Person(
        id=str(user.id),
        name=user.name,
        email=user.email,
        organization=sid(extra.get("organization_id")),
        tags=tuple(str(t) for t in extra.get("tags") or ()),
        fields=dict(fields) if isinstance(fields, Mapping) else {},
    )


def excerpt(content: str | None, limit: int = EXCERPT_LENGTH) -> str:
    """The start of an email's text as plain text: tags dropped, entities decoded, whitespace
    collapsed, cut at a word boundary to at most ``limit`` characters (with "…" when cut)."""
    if not content:
        return ""
    text = _TAG.sub("", _BLOCK_END.sub(" ", content)) if "<" in content else content
    text = _SPACE.sub(" ", html.unescape(text)).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def quarantined_from_suspended(suspended: SuspendedTicket, *, account: str) -> QuarantinedMessage:
    """A suspended ticket (``GET /api/v2/suspended_tickets``) as a QuarantinedMessage.

    The sender is the author's user id when Zendesk knows one, else their email address. Zendesk
    gives no deletion date, so ``expires_at`` is ``created_at`` plus the documented 14 days.
    """
    author = suspended.author
    email = author.email if author else None
    sender_id = sid(author.id) if author else None
    received = timestamp(suspended.created_at)
    via = suspended.via or {}
    via_channel = via.get("channel") if isinstance(via, Mapping) else None
    return QuarantinedMessage(
        id=str(suspended.id),
        vendor=VENDOR,
        account=account,
        sender=Requester(
            id=sender_id or email or "unknown", email=email, name=author.name if author else None
        ),
        subject=suspended.subject or "",
        excerpt=excerpt(suspended.content),
        cause=suspended.cause or "",
        recipient=suspended.recipient or None,
        channel=channel(via_channel) if via_channel else Channel.EMAIL,
        received_at=received,
        expires_at=received + SUSPENDED_RETENTION,
        ticket_id=sid(suspended.ticket_id),
    )
