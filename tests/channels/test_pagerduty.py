"""PagerDuty Events API v2 against a fake that keeps alerts as PagerDuty documents: a breach
opens one incident per case and target whatever its ladder level, a met target resolves it, a
warning pages no one; 202/400/429/5xx as documented."""

from __future__ import annotations

from channel_support import ROUTING_KEY, TICKET, Waits, breach, channels_for

from serviceflow.channels import DeliveryOutcome, NotificationKind
from serviceflow.channels.fake import FakePagerDuty


def _channels(pagerduty: FakePagerDuty, waits: Waits, **spec: object):  # type: ignore[no-untyped-def]
    return channels_for(
        {"pagerduty:oncall": {"routing_key": ROUTING_KEY, "url": pagerduty.url, **spec}}, waits
    )


async def test_a_breach_opens_one_incident_and_its_met_target_resolves_it(
    pagerduty: FakePagerDuty, waits: Waits
) -> None:
    channels = _channels(pagerduty, waits)
    first = await channels.deliver("pagerduty:oncall", breach())
    assert first.outcome is DeliveryOutcome.DELIVERED, first
    assert '"dedup_key": "zendesk:acme:1042/standard/first-response#1"' in first.detail
    second = await channels.deliver("pagerduty:oncall", breach(level=2, key="k/escalate/2"))
    assert second.outcome is DeliveryOutcome.DELIVERED
    (alert,) = pagerduty.alerts  # level 2 of the same breach is the same incident
    assert alert.dedup_key == "zendesk:acme:1042/standard/first-response#1" and len(alert.events) == 2
    trigger = alert.events[0]
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == ROUTING_KEY
    payload = trigger["payload"]
    assert payload["summary"] == "Breached: first-response on ticket 1042 (escalation level 1)"
    assert payload["severity"] == "error" and payload["source"] == "serviceflow"
    assert payload["component"] == "first-response" and payload["group"] == "standard"
    assert payload["custom_details"]["for"] == "Lee Lead, Max Manager"
    assert payload["custom_details"]["key"] == breach().key  # the action's key rides along
    assert trigger["links"] == [{"href": TICKET.url, "text": 'ticket 1042 "Charged twice for order 1042"'}]
    resolved = await channels.deliver("pagerduty:oncall", breach(kind=NotificationKind.RESOLVE, key="k/met"))
    assert resolved.outcome is DeliveryOutcome.DELIVERED
    assert pagerduty.open_alerts() == [] and alert.events[-1] == {
        "routing_key": ROUTING_KEY,
        "dedup_key": "zendesk:acme:1042/standard/first-response#1",
        "event_action": "resolve",
    }


async def test_a_retried_trigger_is_absorbed_by_the_open_incident(
    pagerduty: FakePagerDuty, waits: Waits
) -> None:
    channels = _channels(pagerduty, waits)
    for _ in range(2):  # an activity that ran twice
        assert (await channels.deliver("pagerduty:oncall", breach())).outcome is DeliveryOutcome.DELIVERED
    assert len(pagerduty.alerts) == 1


async def test_a_warning_pages_no_one(pagerduty: FakePagerDuty, waits: Waits) -> None:
    channels = _channels(pagerduty, waits)
    delivery = await channels.deliver("pagerduty:oncall", breach(kind=NotificationKind.WARNING, level=None))
    assert delivery.outcome is DeliveryOutcome.SKIPPED and "only a breach" in delivery.detail
    assert pagerduty.calls.snapshot() == []


async def test_429_without_retry_after_backs_off_minutes_as_pagerduty_asks(
    pagerduty: FakePagerDuty, waits: Waits
) -> None:
    channels = _channels(pagerduty, waits)
    pagerduty.fail(429)
    delivery = await channels.deliver("pagerduty:oncall", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.retry_after == 120.0
    assert delivery.detail == "429" and pagerduty.alerts == []
    pagerduty.fail(429, retry_after=3)
    delivery = await channels.deliver("pagerduty:oncall", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED and 3.0 in waits.waited


async def test_5xx_is_retried_and_400_is_refused_with_pagerdutys_errors(
    pagerduty: FakePagerDuty, waits: Waits
) -> None:
    channels = _channels(pagerduty, waits)
    pagerduty.fail(502)
    assert (await channels.deliver("pagerduty:oncall", breach())).attempts == 2
    pagerduty.fail(400)
    refused = await channels.deliver("pagerduty:oncall", breach())
    assert refused.outcome is DeliveryOutcome.REFUSED and "Invalid routing key" in refused.detail


async def test_a_long_incident_key_is_hashed_within_255_and_stays_stable(
    pagerduty: FakePagerDuty, waits: Waits
) -> None:
    channels = _channels(pagerduty, waits, severity="critical")
    long = breach(target_id="t" * 400)
    assert (await channels.deliver("pagerduty:oncall", long)).outcome is DeliveryOutcome.DELIVERED
    assert (
        await channels.deliver("pagerduty:oncall", long.model_copy(update={"kind": NotificationKind.RESOLVE}))
    ).outcome is DeliveryOutcome.DELIVERED
    (alert,) = pagerduty.alerts
    assert len(alert.dedup_key) == 255 and alert.status == "resolved"
    assert alert.events[0]["payload"]["severity"] == "critical"


async def test_the_fake_refuses_what_pagerduty_refuses(pagerduty: FakePagerDuty) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        short_key = await http.post(pagerduty.url, json={"routing_key": "abc", "event_action": "trigger"})
        not_json = await http.post(pagerduty.url, content=b"{")
    assert short_key.status_code == 400
    assert "Length of 'routing_key' is incorrect (should be 32 characters)" in short_key.json()["errors"]
    assert not_json.status_code == 400 and not_json.json()["status"] == "Unrecognized object"
