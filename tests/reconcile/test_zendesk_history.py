"""The Zendesk history parser: audits (OAS TicketAuditObject) -> events, for any input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from serviceflow_zendesk.history import Audit, audit_events, history_of

from serviceflow.adapters import Identity
from serviceflow.model import ActorRole, EventKind, Requester, Ticket

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TICKET = Ticket(
    id="47", vendor="zendesk", account="acme", requester=Requester(id="5"), created_at=T, updated_at=T
)
ME = Identity(vendor="zendesk", account="acme", id="99")
# The OAS example (TicketAuditsForTicketResponseExample), trimmed.
EXAMPLE = {
    "author_id": 7,
    "created_at": "2011-09-25T22:35:44Z",
    "events": [
        {
            "type": "Comment",
            "id": 2127301148,
            "body": "This is a new private comment",
            "public": False,
            "author_id": 7,
        },
        {
            "type": "Change",
            "id": 2127301163,
            "field_name": "status",
            "previous_value": "new",
            "value": "open",
        },
        {
            "type": "Change",
            "id": 2127301164,
            "field_name": "custom_status_id",
            "previous_value": 1,
            "value": 123,
        },
    ],
    "id": 2127301143,
    "ticket_id": 47,
}


def test_the_documented_audit_is_a_note_and_a_status_change_by_an_agent() -> None:
    comment = {"type": "Comment", "id": 3, "body": "Help", "author_id": 5}
    created = Audit.model_validate(
        {"id": 1, "created_at": "2011-09-25T22:00:00Z", "author_id": 5, "events": [comment]}
    )
    history = history_of([created, Audit.model_validate(EXAMPLE)], TICKET, ME)
    kinds = [(e.kind, e.actor.role) for e in history.events]
    assert kinds == [
        (EventKind.CREATED, ActorRole.CUSTOMER),
        (EventKind.INTERNAL_NOTE, ActorRole.AGENT),
        (EventKind.STATUS_CHANGED, ActorRole.AGENT),
    ]
    assert history.events[2].changes == {"status": "new"}
    assert [e.id for e in history.events] == [
        e.id for e in history_of([created, Audit.model_validate(EXAMPLE)], TICKET, ME).events
    ]
    mine = Audit.model_validate(
        {**EXAMPLE, "author_id": 99, "events": [{**EXAMPLE["events"][0], "author_id": 99}]}
    )
    (note,) = audit_events(mine, TICKET, ME, first=False)
    assert note.actor.role is ActorRole.SERVICEFLOW  # our own write, never a person's


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
events = st.fixed_dictionaries(
    {"type": st.sampled_from(["Comment", "Change", "Create", "Notification", 3])},
    optional={
        "field_name": st.sampled_from(["status", "assignee_id", "group_id", "priority", "tags", "x"]),
        "previous_value": json_values,
        "author_id": json_values,
        "body": json_values,
        "public": json_values,
        "id": json_values,
    },
)


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {"id": json_values, "created_at": json_values, "events": st.lists(events, max_size=5)},
        optional={"author_id": json_values},
    ),
    st.booleans(),
)
# What a clean clone's run found: a status or priority change whose previous value is no string.
@example(
    {
        "id": 1,
        "created_at": "",
        "events": [{"type": "Change", "field_name": "priority", "previous_value": [None]}],
    },
    False,
)
@example(
    {
        "id": 1,
        "created_at": "",
        "events": [{"type": "Change", "field_name": "status", "previous_value": [1]}],
    },
    False,
)
def test_any_audit_is_read_or_refused_as_invalid_never_a_crash(raw: dict[str, Any], first: bool) -> None:
    try:
        audit = Audit.model_validate(raw)
    except ValidationError:
        return
    for event in audit_events(audit, TICKET, ME, first=first):
        assert event.ticket == TICKET
