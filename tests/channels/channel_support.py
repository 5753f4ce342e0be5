"""Shared helpers of the channel tests: notifications to send, and a retry that never waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from serviceflow.channels import (
    ChannelRegistry,
    Channels,
    DeliveryRetry,
    Notification,
    NotificationKind,
    Recipient,
    TicketRef,
    parse_channels,
)
from serviceflow.channels.fake import FakeMattermost, FakePagerDuty, FakeReceiver, FakeSlack, FakeTeams

LEE = Recipient(id="1002", name="Lee Lead", email="lee@shop.example")
MAX = Recipient(id="1003", name="Max Manager", email="max@shop.example")
TICKET = TicketRef(
    id="1042", subject="Charged twice for order 1042", url="https://acme.example/agent/tickets/1042"
)
ROUTING_KEY = "0123456789abcdef0123456789abcdef"


def breach(**changes: object) -> Notification:
    """Level 1 of a breached first-response target on ticket 1042, for Lee and Max."""
    base = Notification(
        key="zendesk:acme:1042/escalate/standard/first-response#1/1",
        case_id="zendesk:acme:1042",
        kind=NotificationKind.BREACH,
        subject="Breached: first-response on ticket 1042",
        body="first-response was due Mon 02 Mar 14:00 and is not met.",
        recipients=(LEE, MAX),
        ticket=TICKET,
        target="first-response",
        target_id="standard/first-response#1",
        level=1,
        due_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC),
        policy="standard",
        rule="first-response",
        reason="first-response breached",
    )
    return base.model_copy(update=changes)


class Waits:
    """A sleep that records what it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


def channels_for(raw: dict[str, dict[str, object]], waits: Waits, attempts: int = 3) -> Channels:
    """Channels from settings, with in-process retries that never really wait (nor pace)."""
    configs = parse_channels(raw, ChannelRegistry.from_plugins())
    channels = Channels.from_configs(configs, DeliveryRetry(attempts=attempts, sleep=waits))
    for name in channels.names:
        pacer = getattr(channels.get(name), "pacer", None)
        if pacer is not None:
            pacer.sleep = waits
    return channels


R = TypeVar("R", bound=FakeReceiver)


def _serve(receiver: R) -> Iterator[R]:
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from _serve(FakeSlack())


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    yield from _serve(FakeMattermost())


@pytest.fixture
def teams() -> Iterator[FakeTeams]:
    yield from _serve(FakeTeams())


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    yield from _serve(FakePagerDuty())


@pytest.fixture
def waits() -> Waits:
    return Waits()
