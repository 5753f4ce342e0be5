"""bench_ingest's workload: signed-to-be Zendesk event webhooks for new tickets and their comments."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime


def envelope(ticket_id: int, now: datetime, comment: int = 0) -> bytes:
    """A Zendesk ticket.created event webhook, as Zendesk sends it (see CONTRACTS.md 1.9); with
    ``comment`` N, the ticket's ticket.comment_added webhook for the requester's Nth message."""
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    detail = {
        "actor_id": "900", "assignee_id": None, "brand_id": "1", "created_at": stamp,
        "custom_status": "1", "description": "My card was charged twice.", "external_id": None,
        "form_id": "1", "group_id": None, "id": str(ticket_id), "is_public": True,
        "organization_id": None, "priority": "NORMAL", "requester_id": str(100_000 + ticket_id),
        "status": "NEW", "subject": f"Charged twice ({ticket_id})", "submitter_id": "900",
        "tags": ["billing"], "type": None, "updated_at": stamp, "via": {"channel": "email"},
    }  # fmt: skip
    event: dict[str, object] = {}
    if comment:
        detail.update(actor_id=detail["requester_id"], status="OPEN")
        event = {"comment": {
            "id": str(10**9 + ticket_id * 100 + comment), "body": f"Any news? ({comment})", "is_public": True,
            "author": {"id": detail["requester_id"], "is_staff": False, "name": "Dana"},
        }}  # fmt: skip
    kind = "ticket.comment_added" if comment else "ticket.created"
    body = {
        "type": f"zen:event-type:{kind}", "account_id": 12514403, "id": str(uuid.uuid4()),
        "time": stamp, "zendesk_event_version": "2022-11-06", "subject": f"zen:ticket:{ticket_id}",
        "detail": detail, "event": event,
    }  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


def mix(numbers: Iterator[int], tickets: int, updates: int, now: datetime) -> tuple[list[bytes], list[bytes]]:
    """``tickets`` new tickets' creations, and ``updates`` comments on each of them."""
    ids = [next(numbers) for _ in range(tickets)]
    created = [envelope(number, now) for number in ids]
    return created, [envelope(number, now, n) for n in range(1, updates + 1) for number in ids]
