"""Help Scout deliveries into events: the documented bodies (the Get Conversation example and
the thread example of CONTRACTS.md §2.2 and §3.1), who made each change, canonical ids, and
refusals naming the field; a property test holds that no input raises anything but
``WebhookRejected``."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import pytest
from serviceflow_helpscout import own_writes
from serviceflow_helpscout.models import Conversation, Thread
from serviceflow_helpscout.webhooks import parse_delivery

from serviceflow.adapters import Identity
from serviceflow.model import ActorRole, EventKind, Priority, TicketEvent, TicketStatus
from serviceflow.plugins.webhooks import WebhookRejected

ME = Identity(vendor="helpscout", account="acme", id="4", name="Serviceflow Bot")

#: The Get Conversation page's response example (OFFICIAL; CONTRACTS.md §2.2).
OFFICIAL = {
    "id": 123,
    "number": 12,
    "threads": 2,
    "type": "email",
    "folderId": 11,
    "status": "closed",
    "state": "published",
    "subject": "Help",
    "preview": "Preview",
    "mailboxId": 13,
    "assignee": {"id": 99, "type": "user", "first": "Mr", "last": "Robot", "email": "none@nowhere.com"},
    "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"},
    "createdAt": "2012-03-15T22:46:22Z",
    "closedBy": 14,
    "closedByUser": {"id": 14, "type": "user", "first": "Clo", "last": "Ser", "email": "closer@closers.com"},
    "closedAt": "2012-03-16T14:07:23Z",
    "userUpdatedAt": "2012-03-16T14:07:23Z",
    "customerWaitingSince": {"time": "2012-07-24T20:18:33Z", "friendly": "20 hours ago"},
    "source": {"type": "email", "via": "customer"},
    "tags": [{"id": 9150, "color": "#929499", "tag": "vip"}],
    "cc": ["bear@normal.com"],
    "bcc": ["bear@secret.com"],
    "primaryCustomer": {
        "id": 238604,
        "type": "customer",
        "first": "Rob",
        "last": "Robertovic",
        "email": "rob@acme.com",
    },
}
#: The threads page's thread example (OFFICIAL, v3 page; v2's ``createdBy.type`` is user/customer).
THREAD = {
    "id": 1234,
    "type": "customer",
    "status": "active",
    "state": "published",
    "action": {
        "type": "manual-workflow",
        "text": "You ran the Assign to Spam workflow",
        "associatedEntities": {},
    },
    "body": "this is what i have to say: I love your service.",
    "source": {"type": "email", "via": "customer"},
    "customer": {"id": 29418, "first": "Vernon", "last": "Bear", "email": "vbear@mywork.com"},
    "createdBy": {
        "id": 29418,
        "type": "customer",
        "first": "Vernon",
        "last": "Bear",
        "email": "vbear@mywork.com",
    },
    "assignedTo": {
        "id": 1234,
        "type": "team",
        "first": "Jack",
        "last": "Sprout",
        "email": "jack.sprout@gmail.com",
    },
    "to": ["to1@somewhere.com"],
    "createdAt": "2015-06-05T20:18:33Z",
}


class Reads:
    """The thread reads the parser asks for, answered with ``threads``."""

    def __init__(self, threads: Sequence[dict[str, Any]] = ()) -> None:
        self.threads = [Thread.model_validate(t) for t in threads]
        self.count = 0

    async def read(self, conversation: Conversation) -> Sequence[Thread]:
        self.count += 1
        return self.threads


async def no_recipient(conversation: Conversation) -> str | None:
    return "support@acme.example"


async def parse(
    event: str, body: Any, reads: Reads | None = None, *, raw: bytes | None = None
) -> list[TicketEvent]:
    data = raw if raw is not None else json.dumps(body).encode()
    return await parse_delivery(
        data,
        {"x-helpscout-event": event},
        account="acme",
        identity=ME,
        priority_prefix="priority-",
        read_threads=(reads or Reads()).read,
        recipient_of=no_recipient,
    )


def body(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(OFFICIAL)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def thread(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(THREAD), **changes}


async def test_the_official_conversation_is_a_ticket() -> None:
    (event,) = await parse("convo.tags", body())
    ticket = event.ticket
    assert (ticket.id, ticket.subject, ticket.status, ticket.channel.value) == (
        "123",
        "Help",
        TicketStatus.SOLVED,
        "email",
    )
    assert (ticket.requester.id, ticket.requester.email, ticket.requester.name) == (
        "238604",
        "rob@acme.com",
        "Rob Robertovic",
    )
    assert ticket.assignee == "99" and ticket.tags == ("vip",) and ticket.recipient == "support@acme.example"
    assert ticket.custom_fields == {"helpscout_number": 12, "helpscout_mailbox": "13"}
    assert ticket.updated_at.isoformat() == "2012-07-24T20:18:33+00:00"  # the latest documented time


async def test_a_close_names_its_closer() -> None:
    (event,) = await parse("convo.status", body(), Reads())
    assert (
        event.kind is EventKind.STATUS_CHANGED
        and event.actor.role is ActorRole.AGENT
        and event.actor.id == "14"
    )
    closed_by_us = await parse("convo.status", body(closedBy=4))
    assert closed_by_us[0].actor.role is ActorRole.SERVICEFLOW


async def test_a_status_change_is_the_line_item_that_set_it() -> None:
    line = {
        "id": 2,
        "type": "lineitem",
        "status": "pending",
        "createdBy": {"id": 4, "type": "user"},
        "assignedTo": None,
        "createdAt": "2012-03-16T14:07:23Z",
    }
    later = {**line, "id": 3, "status": "nochange", "createdBy": {"id": 77, "type": "user"}}
    (ours,) = await parse("convo.status", body(status="pending", closedBy=None), Reads([line, later]))
    assert ours.actor.role is ActorRole.SERVICEFLOW and ours.ticket.status is TicketStatus.PENDING
    person = {**line, "createdBy": {"id": 77, "type": "user", "first": "Ada"}}
    (theirs,) = await parse("convo.status", body(status="pending", closedBy=None), Reads([person]))
    assert theirs.actor.role is ActorRole.AGENT and theirs.actor.name == "Ada"


async def test_an_assignment_is_the_line_item_that_changed_the_assignee() -> None:
    made = {
        "id": 2,
        "type": "lineitem",
        "status": "nochange",
        "createdBy": {"id": 4, "type": "user"},
        "assignedTo": {"id": 99, "type": "user"},
        "createdAt": "2012-03-16T14:00:00Z",
    }
    kept = {**made, "id": 3, "createdBy": {"id": 77, "type": "user"}, "createdAt": "2012-03-16T14:05:00Z"}
    reads = Reads([{**THREAD, "assignedTo": None, "createdAt": "2012-03-15T22:46:22Z"}, made, kept])
    (event,) = await parse("convo.assigned", body(), reads)
    assert (
        event.kind is EventKind.ASSIGNED and event.actor.role is ActorRole.SERVICEFLOW
    )  # 77 changed nothing
    assert event.time.isoformat() == "2012-03-16T14:00:00+00:00" and reads.count == 1


async def test_serviceflows_tag_list_carries_its_stamp_and_a_persons_does_not() -> None:
    ours = own_writes.stamped(["vip", "priority-urgent"])
    (event,) = await parse("convo.tags", body(tags=[{"tag": t} for t in ours]))
    assert event.actor.role is ActorRole.SERVICEFLOW and event.kind is EventKind.FIELDS_CHANGED
    assert event.ticket.tags == ("vip", "priority-urgent") and event.ticket.priority is Priority.URGENT
    changed = [*ours, "refund_paid"]
    (theirs,) = await parse("convo.tags", body(tags=[{"tag": t} for t in changed]))
    assert theirs.actor.role is ActorRole.AGENT and "refund_paid" in theirs.ticket.tags


async def test_a_customer_reply_is_its_thread_read_when_the_body_has_none() -> None:
    opening = thread(id=1, createdAt="2015-06-05T20:00:00Z")
    reads = Reads([opening, thread()])
    (event,) = await parse("convo.customer.reply.created", body(status="active", closedBy=None), reads)
    assert (event.kind, event.actor.role, event.actor.id) == (
        EventKind.CUSTOMER_MESSAGE,
        ActorRole.CUSTOMER,
        "29418",
    )
    assert event.id == "helpscout:123:thread:1234" and event.body.startswith("this is what i have to say")
    assert reads.count == 1
    embedded = body(status="active", closedBy=None, _embedded={"threads": [opening, thread()]})
    again = Reads()
    assert [e.id for e in await parse("convo.customer.reply.created", embedded, again)] == [event.id]
    assert again.count == 0  # the body had its threads: nothing read


async def test_a_note_is_serviceflows_by_its_author_or_its_marker_and_a_later_persons_note_is_not_it() -> (
    None
):
    opening = thread(id=1)
    ours = thread(
        id=2,
        type="note",
        body="Case summary",
        createdBy={"id": 4, "type": "user"},
        createdAt="2015-06-05T21:00:00Z",
    )
    person = thread(
        id=3,
        type="note",
        body="I'll call them",
        createdBy={"id": 77, "type": "user", "first": "Ada"},
        createdAt="2015-06-05T21:00:09Z",
    )
    delivered = body(status="active", closedBy=None, userUpdatedAt="2015-06-05T21:00:00Z")
    (event,) = await parse("convo.note.created", delivered, Reads([opening, ours, person]))
    assert (
        event.id == "helpscout:123:thread:2"
        and event.actor.role is ActorRole.SERVICEFLOW
        and not event.public
    )
    later = body(status="active", closedBy=None, userUpdatedAt="2015-06-05T21:00:09Z")
    (theirs,) = await parse("convo.note.created", later, Reads([opening, ours, person]))
    assert theirs.actor.role is ActorRole.AGENT and theirs.actor.name == "Ada"
    marked = thread(
        id=5, type="message", body="We refunded you<br><br>[sf:k-1]", createdBy={"id": 77, "type": "user"}
    )
    (reply,) = await parse("convo.agent.reply.created", body(), Reads([opening, marked]))
    assert reply.kind is EventKind.AGENT_REPLY and reply.public and reply.actor.role is ActorRole.SERVICEFLOW


async def test_a_new_conversation_and_the_events_no_case_reacts_to() -> None:
    (created,) = await parse("convo.created", body(status="active", closedBy=None))
    assert (created.kind, created.actor.role, created.id) == (
        EventKind.CREATED,
        ActorRole.CUSTOMER,
        "helpscout:123:created",
    )
    assert created.body == "Preview"
    # "Created (AI Answers)" (the webhooks page): a conversation opened, one with convo.created's.
    (ai,) = await parse("convo.ai-answers.created", body(status="active", closedBy=None))
    assert (ai.kind, ai.id) == (EventKind.CREATED, created.id)
    (waiting,) = await parse("convo.ai-answers.created", body(status="pending", closedBy=None))
    assert waiting.ticket.status is TicketStatus.PENDING
    # closed by AI Answers itself (the documented status): recorded, no case, nobody its owner
    assert await parse("convo.ai-answers.created", body(status="closed")) == []
    assert [e.kind for e in await parse("convo.created", body(status="closed"))] == [EventKind.CREATED]
    for event in (
        "helpscout.test",
        "customer.created",
        "satisfaction.ratings",
        "beacon.chat.created",
        "org.future",
    ):
        assert await parse(event, {"whatever": True}) == []
    assert await parse("convo.deleted", {"id": 123}) == []
    assert await parse("convo.status", body(status="spam")) == []  # the quarantine's
    assert await parse("convo.note.created", body(state="deleted")) == []
    moved = await parse("convo.moved", body())
    assert moved[0].changes == {"mailbox": None} and moved[0].actor.role is ActorRole.AGENT


async def test_a_redelivery_has_the_same_ids_and_another_change_another() -> None:
    first = await parse("convo.tags", body())
    assert [e.id for e in first] == [e.id for e in await parse("convo.tags", body())]
    assert first[0].id != (await parse("convo.tags", body(tags=[])))[0].id


@pytest.mark.parametrize("bad", ["04", "٤", -1, 0, True, 1.5, " 7", "1e3", "12345678901234567890", None])
async def test_an_id_that_is_not_canonical_is_refused_naming_the_field(bad: Any) -> None:
    with pytest.raises(WebhookRejected) as caught:
        await parse("convo.status", body(id=bad) if bad is not None else {**body(), "id": None})
    assert caught.value.status == 400 and caught.value.detail.startswith("id:")
    assert caught.value.reason == "bad_id"
    with pytest.raises(WebhookRejected, match="assignee.id") as nested:
        await parse("convo.assigned", body(assignee={"id": "٤", "type": "user"}))
    assert nested.value.reason == "bad_id"
    with pytest.raises(WebhookRejected, match="^bad_id: id"):
        await parse("convo.deleted", {"id": bad if bad is not None else "x"})


@pytest.mark.parametrize(
    ("event", "raw", "reason", "field"),
    [
        ("", b"{}", "missing_event", "X-HelpScout-Event"),
        ("convo created", b"{}", "missing_event", "X-HelpScout-Event"),
        ("convo.status", b"{not json", "not_json", ""),
        ("convo.status", b"\xff\xfe", "not_json", ""),
        ("convo.status", b"[" * 100_000, "not_json", ""),
        ("convo.status", b"[1, 2]", "unknown_shape", "body"),
        ("convo.status", json.dumps(body(status=7)).encode(), "unknown_shape", "status"),
        ("convo.status", json.dumps(body(createdAt="yesterday")).encode(), "unknown_shape", "createdAt"),
        (
            "convo.status",
            json.dumps(body(createdAt="1066-10-14T09:00:00Z")).encode(),
            "unknown_shape",
            "createdAt",
        ),
        ("convo.status", json.dumps(body(tags=[{"name": "vip"}])).encode(), "unknown_shape", "tags.0.tag"),
        ("convo.note.created", json.dumps(body(subject="x" * 200_000)).encode(), "unknown_shape", "subject"),
    ],
)
async def test_a_bad_shape_is_refused_naming_the_field(
    event: str, raw: bytes, reason: str, field: str
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        await parse(event, None, raw=raw)
    assert caught.value.reason == reason and caught.value.status == 400
    assert field in str(caught.value)


@pytest.mark.parametrize(("changes", "field", "value"), [
    ({"createdAt": "1066-10-14T09:00:00Z"}, "createdAt", "1066"),
    ({"createdAt": "yesterday-secret"}, "createdAt", "yesterday-secret"),
    ({"id": "secret-id"}, "id", "secret-id"), ({"subject": ["secret-list"]}, "subject", "secret-list"),
])  # fmt: skip
async def test_a_refusal_names_its_field_and_never_repeats_the_value(
    changes: dict[str, Any], field: str, value: str
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        await parse("convo.status", body(**changes))
    assert getattr(caught.value, "field", None) == field
    assert value not in str(caught.value) and "input_value" not in str(caught.value)
