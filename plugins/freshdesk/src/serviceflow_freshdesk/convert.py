"""Freshdesk REST objects -> serviceflow's: tickets, and spam-flagged tickets as quarantined mail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.model import QuarantinedMessage, Requester, Ticket, TicketStatus

from . import codes, text
from .models import Ticket as FreshdeskTicket

#: How long Freshdesk keeps a ticket in the spam folder before deleting it for good. SECONDARY:
#: a Freshdesk support-portal copy of the "Spam and trash" article (support.lionice.jp, article
#: 73000557563, in Japanese) says spam and trash tickets exist for 30 days only. Whether the 30 days
#: count from creation or from being flagged is UNVERIFIED: serviceflow counts from creation,
#: which is never later, so a last-chance alert can only come early, never late.
SPAM_RETENTION = timedelta(days=30)
#: The cause every Freshdesk quarantined message carries (policies match on it).
SPAM_CAUSE = "spam"
EXCERPT_CHARS = 500


def sid(value: Any) -> str | None:
    """An id as serviceflow keeps it: a string, or None for none/empty."""
    if value is None or value == "":
        return None
    return str(value)


def timestamp(value: Any, *, default: datetime | None = None) -> datetime:
    """An aware datetime from Freshdesk's ISO text; ``default`` (or now) when absent/unparseable."""
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default if default is not None else datetime.now(UTC)


def custom_status_fields(code: int | None, name: str | None) -> dict[str, Any]:
    """What a ticket in a custom status keeps of it: its name (or id, when the name is unknown)."""
    if not codes.is_custom_status(code, name):
        return {}
    fields: dict[str, Any] = {"freshdesk_status": name or f"custom status {code}"}
    if code is not None:
        fields["freshdesk_status_id"] = code
    return fields


def ticket_from_api(
    ticket: FreshdeskTicket, *, account: str, overrides: Mapping[str, TicketStatus] | None = None
) -> Ticket:
    """A REST ticket as a serviceflow Ticket.

    Args:
        ticket: The ticket as the client returned it (with ``requester`` when sideloaded).
        account: The account name (the domain).
        overrides: ``SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES``; a custom status's name is not in
            the REST ticket, so without an override it reads as on hold.
    """
    created = timestamp(ticket.created_at)
    requester = ticket.requester
    return Ticket(
        id=str(ticket.id),
        vendor=codes.VENDOR,
        account=account,
        subject=ticket.subject or "",
        status=codes.status(ticket.status, overrides=overrides),
        priority=codes.priority(ticket.priority),
        channel=codes.channel(ticket.source),
        requester=Requester(
            id=sid(ticket.requester_id) or "unknown",
            email=requester.email if requester else None,
            name=requester.name if requester else None,
        ),
        recipient=ticket.to_emails[0] if ticket.to_emails else None,
        assignee=sid(ticket.responder_id),
        group=sid(ticket.group_id),
        tags=tuple(ticket.tags),
        custom_fields={**dict(ticket.custom_fields), **custom_status_fields(ticket.status, None)},
        created_at=created,
        updated_at=timestamp(ticket.updated_at, default=created),
    )


def quarantined_from_api(ticket: FreshdeskTicket, *, account: str) -> QuarantinedMessage:
    """A spam-flagged ticket as a quarantined message (cause ``spam``, kept 30 days)."""
    received = timestamp(ticket.created_at)
    requester = ticket.requester
    excerpt = ticket.description_text or text.plain((ticket.model_extra or {}).get("description"))
    return QuarantinedMessage(
        id=str(ticket.id),
        vendor=codes.VENDOR,
        account=account,
        sender=Requester(
            id=sid(ticket.requester_id) or (requester.email if requester and requester.email else "unknown"),
            email=requester.email if requester else None,
            name=requester.name if requester else None,
        ),
        subject=ticket.subject or "",
        excerpt=" ".join(excerpt.split())[:EXCERPT_CHARS],
        cause=SPAM_CAUSE,
        recipient=ticket.to_emails[0] if ticket.to_emails else None,
        channel=codes.channel(ticket.source),
        received_at=received,
        expires_at=received + SPAM_RETENTION,
        ticket_id=None,  # the spam *is* the ticket; no other ticket owns it
    )
