"""Zendesk event-webhook deliveries as Zendesk sends them, for the receiver's tests: a
``ticket.created`` envelope of a fake's ticket (ids as strings) and the signed headers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from serviceflow_zendesk.signature import sign


def created_envelope(ticket: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A ticket.created envelope as Zendesk's event webhooks send it (ids as strings)."""
    return {
        "type": "zen:event-type:ticket.created",
        "account_id": 12514403,
        "id": event_id or f"evt-created-{ticket['id']}",
        "time": ticket["created_at"],
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{ticket['id']}",
        "detail": {
            "id": str(ticket["id"]),
            "subject": ticket["subject"],
            "status": "NEW",
            "priority": None,
            "requester_id": str(ticket["requester_id"]),
            "assignee_id": None,
            "group_id": None,
            "tags": [],
            "created_at": ticket["created_at"],
            "updated_at": ticket["updated_at"],
            "via": {"channel": "web"},
            "description": "Please help.",
        },
        "event": {},
    }


def signed_headers(secret: str, raw: bytes) -> dict[str, str]:
    """The headers of a delivery of ``raw``, signed over timestamp + body with ``secret``."""
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "content-type": "application/json",
        "x-zendesk-webhook-id": "01TESTWEBHOOK",
        "x-zendesk-webhook-invocation-id": "1",
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "x-zendesk-webhook-signature": sign(secret, timestamp, raw),
    }
