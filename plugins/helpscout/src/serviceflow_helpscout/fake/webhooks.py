"""Outgoing webhooks of the fake Help Scout, as its Webhooks app and API document them.

A webhook (``POST /v2/webhooks``, or the fake's :meth:`~.controller.FakeHelpScout.add_webhook`)
has a URL, a list of events, a secret of at most 40 characters and, optionally, the inboxes it
is limited to (OFFICIAL, Create Webhook; CONTRACTS.md §8.2). For every change of a subscribed
event it POSTs (§8.4):

- the body: the bare v2 conversation as it was right after the change, **without**
  ``_embedded`` (whether Help Scout embeds threads is UNVERIFIED; without them the adapter's
  read of the threads is always exercised), ``{"id": ...}`` for ``convo.deleted``;
- ``X-HelpScout-Event: <event>`` and ``X-HelpScout-Signature: base64(HMAC-SHA1(secret, the
  exact body bytes))`` (:func:`serviceflow_helpscout.signature.sign`); no timestamp, no
  delivery id.

Every write serviceflow makes through the fake's API is a change like any other, so it comes back
as these webhooks with the app's user in its threads, as Help Scout is assumed to do
(UNVERIFIED, §8.7). Retries: the official page's retry section was not readable (§8.6); the fake
retries a non-2xx answer after each of ``retry_delays`` and, as a generated summary of the page
claims (UNVERIFIED), takes a 410 as "stop": the webhook is disabled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from serviceflow.fakes.webhooks import DeliveryWorker

from ..signature import sign
from .state import Change

#: The events ``POST /v2/webhooks`` accepts (OFFICIAL, Create Webhook).
EVENTS = (
    "beacon.chat.created",
    "beacon.chat.customer.replied",
    "convo.agent.reply.created",
    "convo.assigned",
    "convo.created",
    "convo.custom-fields",
    "convo.customer.reply.created",
    "convo.deleted",
    "convo.merged",
    "convo.moved",
    "convo.note.created",
    "convo.status",
    "convo.tags",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "message.survey.response.received",
    "satisfaction.ratings",
    "tag.created",
    "tag.deleted",
    "tag.updated",
)
#: The conversation events, what serviceflow's webhook subscribes to (see the README).
CONVERSATION_EVENTS = tuple(e for e in EVENTS if e.startswith("convo."))
#: "Created (AI Answers)": listed in the Webhooks app's event table (OFFICIAL,
#: https://developer.helpscout.com/webhooks/, body "v2 Conversation object") but not among the
#: Create Webhook API's names in the stored page, so only :meth:`~.controller.FakeHelpScout.
#: add_webhook` (the app) subscribes to it, never ``POST /v2/webhooks``.
AI_ANSWERS_CREATED = "convo.ai-answers.created"
#: Every event a webhook made in the Webhooks app may carry.
APP_EVENTS = (*EVENTS, AI_ANSWERS_CREATED)
#: Waits before each retry of a failed delivery (the fake's choice; the real policy is UNVERIFIED).
DEFAULT_RETRY_DELAYS = (10.0, 60.0, 300.0)


@dataclass
class Subscription:
    """One webhook: ``{id, url, events, secret, mailboxIds, state}``."""

    id: int
    url: str
    secret: str
    events: tuple[str, ...] = CONVERSATION_EVENTS
    mailbox_ids: tuple[int, ...] = ()
    state: str = "enabled"
    label: str = ""

    def wants(self, change: Change) -> bool:
        if self.state != "enabled" or change.event not in self.events:
            return False
        return not self.mailbox_ids or change.mailbox_id in self.mailbox_ids

    def record(self) -> dict[str, object]:
        return {
            "id": self.id,
            "url": self.url,
            "state": self.state,
            "events": list(self.events),
            "secret": self.secret,
            "mailboxIds": list(self.mailbox_ids),
            "payloadVersion": "V2",
            "notification": False,
            "label": self.label,
        }


@dataclass(frozen=True)
class Attempt:
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    """One change sent to one webhook, with every attempt."""

    event: str
    conversation_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    subscription: Subscription = field(repr=False)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and 200 <= (self.attempts[-1].status or 0) < 300

    @property
    def json(self) -> object:
        return json.loads(self.body)


def encode(body: object) -> bytes:
    """The bytes a delivery carries (compact JSON; Help Scout's exact serialisation is not
    documented, and the signature is over whatever bytes are sent)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(event: str, secret: str, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",  # UNVERIFIED (a generated summary says so)
        "x-helpscout-event": event,
        "x-helpscout-signature": sign(secret, body),
    }


class Dispatcher(DeliveryWorker[Delivery]):
    """Turns changes into deliveries and sends them from one worker thread."""

    def __init__(
        self, *, timeout: float = 10.0, retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    ) -> None:
        super().__init__(name="fake-helpscout-webhooks", timeout=timeout)
        self.retry_delays = retry_delays
        self.subscriptions: dict[int, Subscription] = {}
        self._next = 10

    def subscribe(
        self,
        url: str,
        secret: str,
        events: tuple[str, ...] = CONVERSATION_EVENTS,
        mailbox_ids: tuple[int, ...] = (),
        label: str = "",
    ) -> Subscription:
        self._next += 1
        subscription = Subscription(self._next, url, secret, events, mailbox_ids, label=label)
        self.subscriptions[subscription.id] = subscription
        return subscription

    def clear(self) -> None:
        self.subscriptions.clear()
        self.clear_log()

    def on_change(self, change: Change) -> None:
        """State listener: one delivery per webhook that wants the change."""
        body = encode(change.body)
        for subscription in list(self.subscriptions.values()):
            if subscription.wants(change):
                headers = headers_for(change.event, subscription.secret, body)
                self.enqueue(
                    Delivery(
                        change.event, change.conversation_id, subscription.url, body, headers, subscription
                    )
                )

    def deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if attempt and self.pause(delay):
                return
            try:
                response = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            except httpx.HTTPError as exc:
                delivery.attempts.append(Attempt(None, f"{type(exc).__name__}: {exc}"))
                continue
            delivery.attempts.append(Attempt(response.status_code))
            if response.is_success:
                return
            if response.status_code == 410:
                delivery.subscription.state = "disabled"
                return

    def describe(self, delivery: Delivery) -> str:
        return f"{delivery.event} for conversation {delivery.conversation_id}"


Listener = Callable[[Change], None]
