"""The registered Zendesk adapter, against the real fake over HTTP.

Settings reach the adapter the way they do in production, through ``SERVICEFLOW_ZENDESK_*``
variables (set by the ``zendesk`` fixture), and every request is held to the OAS by the ``fake``
fixture. Reading tickets, the roster and the export is ``test_zendesk_adapter_reading.py``.
The fake's admin is the API user, so its changes come back as serviceflow's own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from serviceflow_zendesk import ADAPTER, TRIGGER_BODY_TEMPLATE
from serviceflow_zendesk.actions import InvalidActionTarget, marker
from serviceflow_zendesk.errors import ServerError
from serviceflow_zendesk.fake import FakeZendesk
from zendesk_testing import SIGNING_SECRET as SECRET
from zendesk_testing import WebhookReceiver

from serviceflow.adapters import Identity, WebhookRequest
from serviceflow.adapters.protocol import parse_events
from serviceflow.errors import TicketGone
from serviceflow.model import (
    ActorRole,
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    EventKind,
    MergeTickets,
    Notify,
    RemoveTags,
    SetPriority,
    SetStatus,
    TicketEvent,
)
from serviceflow.plugins.webhooks import WebhookRejected

ACCOUNT = "127.0.0.1"  # no subdomain set: the account is the base_url host


@pytest.fixture
def hooked(receiver: WebhookReceiver) -> WebhookReceiver:
    """The webhook receiver expecting our signing secret."""
    receiver.reset(SECRET)
    return receiver


def me(fake: FakeZendesk) -> Identity:
    """The integration's identity: the fake's admin, whose token the settings carry."""
    return Identity(vendor="zendesk", account=ACCOUNT, id=str(fake.admin["id"]), name=fake.admin["name"])


def parse(headers: dict[str, str], body: bytes, identity: Identity | None = None) -> list[TicketEvent]:
    if identity is None:
        identity = Identity(vendor="zendesk", account=ACCOUNT, id="nobody")
    return ADAPTER.parse_webhook(WebhookRequest("POST", headers, body), account=ACCOUNT, identity=identity)


def action(cls: type, key: str = "k1", **fields: Any) -> Any:
    return cls(key=key, reason="test", policy="p", rule="r", **fields)


async def apply(ticket_id: int | str, act: Any) -> str:
    return await ADAPTER.apply_action(ACCOUNT, str(ticket_id), act)


# ---------------------------------------------------------------------- verify


async def test_verify_accepts_signed_delivery_and_refuses_tampered(
    zendesk: FakeZendesk, hooked: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = zendesk.add_ticket()
    zendesk.add_webhook(hooked.url, secret=SECRET, subscriptions=["zen:event-type:ticket.status_changed"])
    zendesk.update_ticket(ticket["id"], {"status": "open"})
    zendesk.wait_for_deliveries(1)
    got = hooked.received[0]

    def verdict(headers: dict[str, str], body: bytes) -> Any:
        return ADAPTER.verify_webhook(WebhookRequest("POST", headers, body))

    accepted = verdict(got.headers, got.body)
    assert accepted.accepted and accepted.account == ACCOUNT
    tampered = got.body.replace(b'"OPEN"', b'"SOLVED"')
    assert tampered != got.body
    assert verdict(got.headers, tampered).reason == "bad_signature"
    unsigned = {k: v for k, v in got.headers.items() if k != "x-zendesk-webhook-signature"}
    assert verdict(unsigned, got.body).reason == "missing_signature"

    stale = zendesk.send_webhook(
        hooked.url, {"ticket_id": "1"}, secret=SECRET, timestamp="2020-01-01T00:00:00Z"
    )
    assert verdict(stale.headers, stale.body).reason == "stale_timestamp"

    monkeypatch.delenv("SERVICEFLOW_ZENDESK_WEBHOOK_SECRET")
    refused = verdict(got.headers, got.body)
    assert (refused.accepted, refused.reason) == (False, "not_configured")


async def test_freshness_and_undated_times_are_the_receivers_clock_not_the_wall_clock(
    zendesk: FakeZendesk, hooked: WebhookReceiver
) -> None:
    """A receiver on a simulated clock (the harnesses', ``Receiver.clock``) judges a signature's
    timestamp, and dates what the body leaves undated, by ``WebhookRequest.received_at``."""
    received = datetime(2026, 1, 5, 10, tzinfo=UTC)
    sent = zendesk.send_webhook(
        hooked.url, {"ticket_id": "1"}, secret=SECRET, timestamp="2026-01-05T09:59:30Z"
    )  # a trigger body without updated_at
    at_receipt = WebhookRequest("POST", sent.headers, sent.body, received)
    assert ADAPTER.verify_webhook(at_receipt).accepted
    assert ADAPTER.verify_webhook(WebhookRequest("POST", sent.headers, sent.body)).reason == "stale_timestamp"
    identity = await ADAPTER.whoami(ACCOUNT)
    (event,) = await parse_events(ADAPTER, at_receipt, account=ACCOUNT, identity=identity)
    assert event.time == received and event.ticket.updated_at == received


# ---------------------------------------------------------------------- parse


async def test_parse_event_webhooks(zendesk: FakeZendesk, hooked: WebhookReceiver) -> None:
    group = zendesk.add_group("Billing")
    ada = zendesk.add_agent("Ada", email="ada@shop.example", groups=[group["id"]])
    zendesk.add_webhook(hooked.url, secret=SECRET)
    ticket = zendesk.add_ticket("Charged twice", notify=True)
    tid, requester = ticket["id"], ticket["requester_id"]
    zendesk.wait_for_deliveries(1)
    zendesk.update_ticket(tid, {"comment": {"body": "Any news?", "public": True}}, actor_id=requester)
    zendesk.update_ticket(
        tid, {"status": "hold", "priority": "high", "assignee_id": ada["id"], "tags": ["vip"]}
    )
    zendesk.update_ticket(tid, {"comment": {"body": "We are on it", "public": True}}, actor_id=ada["id"])
    zendesk.update_ticket(tid, {"comment": {"body": "Check the ledger", "public": False}}, actor_id=ada["id"])
    deliveries = zendesk.wait_for_deliveries(9)
    assert len(hooked.received) == 9

    by_type: dict[str, list[TicketEvent]] = {}
    for got in hooked.received:
        kind = json.loads(got.body)["type"].removeprefix("zen:event-type:ticket.")
        by_type.setdefault(kind, []).extend(parse(got.headers, got.body, me(zendesk)))
        assert parse(got.headers, got.body) == parse(got.headers, got.body)  # stable ids
    assert len({e.id for events in by_type.values() for e in events}) == 9
    assert sorted(by_type) == sorted(
        [
            "created",
            "comment_added",
            "status_changed",
            "priority_changed",
            "agent_assignment_changed",
            "group_assignment_changed",
            "tags_changed",
        ]
    )
    (created,) = by_type["created"]
    assert created.kind is EventKind.CREATED and created.ticket.id == str(tid)
    assert created.ticket.requester.id == str(requester) and created.ticket.account == ACCOUNT
    comments = {e.body: e for e in by_type["comment_added"]}
    assert comments["Any news?"].kind is EventKind.CUSTOMER_MESSAGE
    assert comments["We are on it"].kind is EventKind.AGENT_REPLY and comments["We are on it"].public
    assert comments["Check the ledger"].kind is EventKind.INTERNAL_NOTE
    assert comments["Check the ledger"].actor.id == str(ada["id"])
    (status,) = by_type["status_changed"]
    assert status.kind is EventKind.STATUS_CHANGED and status.changes == {"status": "new"}
    assert status.ticket.status.value == "on_hold" and status.ticket.priority.value == "high"
    assert status.ticket.assignee == str(ada["id"]) and status.ticket.group == str(group["id"])
    assert status.ticket.tags == ("vip",) and status.ticket.channel.value == "api"
    assert [e.kind for e in by_type["agent_assignment_changed"] + by_type["group_assignment_changed"]] == [
        EventKind.ASSIGNED,
        EventKind.ASSIGNED,
    ]
    assert by_type["priority_changed"][0].changes == {"priority": "normal"}
    assert by_type["tags_changed"][0].kind is EventKind.FIELDS_CHANGED
    assert by_type["tags_changed"][0].changes == {"tags": ""}
    assert all(d.ok for d in deliveries)
    # The status, priority, assignment and tags were the admin's: the API user's own changes.
    assert status.actor.role is ActorRole.SERVICEFLOW and status.actor.id == str(zendesk.admin["id"])
    assert comments["We are on it"].actor.role is ActorRole.AGENT
    assert comments["Any news?"].actor.role is ActorRole.CUSTOMER


async def test_parse_trigger_webhooks(zendesk: FakeZendesk, hooked: WebhookReceiver) -> None:
    ticket = zendesk.add_ticket("Refund", priority="normal", tags=["vip", "refund"])
    tid, requester = ticket["id"], ticket["requester_id"]
    # Two webhooks on one trigger: different invocation ids, the same change.
    for _ in range(2):
        zendesk.add_webhook(hooked.url, kind="trigger", secret=SECRET, template=TRIGGER_BODY_TEMPLATE)
    zendesk.update_ticket(tid, {"comment": {"body": 'Still "waiting"', "public": True}}, actor_id=requester)
    zendesk.wait_for_deliveries(2)
    first, second = hooked.received
    assert (
        first.headers["x-zendesk-webhook-invocation-id"] != second.headers["x-zendesk-webhook-invocation-id"]
    )
    (event,) = parse(first.headers, first.body)
    assert parse(second.headers, second.body) == [event]  # same change -> same event id
    assert event.kind is EventKind.CUSTOMER_MESSAGE and event.body == 'Still "waiting"'
    assert event.ticket.id == str(tid) and event.ticket.tags == ("vip", "refund")
    assert event.ticket.status.value == "new" and event.ticket.priority.value == "normal"
    assert event.ticket.requester.id == str(requester)
    assert event.ticket.requester.email == zendesk.state.get_user(requester)["email"]

    zendesk.update_ticket(tid, {"status": "hold", "priority": "high"})
    zendesk.wait_for_deliveries(4)
    (changed,) = parse(hooked.received[2].headers, hooked.received[2].body, me(zendesk))
    assert changed.kind is EventKind.FIELDS_CHANGED and changed.id != event.id
    assert changed.actor.role is ActorRole.SERVICEFLOW  # {{current_user.id}} is the API user
    assert (changed.ticket.status.value, changed.ticket.priority.value) == ("on_hold", "high")
    assert hooked.received[2].body != hooked.received[0].body


async def test_parse_rejects_bad_bodies(zendesk: FakeZendesk) -> None:
    with pytest.raises(WebhookRejected) as not_json:
        parse({}, b"<xml/>")
    assert not_json.value.reason == "not_json"
    for body in (b'{"hello": "world"}', b"[1, 2]"):
        with pytest.raises(WebhookRejected) as unknown:
            parse({}, body)
        assert unknown.value.reason == "unknown_shape"
    user_event = {"type": "zen:event-type:user.active_changed", "id": "x", "detail": {}, "event": {}}
    assert parse({}, json.dumps(user_event).encode()) == []


# ---------------------------------------------------------------------- actions


async def test_comment_actions_are_applied_once(zendesk: FakeZendesk) -> None:
    zendesk.add_agent("Ada Agent", email="ada@shop.example")
    tid = zendesk.add_ticket()["id"]
    before = len(zendesk.comments(tid))
    note = action(AddInternalNote, "note-1", body="Refund approved")
    reply = action(AddPublicReply, "reply-1", body="We refunded you")
    notify = action(Notify, "notify-1", recipients=("ada@shop.example",), subject="At risk", body="Due soon")
    for act in (note, reply, notify):
        assert await apply(tid, act) == "done"
        assert await apply(tid, act) == "skipped: already done"
    comments = zendesk.comments(tid)[before:]
    assert len(comments) == 3
    assert [c["public"] for c in comments] == [False, True, False]
    assert comments[0]["body"] == f"Refund approved\n\n{marker('note-1')}"
    assert "To: Ada Agent" in comments[2]["body"] and "At risk" in comments[2]["body"]
    # A different key is a different note, even with the same text.
    assert await apply(tid, action(AddInternalNote, "note-2", body="Refund approved")) == "done"


async def test_field_actions_are_applied_once(zendesk: FakeZendesk) -> None:
    group = zendesk.add_group("Billing")
    ada = zendesk.add_agent("Ada", groups=[group["id"]])
    tid = zendesk.add_ticket(tags=["old"])["id"]
    acts = [
        action(AssignOwner, "a", agent=str(ada["id"]), group=str(group["id"])),
        action(SetStatus, "s", status="on_hold"),
        action(SetPriority, "p", priority="urgent"),
        action(AddTags, "t", tags=("vip", "refund")),
        action(RemoveTags, "r", tags=("old",)),
    ]
    for act in acts:
        assert await apply(tid, act) == "done"
        await apply(tid, act)
    assert await apply(tid, acts[0]) == "skipped: already so"
    ticket = zendesk.ticket(tid)
    assert (ticket["assignee_id"], ticket["group_id"]) == (ada["id"], group["id"])
    assert (ticket["status"], ticket["priority"]) == ("hold", "urgent")
    assert sorted(ticket["tags"]) == ["refund", "vip"]
    assert len(zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}")) == 3  # no second write


async def test_merge_is_applied_once(zendesk: FakeZendesk) -> None:
    target = zendesk.add_ticket("Original")["id"]
    source = zendesk.add_ticket("Duplicate")["id"]
    merge = action(MergeTickets, "m", into_ticket=str(target))
    assert await apply(source, merge) == "done"
    assert await apply(source, merge) == "skipped: already closed (merged?)"
    assert zendesk.ticket(source)["status"] == "closed"
    assert len(zendesk.calls_to("POST", f"/api/v2/tickets/{target}/merge")) == 1


async def test_conflict_reapply_keeps_the_other_writers_change(zendesk: FakeZendesk) -> None:
    tid = zendesk.add_ticket(priority="normal")["id"]
    zendesk.conflict_next(tid, {"tags": ["from-agent"], "status": "open"})
    assert await apply(tid, action(SetPriority, priority="high")) == "done"
    ticket = zendesk.ticket(tid)
    assert (ticket["priority"], ticket["tags"], ticket["status"]) == ("high", ["from-agent"], "open")
    assert [c.status for c in zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}")] == [409, 200]


async def test_tags_are_a_safe_update_that_keeps_another_writers_tags(zendesk: FakeZendesk) -> None:
    """PutTagsTicket "Safe Update" (OAS): updated_stamp + safe_update, a 409 re-reads."""
    tid = zendesk.add_ticket(tags=["old"])["id"]
    zendesk.conflict_next(tid, {"tags": ["old", "from-agent"]})
    assert await apply(tid, action(AddTags, tags=("VIP",))) == "done"
    assert zendesk.ticket(tid)["tags"] == ["old", "from-agent", "vip"]
    puts = zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}/tags")
    assert [c.status for c in puts] == [409, 200]
    body = json.loads(puts[-1].body)
    assert body["safe_update"] is True and isinstance(body["updated_stamp"], str)
    assert set(body) == {"tags", "safe_update", "updated_stamp"}
    zendesk.conflict_next(tid, {"tags": ["old", "from-agent", "vip", "late"]})
    assert await apply(tid, action(RemoveTags, "k2", tags=("old",))) == "done"
    assert zendesk.ticket(tid)["tags"] == ["from-agent", "vip", "late"]
    assert await apply(tid, action(RemoveTags, "k2", tags=("old",))) == "skipped: already so"


@pytest.mark.parametrize("status", [502, 504])
async def test_a_gateway_error_after_a_public_reply_is_written_never_twice(
    zendesk: FakeZendesk, status: int
) -> None:
    """Issue 12: a 502/504 after the comment PUT was applied; the marker is re-read before any
    retry, so the customer gets the reply once."""
    tid = zendesk.add_ticket()["id"]
    reply = action(AddPublicReply, "reply-504", body="We refunded you")
    zendesk.fail_next(1, status=status, method="PUT", path=f"/api/v2/tickets/{tid}", after_write=True)
    assert await apply(tid, reply) == "done"
    assert await apply(tid, reply) == "skipped: already done"  # the activity's retry
    replies = [c for c in zendesk.comments(tid) if marker("reply-504") in c["body"]]
    assert len(replies) == 1 and replies[0]["public"] is True
    statuses = [c.status for c in zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}")]
    assert statuses == [status]  # the PUT itself was never repeated


async def test_a_gateway_error_before_the_write_is_raised_for_a_retry(zendesk: FakeZendesk) -> None:
    tid = zendesk.add_ticket()["id"]
    reply = action(AddPublicReply, "reply-502", body="We refunded you")
    zendesk.fail_next(1, status=502, method="PUT", path=f"/api/v2/tickets/{tid}")
    with pytest.raises(ServerError):
        await apply(tid, reply)
    assert await apply(tid, reply) == "done"
    assert len([c for c in zendesk.comments(tid) if marker("reply-502") in c["body"]]) == 1


async def test_rate_limit_once_then_success(zendesk: FakeZendesk) -> None:
    tid = zendesk.add_ticket()["id"]
    zendesk.fail_next(1, status=429, retry_after=0, method="PUT")
    assert await apply(tid, action(AddTags, tags=("vip",))) == "done"
    assert zendesk.ticket(tid)["tags"] == ["vip"]
    assert [c.status for c in zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}/tags")] == [429, 200]


async def test_deleted_ticket_is_ticket_gone(zendesk: FakeZendesk) -> None:
    tid = zendesk.add_ticket()["id"]
    with zendesk.state.lock:
        del zendesk.state.tickets[tid]  # deleted in Zendesk
    for act in (
        action(AddInternalNote, body="hi"),
        action(SetStatus, status="solved"),
        action(AddTags, tags=("x",)),
    ):
        with pytest.raises(TicketGone):
            await apply(tid, act)
    with pytest.raises(TicketGone):
        await ADAPTER.fetch_ticket(ACCOUNT, str(tid))


async def test_non_numeric_ids_are_refused_before_any_request(zendesk: FakeZendesk) -> None:
    tid = zendesk.add_ticket()["id"]
    calls = len(zendesk.calls)
    with pytest.raises(InvalidActionTarget, match="numeric"):
        await apply(tid, action(AssignOwner, agent="ada@shop.example"))
    assert len(zendesk.calls) == calls
