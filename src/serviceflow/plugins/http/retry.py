"""One retry policy for every helpdesk plugin's REST calls (tenacity drives the loop).

A 429 waits exactly the ``Retry-After`` the vendor sent, up to a bound, and a longer wait is
raised with ``retryable = True`` so a durable caller comes back later instead of holding a
worker; 5xx answers (but 501 and 505, which no retry fixes) are retried with bounded, jittered
exponential backoff **only for calls that may be repeated**: a 5xx after a write may come after
the write was applied, so a call that is not idempotent (a comment, a note) raises at once and
its caller re-reads before writing again. Requests that cannot have reached the vendor are
always retried. Every wait goes through an injectable ``sleep``, so tests never wait in real
time.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from serviceflow.plugins.http.errors import RateLimited, ServerError, TransportFailed

#: An awaitable sleep; inject a recorder in tests.
Sleep = Callable[[float], Awaitable[None]]
#: 5xx answers no retry fixes (Not Implemented, HTTP Version Not Supported).
NOT_RETRIED_5XX = (501, 505)

T = TypeVar("T")


def backoff_delay(attempt: int, *, initial: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": half of ``min(cap, initial * 2**(attempt-1))``
    fixed, half random, so retries from many workers spread out and no wait exceeds ``cap``."""
    base: float = min(cap, initial * 2.0 ** (attempt - 1))
    return base / 2 + random.uniform(0, base / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(seconds, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How one API call is retried (tenacity drives the loop).

    Attributes:
        max_retries: Retries after the first attempt for 429, 5xx and unsent requests.
        max_retry_after: The longest ``Retry-After`` (seconds) waited in-process; a longer one is
            raised at once, for a durable retry later.
        backoff_initial: First backoff when the vendor gave no ``Retry-After``, doubled per
            retry, with jitter.
        backoff_max: Cap of one backoff.
        sleep: The awaitable sleep used for every wait.
    """

    max_retries: int = 4
    max_retry_after: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    sleep: Sleep = asyncio.sleep

    def should_retry(self, exc: BaseException, *, idempotent: bool = True) -> bool:
        """Whether ``exc`` is worth another attempt now; a 5xx only when the call may be repeated."""
        if isinstance(exc, RateLimited):  # refused before it was applied: always safe to repeat
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        if isinstance(exc, ServerError):
            return (
                idempotent
                and exc.status not in NOT_RETRIED_5XX
                and (exc.retry_after is None or exc.retry_after <= self.max_retry_after)
            )
        return isinstance(exc, TransportFailed) and exc.retry_safe

    def wait(self, state: RetryCallState) -> float:
        """The vendor's ``Retry-After`` when it sent one, else :func:`backoff_delay`."""
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        return backoff_delay(state.attempt_number, initial=self.backoff_initial, cap=self.backoff_max)

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        log: logging.Logger,
        label: str,
        idempotent: bool = True,
    ) -> T:
        """Await ``attempt()`` until it succeeds, raises something not worth retrying, or the
        retries run out; the last error is raised as it was.

        Args:
            attempt: One try of the call; raises the plugin's typed errors.
            log: Where each retry is logged (a warning naming ``label``, the error and the wait).
            label: The vendor, as log lines name it (``zendesk``).
            idempotent: Whether repeating the call after a 5xx cannot apply it twice.
        """

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning(
                "%s: attempt %d failed (%s); retrying in %.2fs", label, state.attempt_number, exc, wait
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            retry=retry_if_exception(lambda exc: self.should_retry(exc, idempotent=idempotent)),
            wait=self.wait,
            sleep=self.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        async for try_ in retrying:
            with try_:
                return await attempt()
        raise AssertionError("unreachable")  # pragma: no cover - reraise=True always raises
