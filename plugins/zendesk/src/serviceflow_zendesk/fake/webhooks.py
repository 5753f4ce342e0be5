"""Outgoing webhooks of the fake Zendesk: targets, signing, delivery, and a delivery log.

Payloads come from :mod:`.payloads`. Both kinds carry the same five ``x-zendesk-*`` headers
and the signature of :mod:`.signature`. Deliveries run on a worker thread with httpx, retried the
way the (secondary) sources say Zendesk retries: 409 up to 3 times, 429/503 only with a
``Retry-After`` under 60 s, timeouts up to 5 times. Each retry keeps the invocation id
(receivers deduplicate on it) and is signed afresh.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from serviceflow.fakes.webhooks import DeliveryWorker

from ..signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from .payloads import DEFAULT_TRIGGER_TEMPLATE, event_envelopes, render_trigger_body
from .records import Json, iso
from .state import FakeState, TicketChange

WebhookKind = Literal["event", "trigger"]
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_webhook_id() -> str:
    """A ULID-like id (26 Crockford base32 characters, time first), as Zendesk webhook ids are."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


@dataclass
class WebhookTarget:
    """One webhook configured in the fake account.

    Attributes:
        url: Where deliveries go (the serviceflow webhook app).
        secret: The signing secret.
        kind: ``event`` (subscribed to event types) or ``trigger`` (fired by a ticket trigger).
        webhook_id: The ULID-like id sent in ``x-zendesk-webhook-id``.
        subscriptions: ``fnmatch`` patterns of event types, for ``event`` webhooks.
        template: The body template, for ``trigger`` webhooks.
        active: Inactive webhooks receive nothing.
    """

    url: str
    secret: str
    kind: WebhookKind = "event"
    webhook_id: str = field(default_factory=new_webhook_id)
    subscriptions: tuple[str, ...] = ("zen:event-type:ticket.*",)
    template: str = DEFAULT_TRIGGER_TEMPLATE
    active: bool = True


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt of a delivery.

    Attributes:
        timestamp: The signature timestamp sent.
        signature: The signature sent.
        status: The receiver's status, or None when the request failed.
        error: The transport error, if any.
    """

    timestamp: str
    signature: str
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    """One webhook invocation and its attempts; logged once finished.

    Attributes:
        webhook_id: The webhook's id.
        invocation_id: Kept across retries, so receivers can deduplicate.
        url: Target URL.
        kind: ``event`` or ``trigger``.
        event_type: The ``zen:event-type:...`` for event webhooks; None for triggers.
        ticket_id: The ticket it is about, when known.
        body: The raw body sent.
        headers: The headers of the last attempt.
        attempts: Every attempt, in order.
    """

    webhook_id: str
    invocation_id: str
    url: str
    kind: WebhookKind
    event_type: str | None
    ticket_id: int | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the last attempt got a 2xx."""
        return bool(self.attempts) and 200 <= (self.attempts[-1].status or 0) < 300

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class WebhookDispatcher(DeliveryWorker[Delivery]):
    """Builds deliveries from ticket changes and sends them from a worker thread."""

    def __init__(
        self,
        state: FakeState,
        *,
        clock: Callable[[], datetime],
        timeout: float = 10.0,
        max_retry_after: float = 60.0,
    ) -> None:
        """Create a stopped dispatcher.

        Args:
            state: The account, read for envelopes and trigger placeholders.
            clock: "Now" for signature timestamps and envelope times.
            timeout: Per-attempt HTTP timeout (Zendesk's is 10-12 s, CONTRACTS.md §1.9).
            max_retry_after: 429/503 are retried only with a shorter ``Retry-After``.
        """
        super().__init__(name="fake-zendesk-webhooks", timeout=timeout)
        self._state = state
        self._clock = clock
        self._max_retry_after = max_retry_after
        self.targets: list[WebhookTarget] = []
        self._invocations = itertools.count(8350205582)
        self._secrets: dict[str, str] = {}

    # ------------------------------------------------------------------ configuration

    def add_target(self, target: WebhookTarget) -> WebhookTarget:
        """Configure a webhook; changes from now on are delivered to it."""
        self.targets.append(target)
        self._secrets[target.webhook_id] = target.secret
        return target

    def clear(self) -> None:
        """Forget targets and the log (in-flight deliveries still finish)."""
        self.targets.clear()
        self.clear_log()

    # ------------------------------------------------------------------ producing

    def on_change(self, change: TicketChange) -> None:
        """State listener: queue one delivery per matching event (event webhooks) or one per
        change (trigger webhooks) for every active target."""
        for target in [t for t in self.targets if t.active]:
            for delivery in self._deliveries_for(target, change):
                self.enqueue(delivery)

    def _deliveries_for(self, target: WebhookTarget, change: TicketChange) -> list[Delivery]:
        if target.kind == "trigger":
            latest = change.comments[-1] if change.comments else None
            body = render_trigger_body(
                target.template,
                change.after,
                state=self._state,
                actor_id=change.actor_id,
                latest_comment=latest,
            )
            return [
                self._delivery(
                    target.url, target.webhook_id, "trigger", None, change.ticket_id, body.encode()
                )
            ]
        envelopes = event_envelopes(
            change, account_id=self._state.account_id, users=self._state.users, now=self._clock()
        )
        return [
            self._delivery(
                target.url, target.webhook_id, "event", env["type"], change.ticket_id, _compact(env)
            )
            for env in envelopes
            if any(fnmatch.fnmatchcase(env["type"], pattern) for pattern in target.subscriptions)
        ]

    def _delivery(
        self,
        url: str,
        webhook_id: str,
        kind: WebhookKind,
        event_type: str | None,
        ticket_id: int | None,
        body: bytes,
    ) -> Delivery:
        return Delivery(
            webhook_id=webhook_id,
            invocation_id=str(next(self._invocations)),
            url=url,
            kind=kind,
            event_type=event_type,
            ticket_id=ticket_id,
            body=body,
        )

    # ------------------------------------------------------------------ sending

    def send_now(
        self,
        url: str,
        body: bytes,
        *,
        kind: WebhookKind,
        secret: str,
        webhook_id: str | None = None,
        timestamp: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Send one webhook synchronously from the calling thread and log it."""
        event_type = None
        if kind == "event":
            try:
                event_type = json.loads(body).get("type")
            except (ValueError, AttributeError):
                event_type = None
        webhook_id = webhook_id or new_webhook_id()
        self._secrets.setdefault(webhook_id, secret)
        delivery = self._delivery(url, webhook_id, kind, event_type, None, body)
        with self.client() as client:
            self._attempts(client, delivery, secret, timestamp=timestamp, extra_headers=extra_headers)
        self.record(delivery)
        return delivery

    def deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        """Every attempt of one queued delivery, signed with its webhook's secret."""
        self._attempts(client, delivery, self._secrets[delivery.webhook_id])

    def describe(self, delivery: Delivery) -> str:
        return delivery.invocation_id

    def _attempts(
        self,
        client: httpx.Client,
        delivery: Delivery,
        secret: str,
        *,
        timestamp: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        conflicts = timeouts = 0
        while True:
            stamp = timestamp or iso(self._clock())
            signature = sign(secret, stamp, delivery.body)
            headers = {
                "content-type": "application/json",
                "user-agent": "Zendesk Webhook",
                "x-zendesk-account-id": str(self._state.account_id),
                "x-zendesk-webhook-id": delivery.webhook_id,
                "x-zendesk-webhook-invocation-id": delivery.invocation_id,
                SIGNATURE_HEADER: signature,
                TIMESTAMP_HEADER: stamp,
                **(extra_headers or {}),
            }
            delivery.headers = headers
            try:
                response = client.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.TimeoutException as exc:
                delivery.attempts.append(Attempt(stamp, signature, None, f"timeout: {exc}"))
                timeouts += 1
                if timeouts > 5 or self.stopping:
                    return
                continue
            except httpx.HTTPError as exc:
                delivery.attempts.append(Attempt(stamp, signature, None, str(exc)))
                return
            delivery.attempts.append(Attempt(stamp, signature, response.status_code))
            delay = self._retry_delay(response, conflicts)
            if delay is None:
                return
            conflicts += response.status_code == 409
            if self.pause(delay):  # interruptible: stop() never waits out a Retry-After
                return

    def _retry_delay(self, response: httpx.Response, conflicts: int) -> float | None:
        if response.status_code == 409:
            return 0.0 if conflicts < 3 else None
        if response.status_code in (429, 503):
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                return None
            return retry_after if 0 <= retry_after < self._max_retry_after else None
        return None


def _compact(document: Json) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def body_bytes(body: Mapping[str, Any] | Sequence[Any] | str | bytes) -> bytes:
    """Bytes for a webhook body: bytes/str as given (exact bytes matter for signatures),
    anything else as compact JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
