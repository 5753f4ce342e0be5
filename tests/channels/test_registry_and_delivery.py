"""Channel kinds come from plugins through serviceflow_register_channels (the built-ins too), and
one delivery never raises: unknown channels, channels that crash or hang up, all become outcomes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest
from channel_support import Waits, breach
from pydantic import Field

from serviceflow.channels import (
    ChannelRegistry,
    Channels,
    ChannelSpec,
    ChannelType,
    ChannelTypeConflict,
    Delivery,
    DeliveryOutcome,
    DeliveryRetry,
    Notification,
    NotificationChannel,
)
from serviceflow.plugins import get_plugin_manager, hookimpl


class PagerSpec(ChannelSpec):
    number: str = Field(min_length=3)


class RecordingChannel:
    """A third party's channel: keeps what it was sent; answers what it is told to."""

    def __init__(self, name: str, spec: ChannelSpec) -> None:
        self._name = name
        self.spec = spec
        self.sent: list[Notification] = []
        self.answers: list[DeliveryOutcome | BaseException] = []

    @property
    def name(self) -> str:
        return self._name

    async def send(self, notification: Notification) -> Delivery:
        self.sent.append(notification)
        answer = self.answers.pop(0) if self.answers else DeliveryOutcome.DELIVERED
        if isinstance(answer, BaseException):
            raise answer
        return Delivery(channel=self.name, key=notification.key, outcome=answer, detail="as told")

    async def aclose(self) -> None:
        pass


PAGER = ChannelType(kind="pager", spec=PagerSpec, build=RecordingChannel, description="test pager")


class PagerPlugin:
    @hookimpl
    def serviceflow_register_channels(self, register: Any) -> None:
        register(PAGER)


@pytest.fixture
def pager_plugin() -> Iterator[pluggy.PluginManager]:
    manager = get_plugin_manager()
    manager.register(PagerPlugin(), name="test-pager")
    try:
        yield manager
    finally:
        manager.unregister(name="test-pager")


def test_the_builtins_are_registered_through_the_hook() -> None:
    manager = get_plugin_manager()
    plugins = {
        manager.get_name(impl.plugin) for impl in manager.hook.serviceflow_register_channels.get_hookimpls()
    }
    assert "builtin" in plugins
    assert ChannelRegistry.from_plugins().kinds == (
        "email",
        "mattermost",
        "pagerduty",
        "slack",
        "teams",
        "webhook",
    )


async def test_a_plugins_channel_kind_is_configured_and_delivered_like_a_builtin(
    pager_plugin: pluggy.PluginManager,
) -> None:
    channels = Channels.from_settings({"pager:oncall": {"number": "+3120"}}, manager=pager_plugin)
    channel = channels.get("pager:oncall")
    assert isinstance(channel, RecordingChannel) and isinstance(channel, NotificationChannel)
    delivery = await channels.deliver("pager:oncall", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED and channel.sent == [breach()]


def test_a_kind_registered_twice_names_both_plugins(pager_plugin: pluggy.PluginManager) -> None:
    class Again:
        @hookimpl
        def serviceflow_register_channels(self, register: Any) -> None:
            register(PAGER)

    pager_plugin.register(Again(), name="test-pager-again")
    try:
        with pytest.raises(ChannelTypeConflict, match="'pager' is registered by both"):
            ChannelRegistry.from_plugins(pager_plugin)
    finally:
        pager_plugin.unregister(name="test-pager-again")
    with pytest.raises(ChannelTypeConflict, match="use 1-32 lower-case letters"):
        ChannelRegistry([ChannelType(kind="Pager!", spec=PagerSpec, build=RecordingChannel)])


def _with(channel: RecordingChannel, waits: Waits, attempts: int = 3) -> Channels:
    return Channels({channel.name: channel}, DeliveryRetry(attempts=attempts, sleep=waits))


async def test_an_unknown_channel_is_a_refusal_naming_the_configured_ones(waits: Waits) -> None:
    channels = _with(RecordingChannel("pager", PagerSpec(number="123")), waits)
    delivery = await channels.deliver("slack:nobody", breach())
    assert delivery.outcome is DeliveryOutcome.REFUSED and delivery.attempts == 0
    assert (
        delivery.detail == "no channel named 'slack:nobody' is configured (SERVICEFLOW_CHANNELS has: pager)"
    )


async def test_a_channel_that_raises_is_contained(waits: Waits, caplog: pytest.LogCaptureFixture) -> None:
    channel = RecordingChannel("pager", PagerSpec(number="123"))
    channels = _with(channel, waits)
    channel.answers = [ConnectionResetError("reset by peer"), DeliveryOutcome.DELIVERED]
    assert (await channels.deliver("pager", breach())).attempts == 2  # network trouble: retried
    channel.answers = [KeyError("bug")]
    bug = await channels.deliver("pager", breach())
    assert bug.outcome is DeliveryOutcome.REFUSED and bug.detail == "the channel failed: KeyError: 'bug'"
    assert "channel pager failed on" in caplog.text  # with its traceback, for whoever fixes it


async def test_retries_are_bounded_and_every_delivery_is_logged(
    waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="serviceflow.channels")
    channel = RecordingChannel("pager", PagerSpec(number="123"))
    channel.answers = [DeliveryOutcome.RETRYABLE] * 5
    delivery = await _with(channel, waits, attempts=3).deliver("pager", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.attempts == 3 and len(channel.sent) == 3
    assert len(waits.waited) == 2 and all(0 < w <= 10 for w in waits.waited)
    assert "retryable via pager: as told on zendesk:acme:1042: Breached: first-response" in caplog.text
    skipped = RecordingChannel("quiet", PagerSpec(number="123"))
    skipped.answers = [DeliveryOutcome.SKIPPED]
    assert (await _with(skipped, waits).deliver("quiet", breach())).attempts == 1
