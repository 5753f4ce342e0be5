"""What the fake Zendesk's webhooks say: event envelopes and rendered trigger bodies.

Two connection methods exist and they look nothing alike (CONTRACTS.md §1.9):

- **event-subscribed** webhooks get Zendesk's envelope (``zen:event-type:ticket.*``, ids as
  strings, status/priority/type in UPPERCASE, ``event.meta.sequence`` shared by one action);
- **trigger** webhooks get whatever JSON the admin typed, with Liquid placeholders rendered as
  display strings (``"Open"``, ``"Normal"``, tags space-separated).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .records import Json
from .state import FakeState, TicketChange

EVENT_PREFIX = "zen:event-type:"
TICKET_EVENT_VERSION = "2022-11-06"

#: A trigger body an admin might type; every placeholder the fake renders is used once.
DEFAULT_TRIGGER_TEMPLATE = (
    '{"ticket_id":"{{ticket.id}}","title":"{{ticket.title}}","status":"{{ticket.status}}",'
    '"priority":"{{ticket.priority}}","type":"{{ticket.ticket_type}}","tags":"{{ticket.tags}}",'
    '"group_id":"{{ticket.group.id}}","group_name":"{{ticket.group.name}}",'
    '"assignee_id":"{{ticket.assignee.id}}","assignee_email":"{{ticket.assignee.email}}",'
    '"requester_id":"{{ticket.requester.id}}","requester_email":"{{ticket.requester.email}}",'
    '"updated_at":"{{ticket.updated_at_with_timestamp}}","latest_comment":"{{ticket.latest_comment}}",'
    '"current_user_id":"{{current_user.id}}"}'
)
_DISPLAY = {
    "new": "New",
    "open": "Open",
    "pending": "Pending",
    "hold": "On-hold",
    "solved": "Solved",
    "closed": "Closed",
    "urgent": "Urgent",
    "high": "High",
    "normal": "Normal",
    "low": "Low",
    "problem": "Problem",
    "incident": "Incident",
    "question": "Question",
    "task": "Task",
}
# Field -> (event type, how the value is shown in `event.current/previous`).
_FIELD_EVENTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "status": ("ticket.status_changed", lambda v: v.upper() if v else None),
    "priority": ("ticket.priority_changed", lambda v: v.upper() if v else None),
    "type": ("ticket.type_changed", lambda v: v.upper() if v else None),
    "assignee_id": ("ticket.agent_assignment_changed", lambda v: _sid(v)),
    "group_id": ("ticket.group_assignment_changed", lambda v: _sid(v)),
    "subject": ("ticket.subject_changed", lambda v: v),
    "requester_id": ("ticket.requester_changed", lambda v: _sid(v)),
    "organization_id": ("ticket.organization_changed", lambda v: _sid(v)),
    "external_id": ("ticket.external_id_changed", lambda v: v),
    "custom_status_id": ("ticket.custom_status_changed", lambda v: _sid(v)),
    # current/previous as lists of string ids: the fake's reading (UNVERIFIED), as for tags.
    "follower_ids": ("ticket.followers_changed", lambda v: [str(i) for i in v or ()]),
    "email_cc_ids": ("ticket.email_ccs_changed", lambda v: [str(i) for i in v or ()]),
}


def ticket_detail(ticket: Json, actor_id: int | None) -> Json:
    """The envelope's ``detail``: the ticket snapshot with ids as strings and enums upper-cased."""
    channel = ticket.get("via", {}).get("channel")
    return {
        "actor_id": _sid(actor_id),
        "assignee_id": _sid(ticket["assignee_id"]),
        "brand_id": _sid(ticket["brand_id"]),
        "created_at": ticket["created_at"],
        "custom_status": _sid(ticket["custom_status_id"]),
        "description": ticket["description"],
        "external_id": None if ticket["external_id"] is None else str(ticket["external_id"]),
        "form_id": _sid(ticket["ticket_form_id"]),
        "group_id": _sid(ticket["group_id"]),
        "id": str(ticket["id"]),
        "is_public": ticket["is_public"],
        "organization_id": _sid(ticket["organization_id"]),
        "priority": ticket["priority"].upper() if ticket["priority"] else None,
        "requester_id": _sid(ticket["requester_id"]),
        "status": ticket["status"].upper(),
        "subject": ticket["subject"],
        "submitter_id": _sid(ticket["submitter_id"]),
        "tags": list(ticket["tags"]),
        "type": ticket["type"].upper() if ticket["type"] else None,
        "updated_at": ticket["updated_at"],
        "via": {"channel": "web_service" if channel == "api" else channel},
    }


