"""The fake's outgoing webhooks, received over real HTTP by a receiver that verifies signatures."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serviceflow_zendesk.client import ZendeskClient
from serviceflow_zendesk.fake import Delivery, FakeZendesk
from serviceflow_zendesk.signature import ZENDESK_TEST_SECRET, parse_timestamp, sign
from zendesk_testing import WebhookReceiver

HEADERS = (
    "x-zendesk-account-id",
    "x-zendesk-webhook-id",
    "x-zendesk-webhook-invocation-id",
    "x-zendesk-webhook-signature",
    "x-zendesk-webhook-signature-timestamp",
)
VECTOR_BODY = (Path(__file__).parent / "data" / "zendesk_group_membership_created.json").read_bytes()


def types(deliveries: list[Delivery]) -> list[str]:
    return [d.event_type or "(trigger)" for d in deliveries]


async def test_event_webhooks_for_an_api_update(
    fake: FakeZendesk, receiver: WebhookReceiver, client: ZendeskClient
) -> None:
    group = fake.add_group("Billing")
    ada = fake.add_agent("Ada", groups=[group["id"]])
    ticket = fake.add_ticket("Charged twice", priority="normal")
    webhook = fake.add_webhook(receiver.url)
    await client.update_ticket(ticket["id"], {"status": "open", "priority": "high", "assignee_id": ada["id"]})
    await client.add_comment(ticket["id"], "Looking into it", public=False)

    deliveries = fake.wait_for_deliveries(5)
    assert sorted(types(deliveries)) == sorted(
        f"zen:event-type:ticket.{name}"
        for name in (
            "status_changed",
            "priority_changed",
            "agent_assignment_changed",
            "group_assignment_changed",
            "comment_added",
        )
    )
    assert all(d.ok for d in deliveries) and {r.verdict for r in receiver.received} == {"ok"}
    assert len({d.invocation_id for d in deliveries}) == 5

    status = next(d for d in deliveries if d.event_type == "zen:event-type:ticket.status_changed")
    envelope = status.json
    assert envelope["account_id"] == 12514403 and envelope["subject"] == f"zen:ticket:{ticket['id']}"
    assert envelope["zendesk_event_version"] == "2022-11-06" and uuid.UUID(envelope["id"])
    assert envelope["event"]["current"] == "OPEN" and envelope["event"]["previous"] == "NEW"
    detail = envelope["detail"]
    assert detail["id"] == str(ticket["id"]) and detail["assignee_id"] == str(ada["id"])
    assert detail["group_id"] == str(group["id"]) and detail["actor_id"] == str(fake.admin["id"])
    assert (detail["status"], detail["priority"]) == ("OPEN", "HIGH")
    one_action = [
        d.json["event"]["meta"]["sequence"]
        for d in deliveries
        if d.event_type != "zen:event-type:ticket.comment_added"
    ]
    assert len({s["id"] for s in one_action}) == 1 and sorted(s["position"] for s in one_action) == [
        1,
        2,
        3,
        4,
    ]

    comment = next(d for d in deliveries if d.event_type == "zen:event-type:ticket.comment_added").json[
        "event"
    ]
    assert comment["comment"]["body"] == "Looking into it" and comment["comment"]["is_public"] is False
    assert comment["comment"]["author"] == {
        "id": str(fake.admin["id"]),
        "is_staff": True,
        "name": "Fake Admin",
    }

    headers = status.headers
    assert all(h in headers for h in HEADERS) and headers["x-zendesk-webhook-id"] == webhook.webhook_id
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", webhook.webhook_id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers["x-zendesk-webhook-signature-timestamp"])
    assert headers["x-zendesk-webhook-signature"] == sign(
        ZENDESK_TEST_SECRET, headers["x-zendesk-webhook-signature-timestamp"], status.body
    )


async def test_subscriptions_filter_event_types(fake: FakeZendesk, receiver: WebhookReceiver) -> None:
    ticket = fake.add_ticket()
    fake.add_webhook(receiver.url, subscriptions=["zen:event-type:ticket.status_changed"])
    fake.update_ticket(ticket["id"], {"status": "pending", "priority": "low", "comment": {"body": "ping"}})
    fake.webhooks.wait_idle(timeout=5)
    assert types(fake.deliveries) == ["zen:event-type:ticket.status_changed"]


async def test_trigger_webhooks_render_display_strings(
    fake: FakeZendesk, receiver: WebhookReceiver, client: ZendeskClient
) -> None:
    group = fake.add_group("Billing")
    ticket = fake.add_ticket('Refund "asap"', priority="normal", tags=["vip"], group_id=group["id"])
    fake.add_webhook(receiver.url, kind="trigger", secret="trigger-secret")
    receiver.reset("trigger-secret")
    await client.update_ticket(ticket["id"], {"status": "open", "comment": {"body": "Line one\nline two"}})
    (delivery,) = fake.wait_for_deliveries(1)
    body = delivery.json  # placeholders are JSON-escaped, so quotes and newlines stay valid JSON
    assert delivery.kind == "trigger" and delivery.event_type is None
    assert body["ticket_id"] == str(ticket["id"]) and body["title"] == 'Refund "asap"'
    assert (body["status"], body["priority"], body["tags"]) == ("Open", "Normal", "vip")
    assert body["group_name"] == "Billing" and body["latest_comment"] == "Line one\nline two"
    assert receiver.received[0].verdict == "ok"


async def test_custom_trigger_template(fake: FakeZendesk, receiver: WebhookReceiver) -> None:
    ticket = fake.add_ticket()
    template = '{"id":"{{ticket.id}}","s":"{{ticket.status}}","nope":"{{ticket.unknown}}"}'
    fake.add_webhook(receiver.url, kind="trigger", template=template)
    fake.update_ticket(ticket["id"], {"status": "hold"})
    (delivery,) = fake.wait_for_deliveries(1)
    assert delivery.json == {"id": str(ticket["id"]), "s": "On-hold", "nope": ""}


async def test_creation_tags_and_seeding(
    fake: FakeZendesk, receiver: WebhookReceiver, client: ZendeskClient
) -> None:
    fake.add_webhook(receiver.url)
    seeded = fake.add_ticket()  # seeding is set-up, not news
    created = await client.create_ticket({"subject": "New", "comment": {"body": "Hi"}})
    await client.add_tags(seeded["id"], ["refund"])
    await client.remove_tags(seeded["id"], ["refund"])
    deliveries = fake.wait_for_deliveries(3)
    fake.webhooks.wait_idle(timeout=5)
    assert types(fake.deliveries) == types(deliveries)
    assert sorted(types(deliveries)) == [
        "zen:event-type:ticket.created",
        "zen:event-type:ticket.tags_changed",
        "zen:event-type:ticket.tags_changed",
    ]
    by_ticket = {d.ticket_id for d in deliveries}
    assert by_ticket == {seeded["id"], created.id}
    tag_events = sorted(
        (d.json["event"]["tags_added"], d.json["event"]["tags_removed"])
        for d in deliveries
        if d.ticket_id == seeded["id"]
    )
    assert tag_events == [([], ["refund"]), (["refund"], [])]


async def test_merge_events(fake: FakeZendesk, receiver: WebhookReceiver, client: ZendeskClient) -> None:
    target, source = fake.add_ticket("A"), fake.add_ticket("B")
    fake.add_webhook(receiver.url)
    await client.merge(target["id"], [source["id"]])
    fake.webhooks.wait_idle(timeout=5)
    on_source = {d.event_type: d.json["event"] for d in fake.deliveries if d.ticket_id == source["id"]}
    assert on_source["zen:event-type:ticket.merged"]["target_ticket_id"] == str(target["id"])
    assert on_source["zen:event-type:ticket.status_changed"]["current"] == "CLOSED"
    assert "zen:event-type:ticket.comment_added" in on_source
    on_target = [d.event_type for d in fake.deliveries if d.ticket_id == target["id"]]
    assert on_target == ["zen:event-type:ticket.comment_added"]


async def test_deliveries_retry_like_zendesk(fake: FakeZendesk, receiver: WebhookReceiver) -> None:
    ticket = fake.add_ticket()
    fake.add_webhook(receiver.url, subscriptions=["zen:event-type:ticket.status_changed"])
    receiver.respond_next(503, {"Retry-After": "0"})  # retried: Retry-After under 60 s
    receiver.respond_next(409)  # retried: 409 up to 3 times
    fake.update_ticket(ticket["id"], {"status": "open"})
    (first,) = fake.wait_for_deliveries(1)
    assert [a.status for a in first.attempts] == [503, 409, 200] and first.ok
    receiver.respond_next(500)  # not retried
    fake.update_ticket(ticket["id"], {"status": "pending"})
    second = fake.wait_for_deliveries(2)[1]
    assert [a.status for a in second.attempts] == [500] and not second.ok
    invocation_ids = {r.headers["x-zendesk-webhook-invocation-id"] for r in receiver.received[:3]}
    assert invocation_ids == {first.invocation_id}  # receivers dedupe on it


def test_send_webhook_exact_bytes_and_refusals(fake: FakeZendesk, receiver: WebhookReceiver) -> None:
    accepted = fake.send_webhook(receiver.url, VECTOR_BODY)
    assert accepted.ok and receiver.received[-1].body == VECTOR_BODY
    stale = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refusals: list[tuple[Callable[[], Delivery], str]] = [
        (lambda: fake.send_webhook(receiver.url, {"a": 1}, timestamp=stale), "stale_timestamp"),
        (lambda: fake.send_webhook(receiver.url, {"a": 1}, secret="wrong"), "bad_signature"),
        (lambda: fake.send_webhook(receiver.url, "{}", timestamp="1234"), "unparseable_timestamp"),
    ]
    for send, reason in refusals:
        delivery = send()
        assert delivery.attempts[-1].status == 401 and receiver.received[-1].verdict == reason
    assert len(fake.deliveries) == 4


def test_trigger_kind_for_send_webhook(fake: FakeZendesk, receiver: WebhookReceiver) -> None:
    body = json.dumps({"ticket_id": "35436", "status": "Open"}, separators=(",", ":"))
    delivery = fake.send_webhook(receiver.url, body, kind="trigger")
    assert delivery.kind == "trigger" and delivery.ok
    sent_at = parse_timestamp(delivery.headers["x-zendesk-webhook-signature-timestamp"])
    assert sent_at is not None and abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
