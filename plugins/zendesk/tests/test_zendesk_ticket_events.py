"""Every ticket event type on Zendesk's ticket-events page (issue 12 G), each from its documented
payload, and any other type answered as ignored.

The envelope and its ``detail`` are as documented (developer.zendesk.com/api-reference/webhooks/
event-types/ticket-events: "Detail object properties"; the dust-tt samples of CONTRACTS.md §5:
``event: {"current": "SOLVED", "previous": "OPEN"}``). The page's per-type payloads were cut off in
the stored copy: each ``*_changed`` type carries ``current``/``previous`` as the changed-event
sections of the same page's integration-services copy do (``previous`` - "The previous assigned
agent ID", ``current``); the event objects of the comment edits, merged and the deletions beyond
the envelope are UNVERIFIED and read leniently.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from serviceflow_zendesk.webhooks import HANDLED_EVENT_TYPES, parse_delivery

from serviceflow.adapters.records import Identity
from serviceflow.model import ActorRole, EventKind

ME = Identity(vendor="zendesk", account="acme", id="900", name="serviceflow")
AGENT = "8447388090495"


def envelope(kind: str, event: dict[str, Any], **detail: Any) -> bytes:
    return json.dumps(
        {
            "account_id": 22129848,
            "detail": {
                "actor_id": AGENT,
                "assignee_id": AGENT,
                "brand_id": "360001",
                "created_at": "2025-01-08T10:12:07Z",
                "custom_status": "18",
                "description": "I cannot log in.",
                "external_id": "TEST1234",
                "form_id": "6876543",
                "group_id": "98738",
                "id": "5158",
                "is_public": True,
                "organization_id": "10002",
                "priority": "HIGH",
                "requester_id": "20978392",
                "status": "OPEN",
                "subject": "Cannot login to mobile app",
                "submitter_id": "20978392",
                "tags": ["enterprise"],
                "type": "QUESTION",
                "updated_at": "2025-01-08T16:45:20Z",
                "via": {"channel": "web"},
                **detail,
            },
            "event": {
                "meta": {"sequence": {"id": "CE4A698AF24F35B3208649C6951E000E", "position": 1}},
                **event,
            },
            "id": "a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
            "subject": "zen:ticket:5158",
            "time": "2025-01-08T16:45:20.987654321Z",
            "type": f"zen:event-type:{kind}",
            "zendesk_event_version": "2022-11-06",
        }
    ).encode()


COMMENT = {"id": 9876543210, "body": "We are investigating...", "is_public": True,
           "author": {"id": AGENT, "is_staff": True, "name": "Support Agent"}}  # fmt: skip

# (event type, event object, detail overrides, kind, expected changes (subset), ticket status)
DOCUMENTED: list[tuple[str, dict[str, Any], dict[str, Any], EventKind, dict[str, Any], str]] = [
    ("ticket.created", {}, {"status": "NEW"}, EventKind.CREATED, {}, "new"),
    ("ticket.comment_added", {"comment": COMMENT}, {}, EventKind.AGENT_REPLY, {}, "open"),
    ("ticket.agent_assignment_changed", {"current": AGENT, "previous": "235323"}, {},
     EventKind.ASSIGNED, {"assignee": "235323"}, "open"),
    ("ticket.group_assignment_changed", {"current": "98738", "previous": None}, {},
     EventKind.ASSIGNED, {"group": None}, "open"),
    ("ticket.status_changed", {"current": "SOLVED", "previous": "OPEN"}, {"status": "SOLVED"},
     EventKind.STATUS_CHANGED, {"status": "open"}, "solved"),
    ("ticket.custom_status_changed", {"current": "19", "previous": "18"}, {},
     EventKind.STATUS_CHANGED, {"custom_status": "18"}, "open"),
    ("ticket.priority_changed", {"current": "HIGH", "previous": "LOW"}, {},
     EventKind.FIELDS_CHANGED, {"priority": "low"}, "open"),
    ("ticket.subject_changed", {"current": "Cannot login to mobile app", "previous": "Login"}, {},
     EventKind.FIELDS_CHANGED, {"subject": "Login"}, "open"),
    ("ticket.tags_changed", {"tags_added": ["enterprise"], "tags_removed": ["trial"]}, {},
     EventKind.FIELDS_CHANGED, {"tags": "trial"}, "open"),
    ("ticket.custom_field_changed",
     {"current": {"id": "360", "value": "b"}, "previous": {"id": "360", "value": "a"}},
     {}, EventKind.FIELDS_CHANGED, {"custom_fields": '{"id": "360", "value": "a"}'}, "open"),
    ("ticket.description_changed", {"current": "I cannot log in.", "previous": "Help"}, {},
     EventKind.FIELDS_CHANGED, {"description": "Help"}, "open"),
    ("ticket.external_id_changed", {"current": "TEST1234", "previous": None}, {},
     EventKind.FIELDS_CHANGED, {"external_id": None}, "open"),
    ("ticket.form_changed", {"current": "6876543", "previous": "1"}, {},
     EventKind.FIELDS_CHANGED, {"form": "1"}, "open"),
    ("ticket.brand_changed", {"current": "360001", "previous": "360000"}, {},
     EventKind.FIELDS_CHANGED, {"brand": "360000"}, "open"),
    ("ticket.organization_changed", {"current": "10002", "previous": None}, {},
     EventKind.FIELDS_CHANGED, {"organization": None}, "open"),
    ("ticket.requester_changed", {"current": "20978392", "previous": "1"}, {},
     EventKind.FIELDS_CHANGED, {"requester": "1"}, "open"),
    ("ticket.submitter_changed", {"current": "20978392", "previous": "1"}, {},
     EventKind.FIELDS_CHANGED, {"submitter": "1"}, "open"),
    ("ticket.type_changed", {"current": "QUESTION", "previous": "INCIDENT"}, {},
     EventKind.FIELDS_CHANGED, {"type": "INCIDENT"}, "open"),
    ("ticket.task_due_at_changed", {"current": "2025-01-10T00:00:00Z", "previous": None}, {},
     EventKind.FIELDS_CHANGED, {"due_at": None}, "open"),
    ("ticket.problem_link_changed", {"current": "5000", "previous": None}, {},
     EventKind.FIELDS_CHANGED, {"problem": None}, "open"),
    ("ticket.email_ccs_changed", {"current": ["1", "2"], "previous": ["1"]}, {},
     EventKind.FIELDS_CHANGED, {"email_ccs": '["1"]'}, "open"),
    ("ticket.followers_changed", {"current": [AGENT], "previous": []}, {},
     EventKind.FIELDS_CHANGED, {"followers": "[]"}, "open"),
    ("ticket.comment_made_private", {"comment": {**COMMENT, "is_public": False}}, {},
     EventKind.FIELDS_CHANGED, {"comment_made_private": None}, "open"),
    ("ticket.comment_redacted", {"comment": COMMENT}, {},
     EventKind.FIELDS_CHANGED, {"comment_redacted": None}, "open"),
    ("ticket.attachment_linked_to_comment",
     {"attachment": {"id": 12345, "filename": "doge.jpeg"}, "comment": COMMENT},
     {}, EventKind.FIELDS_CHANGED, {"attachment_linked": None}, "open"),
    ("ticket.attachment_redacted_from_comment", {"attachment": {"id": 12345}, "comment": COMMENT}, {},
     EventKind.FIELDS_CHANGED, {"attachment_redacted": None}, "open"),
    ("ticket.marked_as_spam", {}, {}, EventKind.STATUS_CHANGED,
     {"status": "open", "zendesk_event": "marked_as_spam"}, "closed"),
    ("ticket.soft_deleted", {}, {"status": "DELETED"}, EventKind.STATUS_CHANGED,
     {"zendesk_event": "soft_deleted"}, "closed"),
    ("ticket.permanently_deleted", {}, {"status": "DELETED"}, EventKind.STATUS_CHANGED,
     {"zendesk_event": "permanently_deleted"}, "closed"),
    ("ticket.undeleted", {}, {}, EventKind.STATUS_CHANGED,
     {"status": "closed", "zendesk_event": "undeleted"}, "open"),
    ("ticket.merged", {"target_ticket_id": "5160"}, {"status": "CLOSED"}, EventKind.STATUS_CHANGED,
     {"merged_into": "5160", "zendesk_event": "merged"}, "closed"),
]  # fmt: skip


def test_every_documented_type_is_in_the_table() -> None:
    assert {row[0] for row in DOCUMENTED} == HANDLED_EVENT_TYPES
    assert len(HANDLED_EVENT_TYPES) == 31


@pytest.mark.parametrize(
    ("kind", "event", "detail", "expected", "changes", "status"), DOCUMENTED, ids=[r[0] for r in DOCUMENTED]
)
def test_each_documented_event_type_parses(
    kind: str,
    event: dict[str, Any],
    detail: dict[str, Any],
    expected: EventKind,
    changes: dict[str, Any],
    status: str,
) -> None:
    [parsed] = parse_delivery(envelope(kind, event, **detail), account="acme", identity=ME)
    assert parsed.kind is expected
    assert parsed.id == "zendesk:a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d"
    assert parsed.ticket.key == "zendesk:acme:5158" and parsed.ticket.status.value == status
    assert {k: parsed.changes.get(k) for k in changes} == changes
    if kind == "ticket.created":  # the submitter wrote the first comment (OAS submitter_id)
        assert parsed.actor.id == "20978392" and parsed.actor.role is ActorRole.CUSTOMER
    else:
        assert parsed.actor.id == AGENT and parsed.actor.role is ActorRole.AGENT


@pytest.mark.parametrize("kind", [row[0] for row in DOCUMENTED])
def test_our_own_change_of_any_type_is_serviceflows(kind: str) -> None:
    row = next(r for r in DOCUMENTED if r[0] == kind)
    event = json.loads(json.dumps(row[1]).replace(AGENT, ME.id))
    detail = {**row[2], "actor_id": ME.id, "submitter_id": ME.id}
    [parsed] = parse_delivery(envelope(kind, event, **detail), account="acme", identity=ME)
    assert parsed.actor.role is ActorRole.SERVICEFLOW


@pytest.mark.parametrize(
    "kind",
    [
        "ticket.csat_received",
        "ticket.sla_policy_changed",
        "ticket.next_sla_breach_changed",
        "ticket.new_thing",
    ],
)
def test_other_ticket_types_are_ignored_not_refused(kind: str) -> None:
    assert parse_delivery(envelope(kind, {"current": {"x": [1]}}), account="acme", identity=ME) == []


def test_a_user_or_organization_event_is_nothing_for_a_case() -> None:
    raw = json.dumps(
        {"type": "zen:event-type:user.active_changed", "id": "u1", "detail": {"id": "6596848315901"},
         "event": {"current": False, "previous": True}}
    ).encode()  # fmt: skip
    assert parse_delivery(raw, account="acme", identity=ME) == []
