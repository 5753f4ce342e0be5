"""What the webhook channels share: one JSON POST per attempt, pacing, and reading the answer.

Slack, Mattermost, Teams, PagerDuty and the generic webhook each build their own payload and
read their own documented answers; the plumbing is here. The URL of an incoming webhook is a
secret (anyone who has it can post), so it is held as a ``SecretStr`` and never appears in a
log line or a delivery's detail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from serviceflow.channels.model import Delivery, DeliveryOutcome, Notification
from serviceflow.channels.protocol import ChannelSpec
from serviceflow.plugins.http import NOT_RETRIED_5XX, parse_retry_after

#: The most of an answer's body a delivery's detail quotes.
DETAIL_CHARS = 300
#: The longest a channel's ``Retry-After`` holds this worker's next posts; a longer wait is the
#: durable retry's (``next_retry_delay``), which a worker must not double by waiting again.
MAX_HOLD = 30.0


class WebhookSpec(ChannelSpec):
    """Settings every webhook channel has."""

    url: SecretStr = Field(description="The webhook URL; a secret: anyone who has it can post.")
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds for one request.")
    min_interval: float = Field(
        default=0.0, ge=0, le=60, description="Seconds between two posts from this worker."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: SecretStr) -> SecretStr:
        value = url.get_secret_value()
        try:
            parsed = urlsplit(value)
            parsed.port  # noqa: B018 - raises ValueError on a port that is no number or out of range
        except ValueError:
            parsed = None
        plain = len(value) <= 2_000 and value.isprintable() and not any(c.isspace() for c in value)
        if parsed is None or not plain or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("must be an http(s) URL")
        return url


class Pacer:
    """Keeps posts from one worker at least ``interval`` seconds apart, and holds them back for
    a ``Retry-After`` the channel sent (Slack: one message per second)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next post may go."""
        async with self._lock:
            now = self.clock()
            if self._next > now:
                await self.sleep(self._next - now)
                now = self.clock()
            self._next = max(now, self._next) + self.interval

    def hold(self, seconds: float) -> None:
        """No post before ``seconds`` from now (the channel said ``Retry-After``)."""
        self._next = max(self._next, self.clock() + seconds)


class WebhookChannel:
    """A channel that POSTs JSON to a URL; subclasses say what to post and read the answer."""

    def __init__(self, name: str, spec: WebhookSpec, *, pacer: Pacer | None = None) -> None:
        self._name = name
        self.spec = spec
        self.pacer = pacer or Pacer(spec.min_interval)
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def name(self) -> str:
        return self._name

    def payload(self, notification: Notification) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, notification: Notification, response: httpx.Response) -> Delivery:
        """The documented answers of most webhooks: 2xx taken, 429 and 5xx may pass, 4xx no."""
        return self.by_status(notification, response)

    async def send(self, notification: Notification) -> Delivery:
        await self.pacer.wait()
        client = self._http()
        try:
            response = await client.post(self.spec.url.get_secret_value(), json=self.payload(notification))
        except httpx.HTTPError as exc:
            # A post that timed out may have arrived: delivery is at least once.
            return self.result(notification, DeliveryOutcome.RETRYABLE, f"unreachable: {_describe(exc)}")
        delivery = self.read(notification, response)
        if delivery.retry_after:
            self.pacer.hold(min(delivery.retry_after, MAX_HOLD))
        return delivery

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        """One pooled client per event loop (an httpx client is bound to the loop it ran on)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(timeout=self.spec.timeout)
            self._client_loop = loop
        return self._client

    def result(
        self,
        notification: Notification,
        outcome: DeliveryOutcome,
        detail: str = "",
        retry_after: float | None = None,
    ) -> Delivery:
        return Delivery(
            channel=self.name, key=notification.key, outcome=outcome, detail=detail, retry_after=retry_after
        )

    def by_status(self, notification: Notification, response: httpx.Response) -> Delivery:
        status = response.status_code
        said = quote(response)
        if 200 <= status < 300:
            return self.result(notification, DeliveryOutcome.DELIVERED, f"{status} {said}".strip())
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429 or (status >= 500 and status not in NOT_RETRIED_5XX):
            return self.result(
                notification, DeliveryOutcome.RETRYABLE, f"{status} {said}".strip(), retry_after
            )
        return self.result(notification, DeliveryOutcome.REFUSED, f"{status} {said}".strip())


def quote(response: httpx.Response) -> str:
    """The start of an answer's body, on one line, for a delivery's detail."""
    text = " ".join(response.text.split())
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"


def _describe(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
