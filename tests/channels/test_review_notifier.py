"""Review cases' notifications (SERVICEFLOW_NOTIFY_URL, now the channel 'default', or the
channels SERVICEFLOW_REVIEW_VIA names), and the deliver_notification activity the shell runs
once per (notification, channel)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio
from channel_support import Waits, breach, channels_for
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from serviceflow.channels import ChannelSettingsError, DeliveryOutcome
from serviceflow.channels.fake import FakeSlack
from serviceflow.durable.notifier import (
    MAX_DELIVERY_ATTEMPTS,
    DeliveryRequest,
    NotificationActivities,
    NotificationFailed,
    Notifier,
)
from serviceflow.durable.settings import Settings
from serviceflow.fakes.server import free_port
from serviceflow.fakes.sink import JsonSink
from serviceflow.model import Agent, Notify, Roster
from serviceflow.receiver.server import serving_app

ESCALATION = Notify(
    key="zendesk:acme:quarantine-9/escalate/review/1", reason="breach", policy="quarantine",
    rule="review", recipients=("lee",), subject="Breached: review", body="Nobody reviewed it.",
    escalation_level=1,
)  # fmt: skip
ROSTER = Roster(agents=(Agent(id="lee", name="Lee Lead", email="lee@shop.example"),))


@pytest_asyncio.fixture
async def endpoint() -> AsyncIterator[tuple[JsonSink, str]]:
    target = JsonSink()
    port = free_port()
    async with serving_app(target.app, "127.0.0.1", port):
        yield target, f"http://127.0.0.1:{port}/hook"


def notifier(url: str, waits: Waits, **more: dict[str, object]) -> Notifier:
    raw = {"default": {"type": "webhook", "url": url}, **more}
    return Notifier(channels=channels_for(raw, waits), via=tuple(raw))


async def test_the_old_url_still_gets_its_payload_with_names_now(endpoint: tuple[JsonSink, str]) -> None:
    target, url = endpoint
    outcome = await Notifier(url).send("zendesk:acme:quarantine-9", ESCALATION, ROSTER)
    assert outcome == "done: delivered via default: 200 ok"
    (sent,) = target.received
    assert sent["recipients"] == ["lee"] and sent["escalation_level"] == 1 and sent["kind"] == "breach"
    assert (
        sent["key"] == ESCALATION.key
        and sent["case"] == "zendesk:acme:quarantine-9"
        and sent["rule"] == "review"
    )
    assert "Breached: review (escalation level 1)" in str(sent["text"])
    assert "For: Lee Lead" in str(sent["text"])
    assert sent["people"] == [{"id": "lee", "name": "Lee Lead", "email": "lee@shop.example"}]


async def test_5xx_is_retryable_and_4xx_is_a_recorded_refusal(
    endpoint: tuple[JsonSink, str], waits: Waits
) -> None:
    target, url = endpoint
    target.status = 503
    with pytest.raises(NotificationFailed) as unavailable:
        await notifier(url, waits).send("c", ESCALATION)
    assert unavailable.value.retryable and "retryable via default: 503" in str(unavailable.value)
    target.status = 404
    outcome = await notifier(url, waits).send("c", ESCALATION)
    assert outcome == "failed: refused via default: 404 no"


async def test_without_a_channel_it_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert (await Notifier(None).send("c", ESCALATION)).startswith("done: logged")
    assert "notification for lee on c: Breached: review (escalation level 1)" in caplog.text
    await Notifier(None).send("c", ESCALATION, ROSTER)
    assert "notification for Lee Lead on c" in caplog.text


AT_RISK = Notify(
    key="zendesk:acme:quarantine-9/warn/review", reason="at risk", policy="quarantine", rule="review",
    recipients=("lou",), subject="At risk: review on ticket quarantine-9 is due Mon 07 Dec 2026 01:11 UTC",
    body="Review it before it is due.",
)  # fmt: skip


async def test_an_at_risk_review_is_logged_at_info_and_a_breach_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``make run`` printed the at-risk notice as a WARNING calling the review case a ticket."""
    caplog.set_level(logging.INFO, logger="serviceflow.channels.delivery")
    await Notifier(None).send("zendesk:acme:quarantine-9", AT_RISK)
    await Notifier(None).send("zendesk:acme:quarantine-9", ESCALATION)
    lines = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "serviceflow.channels.delivery"
    ]
    assert lines == [
        (
            "INFO",
            "notification for lou on zendesk:acme:quarantine-9: "
            "At risk: review on review case quarantine-9 is due Mon 07 Dec 2026 01:11 UTC",
        ),
        (
            "WARNING",
            "notification for lee on zendesk:acme:quarantine-9: Breached: review (escalation level 1)",
        ),
    ]


