"""The JSON shapes of the fake Zendesk's records, and its error responses.

One factory per object, field for field as the OAS describes it (UserForAdmin, GroupObject,
GroupMembershipObject, TicketObject, TicketCommentObject, AuditObject), so the fake's answers
validate against the spec and the rules in :mod:`.state` stay readable.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
Clock = Callable[[], datetime]

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")
AGENT_ROLES = ("agent", "admin")
MAX_COMMENTS = 5000


class FakeApiError(Exception):
    """An error response the fake sends: HTTP status plus Zendesk's JSON error body.

    Attributes:
        status: HTTP status code.
        error: Zendesk's ``error`` value (``RecordNotFound``, ``RecordInvalid``, ...).
        description: Zendesk's ``description``, when the real API sends one.
        details: Zendesk's ``details`` object for validation errors.
        headers: Extra response headers (``Retry-After`` for 429).
    """

    def __init__(
        self,
        status: int,
        error: str,
        description: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {description or ''}")
        self.status = status
        self.error = error
        self.description = description
        self.details = dict(details) if details else None
        self.headers = dict(headers or {})

    def body(self) -> Json:
        """The JSON body, shaped like Zendesk's: ``{"error", "description"?, "details"?}``."""
        body: Json = {"error": self.error}
        if self.description is not None:
            body["description"] = self.description
        if self.details:
            body["details"] = self.details
        return body


def not_found() -> FakeApiError:
    """Zendesk's 404 for a missing record (OAS ShowUserComplianceDeletionStatuses text)."""
    return FakeApiError(404, "RecordNotFound", "Not found")


def record_invalid(field_name: str, description: str, error: str = "InvalidValue") -> FakeApiError:
    """Zendesk's 422 ``RecordInvalid`` with one ``details`` entry (wording is the fake's own)."""
    return FakeApiError(
        422,
        "RecordInvalid",
        "Record validation errors",
        details={field_name: [{"description": description, "error": error}]},
    )


def update_conflict() -> FakeApiError:
    """The 409 for a stale ``updated_stamp``.

    Zendesk documents the status, not the body; this is the body community fakes use
    (CONTRACTS.md §1.3, marked UNVERIFIED there).
    """
    return FakeApiError(
        409,
        "UpdateConflict",
        "Safe Update prevented the update due to outdated ticket data. "
        "Please fetch the latest ticket data and try again.",
    )


def iso(moment: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime | None:
    """Parse an ISO-8601 date-time (``Z`` or an offset); None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Zendesk tags are lower-case single words: split on whitespace, lower-case, de-duplicate."""
    out: list[str] = []
    for tag in tags:
        for word in str(tag).split():
            word = word.lower()
            if word not in out:
                out.append(word)
    return out


def user_record(user_id: int, name: str, email: str | None, role: str, *, base_url: str, now: str) -> Json:
    """A user as ShowUser returns it (UserForAdmin)."""
    return {
        "id": user_id,
        "url": f"{base_url}/api/v2/users/{user_id}.json",
        "name": name,
        "email": email or f"user{user_id}@example.com",
        "role": role,
        "role_type": None,
        "custom_role_id": None,
        "active": True,
        "verified": True,
        "suspended": False,
        "restricted_agent": role == "end-user",
        "moderator": role in AGENT_ROLES,
        "only_private_comments": False,
        "shared": False,
        "shared_agent": False,
        "chat_only": False,
        "default_group_id": None,
        "organization_id": None,
        "external_id": None,
        "phone": None,
        "photo": None,
        "tags": [],
        "user_fields": {},
        "locale": "en-US",
        "locale_id": 1,
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "created_at": now,
        "updated_at": now,
        "last_login_at": None,
        "two_factor_auth_enabled": None,
        "ticket_restriction": None if role in AGENT_ROLES else "requested",
    }


def group_record(group_id: int, name: str, *, default: bool, base_url: str, now: str) -> Json:
    """A group as ListGroups returns it (GroupObject)."""
    return {
        "id": group_id,
        "url": f"{base_url}/api/v2/groups/{group_id}.json",
        "name": name,
        "description": "",
        "default": default,
        "deleted": False,
        "is_public": True,
        "created_at": now,
        "updated_at": now,
    }


def organization_record(org_id: int, name: str, *, base_url: str, now: str) -> Json:
    """An organization (OAS OrganizationObject)."""
    return {
        "id": org_id,
        "url": f"{base_url}/api/v2/organizations/{org_id}.json",
        "name": name,
        "domain_names": [],
        "details": "",
        "notes": "",
        "group_id": None,
        "shared_tickets": False,
        "shared_comments": False,
        "tags": [],
        "organization_fields": {},
        "external_id": None,
        "created_at": now,
        "updated_at": now,
    }


def membership_record(
    membership_id: int, user_id: int, group_id: int, *, default: bool, base_url: str, now: str
) -> Json:
    """A group membership (GroupMembershipObject)."""
    return {
        "id": membership_id,
        "url": f"{base_url}/api/v2/group_memberships/{membership_id}.json",
        "user_id": user_id,
        "group_id": group_id,
        "default": default,
        "created_at": now,
        "updated_at": now,
    }


def ticket_record(
    ticket_id: int,
    *,
    base_url: str,
    created: datetime,
    requester_id: int,
    submitter_id: int,
    description: str,
    is_public: bool,
) -> Json:
    """A new ticket (TicketObject) before the create request's fields are applied."""
    return {
        "id": ticket_id,
        "url": f"{base_url}/api/v2/tickets/{ticket_id}.json",
        "external_id": None,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(created),
        "updated_at": iso(created),
        "generated_timestamp": int(created.timestamp()),
        "type": None,
        "subject": "",
        "raw_subject": "",
        "description": description,
        "priority": None,
        "status": "new",
        "recipient": None,
        "requester_id": requester_id,
        "submitter_id": submitter_id,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": is_public,
        "due_at": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def comment_record(
    comment_id: int, comment_in: Mapping[str, Any], *, author_id: int, default_public: bool, now: datetime
) -> Json:
    """A comment (TicketCommentObject); ``public`` defaults to the ticket's ``is_public``."""
    body = str(comment_in.get("body") or comment_in.get("html_body"))
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author_id,
        "body": body,
        "html_body": str(comment_in.get("html_body") or f'<div class="zd-comment"><p>{body}</p></div>'),
        "plain_body": body,
        "public": bool(comment_in.get("public", default_public)),
        "attachments": [],
        "audit_id": None,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "metadata": {"system": {}, "custom": {}},
        "created_at": iso(now),
    }


def audit_record(
    audit_id: int, ticket: Json, actor_id: int, events: list[Json], comment: Json | None
) -> Json:
    """The ``audit`` of an update response (AuditObject): the comment event first, then changes."""
    all_events = list(events)
    if comment is not None:
        all_events.insert(
            0,
            {
                "id": comment["id"],
                "type": "Comment",
                "author_id": comment["author_id"],
                "body": comment["body"],
                "html_body": comment["html_body"],
                "plain_body": comment["plain_body"],
                "public": comment["public"],
                "attachments": [],
                "audit_id": audit_id,
            },
        )
    return {
        "id": audit_id,
        "ticket_id": ticket["id"],
        "created_at": ticket["updated_at"],
        "author_id": actor_id,
        "metadata": {"system": {}, "custom": {}},
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "events": copy.deepcopy(all_events),
    }
