"""Review cases' notifications to an incoming webhook (sent, retried on 5xx, refused on 4xx), and
the worker's start of quarantine watchers from its settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from durable_support import free_port

from serviceflow.durable.notifier import NotificationFailed, Notifier
from serviceflow.fakes.sink import JsonSink
from serviceflow.model import Notify
from serviceflow.receiver.server import serving_app

ESCALATION = Notify(
    key="zendesk:acme:quarantine-9/escalate/review/1", reason="breach", policy="quarantine",
    rule="review", recipients=("lee",), subject="Breached: review", body="Nobody reviewed it.",
    escalation_level=1,
)  # fmt: skip


@pytest_asyncio.fixture
async def endpoint() -> AsyncIterator[tuple[JsonSink, str]]:
    target = JsonSink()
    port = free_port()
    async with serving_app(target.app, "127.0.0.1", port):
        yield target, f"http://127.0.0.1:{port}/hook"


async def test_a_notification_is_posted_with_its_case_and_key(endpoint: tuple[JsonSink, str]) -> None:
    target, url = endpoint
    assert await Notifier(url).send("zendesk:acme:quarantine-9", ESCALATION) == "done: sent"
    (sent,) = target.received
    assert sent["recipients"] == ["lee"] and sent["escalation_level"] == 1
    assert sent["key"] == ESCALATION.key and sent["case"] == "zendesk:acme:quarantine-9"
    assert "Breached: review (escalation level 1)" in str(sent["text"])


async def test_5xx_is_retryable_and_4xx_is_a_refusal(endpoint: tuple[JsonSink, str]) -> None:
    target, url = endpoint
    target.status = 503
    with pytest.raises(NotificationFailed) as unavailable:
        await Notifier(url).send("c", ESCALATION)
    assert unavailable.value.retryable
    target.status = 404
    with pytest.raises(NotificationFailed, match="refused it with 404") as refused:
        await Notifier(url).send("c", ESCALATION)
    assert not refused.value.retryable


async def test_without_a_url_it_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert (await Notifier(None).send("c", ESCALATION)).startswith("done: logged")
    assert "notification for lee on c: Breached: review" in caplog.text


async def test_an_unreachable_endpoint_is_retryable() -> None:
    with pytest.raises(NotificationFailed) as unreachable:
        await Notifier(f"http://127.0.0.1:{free_port()}/nobody").send("c", ESCALATION)
    assert unreachable.value.retryable


async def test_watchers_refuse_a_malformed_account_and_skip_a_vendor_no_plugin_serves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from serviceflow.durable.settings import Settings
    from serviceflow.durable.worker import start_watchers

    with pytest.raises(ValueError, match="is not 'vendor:account'"):
        await start_watchers(None, Settings(quarantine_watch=["zendesk"]))  # type: ignore[arg-type]
    assert await start_watchers(None, Settings(quarantine_watch=["nobody:acme"])) == []  # type: ignore[arg-type]
    assert "no installed plugin watches the quarantine of 'nobody'" in caplog.text