async def test_an_unreachable_endpoint_is_retryable(waits: Waits) -> None:
    with pytest.raises(NotificationFailed) as unreachable:
        await notifier(f"http://127.0.0.1:{free_port()}/nobody", waits).send("c", ESCALATION)
    assert unreachable.value.retryable


async def test_a_retried_review_notice_is_not_sent_again_where_it_was_taken(
    endpoint: tuple[JsonSink, str], slack: FakeSlack, waits: Waits
) -> None:
    target, url = endpoint
    both = notifier(url, waits, slack={"url": slack.url})
    slack.fail(500, times=3)  # Slack is down for this attempt
    with pytest.raises(NotificationFailed):
        await both.send("c", ESCALATION, ROSTER)
    assert len(target.received) == 1 and slack.messages == []
    assert await both.send("c", ESCALATION, ROSTER) == (
        "done: delivered via default: 200 ok; delivered via slack: 200 ok"
    )
    assert len(target.received) == 1 and len(slack.messages) == 1  # the webhook got it once


def test_the_worker_notifier_refuses_a_review_channel_that_is_not_configured() -> None:
    with pytest.raises(ChannelSettingsError, match="SERVICEFLOW_REVIEW_VIA names 'slack:leads'"):
        Notifier.from_settings(Settings(review_via=["slack:leads"]))
    with pytest.raises(ChannelSettingsError, match="'slack:leads'.url: Field required"):
        Notifier.from_settings(Settings(channels={"slack:leads": {}}, review_via=["slack:leads"]))
    assert Notifier.from_settings(Settings()).channels.names == ()  # no URL: reviews are logged


async def test_the_activity_raises_what_may_pass_with_the_channels_retry_after(
    slack: FakeSlack, waits: Waits
) -> None:
    activities = NotificationActivities(channels_for({"slack": {"url": slack.url}}, waits, attempts=1))
    request = DeliveryRequest(channel="slack", notification=breach())
    slack.fail(429, retry_after=90)
    with pytest.raises(ApplicationError) as later:
        await ActivityEnvironment().run(activities.deliver_notification, request)
    assert later.value.next_retry_delay is not None and later.value.next_retry_delay.total_seconds() == 90
    assert later.value.type == "NotificationRetryable" and not later.value.non_retryable
    delivered = await ActivityEnvironment().run(activities.deliver_notification, request)
    assert delivered.outcome is DeliveryOutcome.DELIVERED and delivered.key == breach().key


async def test_the_last_attempt_records_the_failure_instead_of_raising(
    slack: FakeSlack, waits: Waits
) -> None:
    activities = NotificationActivities(channels_for({"slack": {"url": slack.url}}, waits, attempts=1))
    slack.fail(503)
    last = ActivityEnvironment()
    last.info = replace(last.info, attempt=MAX_DELIVERY_ATTEMPTS)
    given_up = await last.run(
        activities.deliver_notification, DeliveryRequest(channel="slack", notification=breach())
    )
    assert given_up.outcome is DeliveryOutcome.RETRYABLE
    assert given_up.detail.startswith(f"gave up after {MAX_DELIVERY_ATTEMPTS} attempts: 503")
    refused = await ActivityEnvironment().run(
        activities.deliver_notification, DeliveryRequest(channel="nowhere", notification=breach())
    )
    assert refused.outcome is DeliveryOutcome.REFUSED  # a refusal is never retried