def ticket_events(change: TicketChange, users: Mapping[int, Json]) -> list[tuple[str, Json]]:
    """The ``(event type, event object)`` pairs one change produces, in a stable order.

    ``ticket.tags_changed`` uses ``tags_added``/``tags_removed`` and ``ticket.merged`` uses
    ``target_ticket_id``: the stored docs name these events but their excerpts cut off before
    the payloads, so these two shapes are the fake's best reading (UNVERIFIED).
    """
    if change.kind == "created":
        return [(EVENT_PREFIX + "ticket.created", {})]
    before, after = change.before or {}, change.after
    events: list[tuple[str, Json]] = []
    for name, (event_type, show) in _FIELD_EVENTS.items():
        if before.get(name) != after.get(name):
            events.append(
                (
                    EVENT_PREFIX + event_type,
                    {"current": show(after.get(name)), "previous": show(before.get(name))},
                )
            )
    old_tags, new_tags = before.get("tags", []), after.get("tags", [])
    if old_tags != new_tags:
        events.append(
            (
                EVENT_PREFIX + "ticket.tags_changed",
                {
                    "tags_added": [t for t in new_tags if t not in old_tags],
                    "tags_removed": [t for t in old_tags if t not in new_tags],
                },
            )
        )
    for comment in change.comments:
        author = users.get(comment["author_id"], {})
        events.append(
            (
                EVENT_PREFIX + "ticket.comment_added",
                {
                    "comment": {
                        "id": str(comment["id"]),
                        "body": comment["body"],
                        "is_public": comment["public"],
                        "author": {
                            "id": _sid(comment["author_id"]),
                            "is_staff": author.get("role") in ("agent", "admin"),
                            "name": author.get("name", ""),
                        },
                    }
                },
            )
        )
    if change.kind == "merged":
        events.append((EVENT_PREFIX + "ticket.merged", {"target_ticket_id": _sid(change.merged_into)}))
    return events


def event_envelopes(
    change: TicketChange, *, account_id: int, users: Mapping[int, Json], now: datetime
) -> list[Json]:
    """Zendesk's event-webhook envelopes for one change; one action shares one sequence id."""
    sequence_id = secrets.token_hex(16).upper()
    detail = ticket_detail(change.after, change.actor_id)
    moment = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelopes = []
    for position, (event_type, event) in enumerate(ticket_events(change, users), start=1):
        envelopes.append(
            {
                "type": event_type,
                "account_id": account_id,
                "id": str(uuid.uuid4()),
                "time": moment,
                "zendesk_event_version": TICKET_EVENT_VERSION,
                "subject": f"zen:ticket:{change.ticket_id}",
                "detail": detail,
                "event": {**event, "meta": {"sequence": {"id": sequence_id, "position": position}}},
            }
        )
    return envelopes


def render_trigger_body(
    template: str, ticket: Json, *, state: FakeState, actor_id: int | None, latest_comment: Json | None
) -> str:
    """Render a trigger's body template as Zendesk would, placeholders as display strings.

    Values are JSON-escaped so the body stays valid JSON; whether Zendesk escapes them is
    UNVERIFIED (CONTRACTS.md §1.9). Unknown placeholders render empty, as undefined Liquid does.
    """
    users, groups = state.users, state.groups
    assignee = users.get(ticket["assignee_id"] or -1, {})
    requester = users.get(ticket["requester_id"] or -1, {})
    group = groups.get(ticket["group_id"] or -1, {})
    values: dict[str, Any] = {
        "ticket.id": ticket["id"],
        "ticket.title": ticket["subject"],
        "ticket.description": ticket["description"],
        "ticket.status": _DISPLAY.get(ticket["status"], ticket["status"]),
        "ticket.priority": _DISPLAY.get(ticket["priority"] or "", ""),
        "ticket.ticket_type": _DISPLAY.get(ticket["type"] or "", ""),
        "ticket.tags": " ".join(ticket["tags"]),
        "ticket.group.id": group.get("id", ""),
        "ticket.group.name": group.get("name", ""),
        "ticket.assignee.id": assignee.get("id", ""),
        "ticket.assignee.email": assignee.get("email", ""),
        "ticket.assignee.name": assignee.get("name", ""),
        "ticket.requester.id": requester.get("id", ""),
        "ticket.requester.email": requester.get("email", ""),
        "ticket.requester.name": requester.get("name", ""),
        "ticket.external_id": ticket["external_id"] or "",
        "ticket.updated_at_with_timestamp": ticket["updated_at"],
        "ticket.latest_comment": latest_comment["body"] if latest_comment else "",
        "current_user.id": actor_id if actor_id is not None else "",
    }

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1).strip(), "")
        return json.dumps(str(value))[1:-1]

    return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", replace, template)


def _sid(value: Any) -> str | None:
    return None if value is None else str(value)
