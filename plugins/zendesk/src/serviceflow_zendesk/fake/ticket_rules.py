"""How the fake Zendesk applies fields to a ticket: validation, the assignee and group rules,
custom fields, comments, the safe-update stamp and the audit every change leaves.

Plain functions over :class:`~.state.FakeState`, called with its lock held (by
:mod:`.ticket_writes` and :mod:`.merging`). Sources: CONTRACTS.md §1.3 and the official OAS
(TicketUpdateInput); where Zendesk's exact wording is unknown the fake uses its own.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from . import notifications
from .records import (
    AGENT_ROLES,
    MAX_COMMENTS,
    PRIORITIES,
    STATUSES,
    TYPES,
    Json,
    audit_record,
    comment_record,
    iso,
    normalise_tags,
    parse_iso,
    record_invalid,
    update_conflict,
)

if TYPE_CHECKING:
    from .state import FakeState

# Ticket fields an update may set directly (TicketUpdateInput minus the ones handled specially).
_PLAIN_FIELDS = (
    "subject",
    "external_id",
    "due_at",
    "organization_id",
    "problem_id",
    "custom_status_id",
    "collaborator_ids",
    "sharing_agreement_ids",
    "brand_id",
    "ticket_form_id",
)


def touch(state: FakeState, ticket: Json) -> None:
    """Move ``updated_at`` strictly forward (whole seconds, like Zendesk), so a safe update
    read before this change always sees a different stamp, even under a frozen clock."""
    previous = parse_iso(ticket["updated_at"]) or state.clock()
    now = state.clock().astimezone(UTC).replace(microsecond=0)
    ticket["updated_at"] = iso(max(now, previous + timedelta(seconds=1)))
    ticket["generated_timestamp"] = max(ticket["generated_timestamp"] + 1, int(now.timestamp()))


def check_stamp(ticket: Json, fields: Mapping[str, Any]) -> None:
    if "safe_update" not in fields or "updated_stamp" not in fields:
        return
    stamp = parse_iso(str(fields["updated_stamp"]))
    if stamp is None:
        raise record_invalid("updated_stamp", "Updated stamp: is not a valid date-time")
    if stamp != parse_iso(ticket["updated_at"]):
        raise update_conflict()


def apply_fields(
    state: FakeState, ticket: Json, fields: Mapping[str, Any], *, actor_id: int, creating: bool
) -> tuple[list[Json], Json | None]:
    """Validate every field first, then apply; returns (change events, added comment)."""
    staged: dict[str, Any] = {}
    if "status" in fields:
        if fields["status"] not in STATUSES:
            raise record_invalid("status", f"Status: {fields['status']!r} is not valid")
        staged["status"] = fields["status"]
    if "priority" in fields:
        if fields["priority"] not in (*PRIORITIES, None):
            raise record_invalid("priority", f"Priority: {fields['priority']!r} is not valid")
        staged["priority"] = fields["priority"]
    if "type" in fields:
        if fields["type"] not in (*TYPES, None):
            raise record_invalid("type", f"Type: {fields['type']!r} is not valid")
        staged["type"] = fields["type"]
    if "requester_id" in fields:
        if fields["requester_id"] not in state.users:
            raise record_invalid("requester", "Requester: is invalid")
        staged["requester_id"] = fields["requester_id"]
    if "tags" in fields:
        if not isinstance(fields["tags"], list):
            raise record_invalid("tags", "Tags: must be an array")
        staged["tags"] = normalise_tags(fields["tags"])
    if "custom_fields" in fields:
        staged["custom_fields"] = _merge_custom_fields(ticket, fields["custom_fields"])
    for name in _PLAIN_FIELDS:
        if name in fields:
            staged[name] = fields[name]
    if "subject" in staged:
        staged["raw_subject"] = staged["subject"]
    staged.update(_assignment(state, ticket, fields))
    staged.update(
        notifications.stage(state.users, ticket, fields, new_user=functools.partial(_new_end_user, state))
    )
    comment_in = None if creating else fields.get("comment")
    if comment_in is not None:
        if not isinstance(comment_in, Mapping) or not (comment_in.get("body") or comment_in.get("html_body")):
            raise record_invalid("comment", "Comment: body cannot be blank", "BlankValue")
        if len(state.comments.get(ticket["id"], [])) >= MAX_COMMENTS:
            raise record_invalid("comment", f"Comment: a ticket holds at most {MAX_COMMENTS} comments")
    events = []
    for name, value in staged.items():
        if ticket.get(name) != value:
            if name != "raw_subject":
                events.append({"field_name": name, "value": value, "previous_value": ticket.get(name)})
            ticket[name] = value
    if creating:
        comment = add_comment(state, ticket, fields["comment"], actor_id)
    elif comment_in is not None:
        comment = add_comment(state, ticket, comment_in, actor_id)
    else:
        comment = None
    return events, comment


def _assignment(state: FakeState, ticket: Json, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Assignee and group rules: the assignee must be an agent in the ticket's group; if only
    the assignee is given and the current group does not hold them, the group follows the
    assignee's default group (as Zendesk does when an agent is picked without a group)."""
    staged: dict[str, Any] = {}
    group_given = "group_id" in fields
    if group_given:
        group_id = fields["group_id"]
        if group_id is not None and group_id not in state.groups:
            raise record_invalid("group", "Group: is invalid")
        staged["group_id"] = group_id
    if "assignee_id" not in fields:
        return staged
    assignee_id = fields["assignee_id"]
    staged["assignee_id"] = assignee_id
    if assignee_id is None:
        return staged
    user = state.users.get(assignee_id)
    if user is None or user["role"] not in AGENT_ROLES:
        raise record_invalid("assignee", "Assignee: is not an agent")
    group_id = staged.get("group_id", ticket.get("group_id"))
    groups_of_agent = [m["group_id"] for m in state.memberships.values() if m["user_id"] == assignee_id]
    if group_id is not None and group_id not in groups_of_agent:
        if group_given:
            raise record_invalid("assignee", "Assignee: is not a member of the group")
        group_id = None
    if group_id is None and groups_of_agent:
        staged["group_id"] = user.get("default_group_id") or groups_of_agent[0]
    return staged


