"""Delivering notifications through configured channels: logged, retried briefly, never raising.

:meth:`Channels.deliver` is one delivery through one channel, the unit the durable shell runs as
one activity per (notification, channel), so a failing channel never holds up another. Inside
it, a retryable answer is tried again a few times with backoff, waiting exactly the
``Retry-After`` a channel sent when that is short; a longer wait, or the last failed attempt,
comes back as ``retryable`` with ``retry_after`` for the shell to schedule a later attempt.
Every notification is logged, whatever its channels (there is always a record of who was told).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pluggy

from serviceflow.channels import texts
from serviceflow.channels.model import Delivery, DeliveryOutcome, Notification, NotificationKind
from serviceflow.channels.protocol import NotificationChannel
from serviceflow.channels.registry import ChannelRegistry
from serviceflow.channels.settings import ChannelConfig, parse_channels
from serviceflow.plugins.http import backoff_delay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryRetry:
    """How long one delivery may keep trying in-process.

    Attributes:
        attempts: Tries per delivery (the first included).
        max_wait: The longest single wait (a ``Retry-After``) taken in-process; a longer one
            ends the delivery as retryable, for the shell to come back later.
        backoff_initial: The first backoff without ``Retry-After``, doubled per try, jittered.
        backoff_max: The cap of one backoff.
        sleep: The awaitable sleep (a recorder in tests).
    """

    attempts: int = 3
    max_wait: float = 30.0
    backoff_initial: float = 1.0
    backoff_max: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


class Channels:
    """The configured channels by name, and the one way to deliver through them."""

    def __init__(
        self, channels: Mapping[str, NotificationChannel] | None = None, retry: DeliveryRetry | None = None
    ):
        self._channels = dict(channels or {})
        self.retry = retry or DeliveryRetry()

    @classmethod
    def from_configs(
        cls, configs: Mapping[str, ChannelConfig], retry: DeliveryRetry | None = None
    ) -> Channels:
        return cls({name: c.type.build(name, c.spec) for name, c in configs.items()}, retry)

    @classmethod
    def from_settings(
        cls,
        raw: Mapping[str, Any] | None,
        *,
        notify_url: str | None = None,
        manager: pluggy.PluginManager | None = None,
        retry: DeliveryRetry | None = None,
    ) -> Channels:
        """Channels from ``SERVICEFLOW_CHANNELS`` (and ``SERVICEFLOW_NOTIFY_URL`` as ``default``).

        Raises:
            ChannelSettingsError: a channel's settings are wrong (each problem is named).
        """
        registry = ChannelRegistry.from_plugins(manager)
        return cls.from_configs(parse_channels(raw, registry, notify_url=notify_url), retry)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._channels)

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def get(self, name: str) -> NotificationChannel | None:
        return self._channels.get(name)

    async def deliver(self, name: str, notification: Notification) -> Delivery:
        """Deliver ``notification`` through the channel ``name``; the outcome, never an exception."""
        channel = self._channels.get(name)
        if channel is None:
            known = ", ".join(self._channels) or "none"
            delivery = Delivery(
                channel=name,
                key=notification.key,
                outcome=DeliveryOutcome.REFUSED,
                detail=f"no channel named {name!r} is configured (SERVICEFLOW_CHANNELS has: {known})",
                attempts=0,
            )
        else:
            delivery = await self._attempts(channel, notification)
        level = logging.INFO if delivery.outcome is DeliveryOutcome.DELIVERED else logging.WARNING
        log.log(level, "%s on %s: %s", delivery, notification.case_id, texts.title(notification))
        return delivery

    async def _attempts(self, channel: NotificationChannel, notification: Notification) -> Delivery:
        retry = self.retry
        attempt = 0
        while True:
            attempt += 1
            delivery = (await _one_attempt(channel, notification)).model_copy(update={"attempts": attempt})
            if delivery.outcome is not DeliveryOutcome.RETRYABLE or attempt >= retry.attempts:
                return delivery
            wait = delivery.retry_after
            if wait is None:
                wait = backoff_delay(attempt, initial=retry.backoff_initial, cap=retry.backoff_max)
            elif wait > retry.max_wait:
                return delivery  # too long to hold a worker: the shell tries again later
            log.info("%s; trying again in %.1fs", delivery, wait)
            await retry.sleep(wait)

    async def aclose(self) -> None:
        for channel in self._channels.values():
            try:
                await channel.aclose()
            except Exception:  # noqa: BLE001 - closing one channel must not keep the others open
                log.exception("channel %s did not close cleanly", channel.name)


def log_notification(notification: Notification) -> None:
    """The log line every notification gets, whichever channels carry it: WARNING for a breach
    (a level of an escalation ladder), INFO for the rest (an at-risk warning to the owner, a
    resolve), which are the everyday work of a case, not something wrong."""
    escalated = notification.kind is NotificationKind.BREACH or bool(notification.level)
    log.log(
        logging.WARNING if escalated else logging.INFO,
        "notification for %s on %s: %s",
        texts.people(notification),
        notification.case_id,
        texts.title(notification),
    )


async def _one_attempt(channel: NotificationChannel, notification: Notification) -> Delivery:
    """One :meth:`send`; a channel that raises instead of answering is contained here."""
    try:
        return await channel.send(notification)
    except (OSError, TimeoutError) as exc:
        outcome, detail = DeliveryOutcome.RETRYABLE, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a channel's bug must not crash a case
        log.exception("channel %s failed on %s", channel.name, notification.key)
        outcome, detail = DeliveryOutcome.REFUSED, f"the channel failed: {type(exc).__name__}: {exc}"
    return Delivery(channel=channel.name, key=notification.key, outcome=outcome, detail=detail)
