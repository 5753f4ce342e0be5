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

PACE_RESERVE = 5  # requests left in a window below which they are spaced out, unless a plugin says
USER_AGENT = "serviceflow"


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


def options_for(
    plugin: TransportOptions, options: TransportOptions | None, knobs: TransportKnobs
) -> TransportOptions:
    """A plugin client's options: the caller's ``options`` (the plugin's defaults ``plugin``
    when None) with what they leave to the plugin taken from ``plugin``, then ``knobs``."""
    chosen = plugin if options is None else options.over(plugin)
    return chosen.with_knobs(knobs)


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
            spaced out. None (the default): the plugin's own (:data:`PACE_RESERVE` unless its
            vendor's docs ask for another, as Help Scout's do).
        timeout: Per-request timeout in seconds.
        sleep: Awaitable sleep used for every wait (backoff and pacing); inject a recorder in
            tests.
        transport: Optional httpx transport (proxies, custom TLS).
        verify: TLS verification: True (system CAs), or an ``ssl.SSLContext`` to share one
            across clients (building a context costs ~40 ms per client).
        user_agent: ``User-Agent`` header. None (the default): the plugin's own, which names
            the plugin (:data:`USER_AGENT` for a plugin that sets none).

    A plugin's client builds its options with :func:`options_for`: what the caller's options leave
    to the plugin (``None``) comes from the plugin's defaults, so options built from scratch
    (``TransportOptions(timeout=30.0)``) never drop a vendor's pacing reserve or agent.
    """

    max_retries: int = 4
    max_retry_after: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    pace_reserve: int | None = None
    timeout: float = 10.0
    sleep: Sleep = asyncio.sleep
    transport: httpx.AsyncBaseTransport | None = None
    verify: ssl.SSLContext | bool = True
    user_agent: str | None = None

    def with_knobs(self, knobs: TransportKnobs) -> TransportOptions:
        """These options with the fields ``knobs`` names replaced (self when it names none)."""
        return replace(self, **knobs) if knobs else self

    def over(self, plugin: TransportOptions) -> TransportOptions:
        """These options with what they leave to the plugin (``None``) taken from ``plugin``."""
        return replace(
            self,
            pace_reserve=plugin.pace_reserve if self.pace_reserve is None else self.pace_reserve,
            user_agent=plugin.user_agent if self.user_agent is None else self.user_agent,
        )

    @property
    def reserve(self) -> int:
        """The pacing reserve in force: :data:`PACE_RESERVE` when neither caller nor plugin set one."""
        return PACE_RESERVE if self.pace_reserve is None else self.pace_reserve

    @property
    def agent(self) -> str:
        """The ``User-Agent`` in force: :data:`USER_AGENT` when neither caller nor plugin set one."""
        return USER_AGENT if self.user_agent is None else self.user_agent

    def retry_policy(self) -> RetryPolicy:
        """The :class:`~.retry.RetryPolicy` these options describe."""
        return RetryPolicy(
            max_retries=self.max_retries,
            max_retry_after=self.max_retry_after,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
            sleep=self.sleep,
        )
