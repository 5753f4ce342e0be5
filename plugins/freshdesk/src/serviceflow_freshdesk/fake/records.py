"""The JSON shapes of the fake Freshdesk's records, and its error responses.

One factory per object, field for field as python-freshdesk's samples show them (CONTRACTS.md
§2.2-2.3: ``ticket_1.json``, ``note_1.json``, ``agent_1.json``), so the fake answers what the real
API answers and the rules in :mod:`.state` stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ..codes import PRIORITY_NAMES, SOURCE_NAMES, STATUS_NAMES

Json = dict[str, Any]
Clock = Callable[[], datetime]

TICKET_TYPES = ("Question", "Incident", "Problem", "Feature Request", "Refund")


class FakeApiError(Exception):
    """An error response the fake sends: HTTP status plus Freshdesk's JSON error body.

    Validation errors (400) have ``{"description": "Validation failed", "errors": [{"field",
    "message", "code"}]}`` (OFFICIAL, CONTRACTS.md §2.5); others ``{"code", "message"}``.

    Attributes:
        status: HTTP status code.
        payload: The JSON body.
        headers: Extra response headers.
    """

    def __init__(self, status: int, payload: Json, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {payload}")
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})


def validation_failed(*errors: tuple[str, str, str]) -> FakeApiError:
    """A 400 with one entry per ``(field, message, code)``; the wording is the fake's own."""
    return FakeApiError(
        400,
        {
            "description": "Validation failed",
            "errors": [{"field": f, "message": m, "code": c} for f, m, c in errors],
        },
    )


def not_found() -> FakeApiError:
    """404 for a missing record. Freshdesk's exact 404 body is UNVERIFIED; this is the fake's."""
    return FakeApiError(404, {"code": "not_found", "message": "The requested resource could not be found"})


def method_not_allowed() -> FakeApiError:
    """405 for an update or delete of a ticket that is spam or deleted (FD-docs line 164).
    Freshdesk's code answers ``render_405_error(['GET'])`` (a stored copy of its
    TicketsController); the body's wording is the fake's own (UNVERIFIED)."""
    return FakeApiError(
        405,
        {"code": "method_not_allowed", "message": "The ticket is spam or deleted: only GET is allowed"},
        headers={"Allow": "GET"},
    )


def unauthorized() -> FakeApiError:
    """401 for missing or wrong credentials (body wording UNVERIFIED, the fake's own)."""
    return FakeApiError(
        401, {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
    )


def iso(moment: datetime) -> str:
    """Freshdesk's timestamp format: UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """The inverse of :func:`iso` (any ISO text with an offset or ``Z``)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def contact_record(contact_id: int, name: str, email: str | None, *, now: str) -> Json:
    """A contact (a customer, or the contact part of an agent)."""
    return {
        "id": contact_id,
        "name": name,
        "email": email,
        "active": True,
        "phone": None,
        "mobile": None,
        "job_title": None,
        "language": "en",
        "time_zone": "Amsterdam",
        "created_at": now,
        "updated_at": now,
    }


def agent_record(agent_id: int, contact: Json, *, group_ids: Iterable[int], now: str) -> Json:
    """An agent (python-freshdesk ``agent_1.json``) with ``group_ids``, as View an Agent shows it
    (the list leaves them out, :meth:`.directory.Directory.list_agents`)."""
    return {
        "id": agent_id,
        "available": True,
        "occasional": False,
        "signature": None,
        "ticket_scope": 1,
        "group_ids": list(group_ids),
        "available_since": None,
        "created_at": now,
        "updated_at": now,
        "contact": {k: v for k, v in contact.items() if k != "id"},
    }


def group_record(group_id: int, name: str, *, now: str) -> Json:
    """A group with ``agent_ids``, as View a Group shows it (the list leaves them out)."""
    return {
        "id": group_id,
        "name": name,
        "description": None,
        "escalate_to": None,
        "unassigned_for": None,
        "business_hour_id": None,
        "auto_ticket_assign": False,
        "agent_ids": [],
        "created_at": now,
        "updated_at": now,
    }


def company_record(
    company_id: int, name: str, *, domains: list[str], custom_fields: dict[str, Any], now: str
) -> Json:
    """A company as View a Company answers (FD-docs lines 8163-8185)."""
    return {
        "id": company_id,
        "name": name,
        "description": None,
        "domains": domains,
        "note": None,
        "custom_fields": custom_fields,
        "health_score": None,
        "account_tier": None,
        "renewal_date": None,
        "industry": None,
        "created_at": now,
        "updated_at": now,
    }


def email_config_record(config_id: int, name: str, reply_email: str, *, now: str) -> Json:
    """A support mailbox as View an Email Config answers (FD-docs lines 12760-12775)."""
    return {
        "id": config_id,
        "name": name,
        "product_id": None,
        "to_email": reply_email,
        "reply_email": reply_email,
        "group_id": None,
        "primary_role": False,
        "active": True,
        "created_at": now,
        "updated_at": now,
    }


def ticket_record(ticket_id: int, *, requester_id: int, now: str, **fields: Any) -> Json:
    """A ticket (python-freshdesk ``ticket_1.json``); enums as integer codes."""
    record: Json = {
        "id": ticket_id,
        "subject": "",
        "description": "",
        "description_text": "",
        "status": 2,
        "priority": 1,
        "source": 1,
        "type": None,
        "requester_id": requester_id,
        "responder_id": None,
        "group_id": None,
        "company_id": None,
        "product_id": None,
        "email_config_id": None,
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "to_emails": None,
        "tags": [],
        "custom_fields": {},
        "fr_escalated": False,
        "is_escalated": False,
        "spam": False,
        "deleted": False,
        "due_by": None,
        "fr_due_by": None,
        "attachments": [],
        "created_at": now,
        "updated_at": now,
    }
    record.update(fields)
    return record


def conversation_record(
    conversation_id: int,
    ticket_id: int,
    *,
    body: str,
    body_text: str,
    private: bool,
    incoming: bool,
    user_id: int,
    source: int,
    now: str,
) -> Json:
    """A reply or note (python-freshdesk ``note_1.json`` / ``reply_1.json``); ``source`` 0 is a
    reply, 2 a note (CONTRACTS.md §2.2)."""
    return {
        "id": conversation_id,
        "body": body,
        "body_text": body_text,
        "incoming": incoming,
        "private": private,
        "user_id": user_id,
        "support_email": None,
        "source": source,
        "ticket_id": ticket_id,
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": [],
        "attachments": [],
        "created_at": now,
        "updated_at": now,
    }


def display(kind: str, code: int | None, custom_statuses: dict[int, str] | None = None) -> str:
    """A code's display string as placeholders render it (``"Pending"``, ``"High"``, ``"Email"``)."""
    if code is None:
        return ""
    if kind == "status":
        return {**STATUS_NAMES, **(custom_statuses or {})}.get(code, str(code))
    if kind == "priority":
        return PRIORITY_NAMES.get(code, str(code))
    return SOURCE_NAMES.get(code, str(code))