def _merge_custom_fields(ticket: Json, given: Any) -> list[Json]:
    if not isinstance(given, list):
        raise record_invalid("custom_fields", "Custom fields: must be an array")
    merged = {f["id"]: dict(f) for f in ticket["custom_fields"]}
    for item in given:
        if not isinstance(item, Mapping) or "id" not in item:
            raise record_invalid("custom_fields", "Custom fields: each needs an id")
        merged[item["id"]] = {"id": item["id"], "value": item.get("value")}
    return list(merged.values())


def add_comment(state: FakeState, ticket: Json, comment_in: Mapping[str, Any], actor_id: int) -> Json:
    comments = state.comments.setdefault(ticket["id"], [])
    comment = comment_record(
        state.next_id("comments"),
        comment_in,
        author_id=comment_in.get("author_id", actor_id),
        default_public=ticket["is_public"],
        now=state.clock(),
    )
    comments.append(comment)
    state.notifications.extend(notifications.told(state.users, ticket, comment))
    return comment


def _new_end_user(state: FakeState, name: str, email: str) -> Json:
    """An end user created on the fly (an email CC Zendesk did not know)."""
    return state.users[state.add_user(name, email=email)["id"]]


def record_audit(
    state: FakeState, ticket: Json, actor_id: int, events: list[Json], comment: Json | None
) -> Json:
    audit_id = state.next_id("audits")
    if comment is not None:
        comment["audit_id"] = audit_id
    numbered = [{"id": state.next_id("events"), **e} for e in events]
    audit = audit_record(audit_id, ticket, actor_id, numbered, comment)
    if numbered or comment is not None:  # an update that changed nothing records no audit
        state.audits.setdefault(ticket["id"], []).append(copy.deepcopy(audit))
    return audit
