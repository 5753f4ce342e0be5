"""The durable shell's side of notification channels.

- :class:`NotificationActivities`: the ``deliver_notification`` activity, one delivery of one
  notification through one channel. The workflow starts one per (Notify action, channel), so
  Temporal retries each separately and a failing channel holds up neither the case nor another
  channel. It returns the :class:`~serviceflow.channels.Delivery` to record in the case; a
  retryable failure is raised for Temporal to retry (after the channel's ``Retry-After`` when it
  sent one) until :data:`MAX_DELIVERY_ATTEMPTS`, then it is returned as the final outcome.
- :class:`Notifier`: review cases' notifications. A quarantined message has no ticket for the
  helpdesk to notify people on, so its warnings and escalations go to the channels
  ``SERVICEFLOW_REVIEW_VIA`` names (by default ``default``, which is ``SERVICEFLOW_NOTIFY_URL``)
  and are always logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from serviceflow.adapters.registry import registry
from serviceflow.channels import (
    DEFAULT_CHANNEL,
    Channels,
    ChannelSettingsError,
    Delivery,
    DeliveryOutcome,
    Notification,
    log_notification,
    notification_for,
    texts,
)
from serviceflow.durable.metrics import WorkerMetrics
from serviceflow.durable.settings import Mode
from serviceflow.errors import ServiceflowError
from serviceflow.model import Notify, Roster

if TYPE_CHECKING:
    from serviceflow.durable.settings import Settings

log = logging.getLogger(__name__)

#: The activity's name, for ``workflow.execute_activity(DELIVER_NOTIFICATION, DeliveryRequest(...))``.
DELIVER_NOTIFICATION = "deliver_notification"
#: Attempts of one delivery activity before its retryable failure is the recorded outcome.
MAX_DELIVERY_ATTEMPTS = 10
#: One attempt: a few tries in-process (each bounded by the channel's timeout) and their waits.
DELIVERY_ATTEMPT_TIMEOUT = timedelta(minutes=5)
#: All attempts of one delivery; past it the workflow records the delivery as given up.
DELIVERY_DEADLINE = timedelta(hours=6)
#: Between attempts: 10 s doubling to 10 min (about 40 minutes over all attempts), unless the
#: channel asked for another wait (``next_retry_delay``).
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=MAX_DELIVERY_ATTEMPTS + 1,  # the activity returns on the last; this is a guard
)
#: Review-case deliveries remembered per worker, so a retried action skips channels that took it.
REMEMBERED = 10_000


class DeliveryRequest(BaseModel):
    """One notification through one channel: the input of ``deliver_notification``."""

    model_config = ConfigDict(frozen=True)

    channel: str
    notification: Notification
    vendor: str = ""  # the ticket's helpdesk and account: the activity links the ticket
    account: str = ""


class NotificationActivities:
    """The delivery activity, with the worker's configured channels injected.

    ``mode`` is read when a delivery runs: in shadow mode nothing is sent, and the delivery is
    recorded as what it would have been (done, so it is never sent later, in live mode either).
    """

    def __init__(
        self,
        channels: Channels,
        metrics: WorkerMetrics | None = None,
        mode: Callable[[], Mode] = lambda: Mode.LIVE,
    ) -> None:
        self.channels = channels
        self.metrics = metrics or WorkerMetrics()
        self.mode = mode

    @activity.defn(name=DELIVER_NOTIFICATION)
    async def deliver_notification(self, request: DeliveryRequest) -> Delivery:
        """Deliver once through one channel; the outcome to record, or a retryable error.

        Raises:
            ApplicationError: the delivery may pass later and attempts remain (its
                ``next_retry_delay`` is the channel's ``Retry-After`` when it sent one).
        """
        notification = _linked(request)
        if self.mode() is Mode.SHADOW:
            delivery = Delivery(
                channel=request.channel,
                key=notification.key,
                outcome=DeliveryOutcome.SKIPPED,
                detail=f"shadow: would have sent {texts.title(notification)!r} to "
                f"{texts.people(notification)} via {request.channel}",
                attempts=0,
            )
            log.info("%s on %s", delivery.detail, notification.case_id)
            self.metrics.delivered(request.channel, "shadow")
            return delivery
        delivery = await self.channels.deliver(request.channel, notification)
        attempt = activity.info().attempt
        if delivery.outcome is DeliveryOutcome.RETRYABLE and attempt < MAX_DELIVERY_ATTEMPTS:
            self.metrics.delivered(request.channel, "retrying")
            delay = timedelta(seconds=delivery.retry_after) if delivery.retry_after else None
            raise ApplicationError(str(delivery), type="NotificationRetryable", next_retry_delay=delay)
        if delivery.outcome is DeliveryOutcome.RETRYABLE:
            detail = f"gave up after {attempt} attempts: {delivery.detail}"
            delivery = delivery.model_copy(update={"detail": detail})
        self.metrics.delivered(request.channel, delivery.outcome.value)
        return delivery


def _linked(request: DeliveryRequest) -> Notification:
    """The notification with the ticket's link, when its helpdesk's adapter can give one."""
    notification = request.notification
    ticket = notification.ticket
    if ticket is None or ticket.url or not request.vendor:
        return notification
    adapter = registry().get(request.vendor)
    ticket_url = getattr(adapter, "ticket_url", None)
    if ticket_url is None:
        return notification
    try:
        url = ticket_url(request.account, ticket.id)
    except ServiceflowError as exc:  # an account this worker is not configured for, say
        log.warning("no link for ticket %s: %s", ticket.id, exc)
        return notification
    if not isinstance(url, str) or not url or len(url) > 2_000:
        return notification
    return notification.model_copy(update={"ticket": ticket.model_copy(update={"url": url})})


async def deliver_all(requests: Sequence[DeliveryRequest]) -> list[Delivery]:
    """In workflow code: every (notification, channel) delivery as an activity of its own, all
    at once; each one's outcome, in order. A delivery that exhausts its attempts or deadline is
    recorded as retryable with what happened, never raised, so one channel's outage fails
    nothing else. Run it in a task (``asyncio.create_task``) to keep the case deciding meanwhile.
    """

    async def one(request: DeliveryRequest) -> Delivery:
        try:
            delivery: Delivery = await workflow.execute_activity(
                DELIVER_NOTIFICATION,
                request,
                result_type=Delivery,
                start_to_close_timeout=DELIVERY_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=DELIVERY_DEADLINE,
                retry_policy=DELIVERY_RETRY,
            )
            return delivery
        except ActivityError as exc:
            cause = exc.cause or exc
            return Delivery(
                channel=request.channel,
                key=request.notification.key,
                outcome=DeliveryOutcome.RETRYABLE,
                detail=f"gave up: {cause}",
                attempts=0,
            )

    return list(await asyncio.gather(*(one(r) for r in requests)))


class NotificationFailed(ServiceflowError):
    """A review case's notification could not be delivered yet; ``retryable`` says whether the
    action should be tried again (it is, by the activity's retry policy)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Notifier:
    """Review cases' warnings and escalations, through the channels named for them."""

    def __init__(
        self,
        url: str | None = None,
        *,
        channels: Channels | None = None,
        via: Sequence[str] = (DEFAULT_CHANNEL,),
    ) -> None:
        """``url`` is ``SERVICEFLOW_NOTIFY_URL`` (the ``default`` webhook channel) when no
        ``channels`` are given; ``via`` names the channels review notifications go to."""
        self.channels = channels if channels is not None else Channels.from_settings(None, notify_url=url)
        self.via = tuple(via)
        self._delivered: OrderedDict[tuple[str, str], Delivery] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        """The worker's notifier: ``SERVICEFLOW_CHANNELS``, ``_NOTIFY_URL`` and ``_REVIEW_VIA``.

        Raises:
            ChannelSettingsError: a channel is misconfigured, or ``review_via`` names one that is
                not configured (``default`` may be absent: then review notices are only logged).
        """
        channels = Channels.from_settings(settings.channels, notify_url=settings.notify_url)
        unknown = [n for n in settings.review_via if n not in channels and n != DEFAULT_CHANNEL]
        if unknown:
            configured = ", ".join(channels.names) or "none"
            raise ChannelSettingsError(
                [
                    f"SERVICEFLOW_REVIEW_VIA names {n!r}, which is not configured (configured: {configured})"
                    for n in unknown
                ]
            )
        return cls(channels=channels, via=settings.review_via)

    async def send(self, case_id: str, action: Notify, roster: Roster | None = None) -> str:
        """Deliver one review notification through every channel of ``via``, at once.

        Returns ``done: ...`` (delivered or skipped everywhere, or only logged) or ``failed:
        ...`` (a channel refused it); raises :class:`NotificationFailed` (retryable) while a
        channel may still take it, so the action is tried again: channels that already took
        it are not sent it twice by this worker.
        """
        notification = notification_for(case_id, action, roster or Roster())
        log_notification(notification)
        via = [name for name in self.via if name in self.channels]
        if not via:
            return "done: logged (set SERVICEFLOW_NOTIFY_URL or SERVICEFLOW_REVIEW_VIA to send it)"
        deliveries = await asyncio.gather(*(self._deliver(name, notification) for name in via))
        summary = "; ".join(map(str, deliveries))
        if any(d.outcome is DeliveryOutcome.RETRYABLE for d in deliveries):
            raise NotificationFailed(summary, retryable=True)
        if any(d.outcome is DeliveryOutcome.REFUSED for d in deliveries):
            return f"failed: {summary}"
        return f"done: {summary}"

    async def _deliver(self, name: str, notification: Notification) -> Delivery:
        remembered = self._delivered.get((notification.key, name))
        if remembered is not None:
            return remembered
        delivery = await self.channels.deliver(name, notification)
        if delivery.outcome is not DeliveryOutcome.RETRYABLE:
            self._delivered[(notification.key, name)] = delivery
            while len(self._delivered) > REMEMBERED:
                self._delivered.popitem(last=False)
        return delivery

    async def aclose(self) -> None:
        await self.channels.aclose()
