"""The knobs every helpdesk plugin's REST client shares: retries, pacing, timeout, TLS, agent.

Before this module each client (Zendesk, Freshdesk, Help Scout) took the same ten keyword
arguments and built the same :class:`~.retry.RetryPolicy` from them. Now a client takes one
:class:`TransportOptions` (its plugin's defaults when none is given), and the old keyword
arguments still work: they override single fields (:meth:`TransportOptions.with_knobs`).
What stays in a plugin is only what differs by vendor: its default ``User-Agent``, its pacing
reserve where its docs ask for another (Help Scout), and its own knobs (page size, Zendesk's
409 re-reads).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, replace
from typing import TypedDict

import httpx

from serviceflow.plugins.http.retry import RetryPolicy, Sleep


class TransportKnobs(TypedDict, total=False):
    """:class:`TransportOptions`' fields as keyword arguments (a client's ``**knobs``)."""

    max_retries: int
    max_retry_after: float
    backoff_initial: float
    backoff_max: float
    pace_reserve: int
    timeout: float
    sleep: Sleep
    transport: httpx.AsyncBaseTransport | None
    verify: ssl.SSLContext | bool
    user_agent: str


@dataclass(frozen=True, kw_only=True)
class TransportOptions:
    """How a plugin's client talks HTTP; the defaults are the ones every plugin had.

    Attributes:
        max_retries: Retries after the first attempt for 429, 5xx and unsent requests.
        max_retry_after: The longest ``Retry-After`` (seconds) waited in-process; a longer one
            is raised as the plugin's ``RateLimited`` with ``retry_after``.
        backoff_initial: First backoff for 5xx, doubled per retry, with jitter.
        backoff_max: Cap of one backoff.
        pace_reserve: Below this many requests left in a rate-limit window, requests are
            spaced out.
        timeout: Per-request timeout in seconds.
        sleep: Awaitable sleep used for every wait (backoff and pacing); inject a recorder in
            tests.
        transport: Optional httpx transport (proxies, custom TLS).
        verify: TLS verification: True (system CAs), or an ``ssl.SSLContext`` to share one
            across clients (building a context costs ~40 ms per client).
        user_agent: ``User-Agent`` header (each plugin's defaults name the plugin).
    """

    max_retries: int = 4
    max_retry_after: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    pace_reserve: int = 5
    timeout: float = 10.0
    sleep: Sleep = asyncio.sleep
    transport: httpx.AsyncBaseTransport | None = None
    verify: ssl.SSLContext | bool = True
    user_agent: str = "serviceflow"

    def with_knobs(self, knobs: TransportKnobs) -> TransportOptions:
        """These options with the fields ``knobs`` names replaced (self when it names none)."""
        return replace(self, **knobs) if knobs else self

    def retry_policy(self) -> RetryPolicy:
        """The :class:`~.retry.RetryPolicy` these options describe."""
        return RetryPolicy(
            max_retries=self.max_retries,
            max_retry_after=self.max_retry_after,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
            sleep=self.sleep,
        )
