"""REST plumbing for helpdesk plugins: retryable error types, one retry policy, a client cache.

Every helpdesk plugin talks to a REST API over ``httpx`` and must ride out the same failures the
same way (``hookspecs`` asks for it): a 429 waits exactly the ``Retry-After`` the vendor sent, up
to a bound, and a longer wait is raised with ``retryable = True`` so a durable caller comes back
later instead of holding a worker; 5xx answers (but 501 and 505, which no retry fixes) and
requests that cannot have reached the vendor are retried with bounded, jittered exponential
backoff. Every wait goes through an injectable ``sleep``, so tests never wait in real time.

What stays in a plugin is the vendor's: authentication, error bodies and the status -> error
mapping, pagination. A plugin's error base derives from :class:`ApiError` and adds the vendor's
fields; its rate-limit, server and transport errors derive from :class:`RateLimited`,
:class:`ServerError` and :class:`TransportFailed` *first* (``class RateLimited(http.RateLimited,
ZendeskError)``), so :class:`RetryPolicy` recognises them and keyword arguments pass through
every ``__init__`` in the chain.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from serviceflow.errors import ServiceflowError

#: An awaitable sleep; inject a recorder in tests.
Sleep = Callable[[float], Awaitable[None]]
#: Transport errors raised before the request left: repeating it cannot apply it twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: 5xx answers no retry fixes (Not Implemented, HTTP Version Not Supported).
NOT_RETRIED_5XX = (501, 505)

T = TypeVar("T")


# ---------------------------------------------------------------------- errors


class ApiError(ServiceflowError):
    """Base class of a REST client's errors; plugins add the vendor's own fields.

    Attributes:
        message: The message, naming the vendor, the call and what it said.
        status: HTTP status, or None when no response arrived.
        description: The vendor's description of the error, or a non-JSON body's text.
        method: The HTTP method of the failed call.
        url: The URL of the failed call (credentials are never part of it).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        description: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.description = description
        self.method = method
        self.url = url


class RateLimited(ApiError):
    """429 after the allowed retries, or with a ``Retry-After`` longer than may be waited in-process.

    Attributes:
        retry_after: Seconds the vendor asked us to wait, if it said.
    """

    retryable = True  # the activity's retry policy tries again later

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx after the allowed retries.

    Attributes:
        retry_after: Seconds the vendor asked us to wait (a 503 may say), if it said.
    """

    retryable = True  # the activity's retry policy tries again later

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TransportFailed(ApiError):
    """No HTTP response: connection refused or reset, DNS, timeout (after the allowed retries).

    Attributes:
        retry_safe: Whether repeating the call cannot apply it twice: the request never left
            (see :func:`is_retry_safe`) or it was a GET. A write that timed out may have been applied.
    """

    retryable = True  # the activity's retry policy tries again later

    def __init__(self, message: str, *, retry_safe: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_safe = retry_safe


def is_retry_safe(exc: httpx.TransportError, method: str) -> bool:
    """Whether a call that failed with ``exc`` may be repeated: it never left, or it was a GET."""
    return isinstance(exc, NOT_SENT) or method == "GET"


def request_url(exc: httpx.TransportError, default: str) -> str:
    """The URL of the request ``exc`` is about, or ``default`` when it carries none."""
    try:
        return str(exc.request.url)
    except RuntimeError:  # httpx raises it when the error has no request
        return default


# ---------------------------------------------------------------------- waiting


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

    def should_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` is worth another attempt now."""
        if isinstance(exc, RateLimited):
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        if isinstance(exc, ServerError):
            return exc.status not in NOT_RETRIED_5XX and (
                exc.retry_after is None or exc.retry_after <= self.max_retry_after
            )
        return isinstance(exc, TransportFailed) and exc.retry_safe

    def wait(self, state: RetryCallState) -> float:
        """The vendor's ``Retry-After`` when it sent one, else :func:`backoff_delay`."""
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        return backoff_delay(state.attempt_number, initial=self.backoff_initial, cap=self.backoff_max)

    async def run(self, attempt: Callable[[], Awaitable[T]], *, log: logging.Logger, label: str) -> T:
        """Await ``attempt()`` until it succeeds, raises something not worth retrying, or the
        retries run out; the last error is raised as it was.

        Args:
            attempt: One try of the call; raises the plugin's typed errors.
            log: Where each retry is logged (a warning naming ``label``, the error and the wait).
            label: The vendor, as log lines name it (``zendesk``).
        """

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning(
                "%s: attempt %d failed (%s); retrying in %.2fs", label, state.attempt_number, exc, wait
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            retry=retry_if_exception(self.should_retry),
            wait=self.wait,
            sleep=self.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        async for try_ in retrying:
            with try_:
                return await attempt()
        raise AssertionError("unreachable")  # pragma: no cover - reraise=True always raises


# ---------------------------------------------------------------------- client reuse


class _Closable(Protocol):
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class ClientCache(Generic[C]):
    """One client per settings key and event loop, created on first use.

    An ``httpx.AsyncClient`` pools connections and is bound to the loop it first ran on, so a
    plugin's hooks share a client per loop (a loop that is garbage collected takes its clients
    with it) and close them at worker shutdown or between tests.
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, C]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, key: Hashable, make: Callable[[], C]) -> C:
        """The client for ``key`` on the running loop; ``make()`` builds it the first time."""
        per_loop = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = per_loop.get(key)
        if client is None:
            client = make()
            per_loop[key] = client
        return client

    async def aclose(self) -> None:
        """Close and forget the clients of the running loop."""
        per_loop = self._clients.pop(asyncio.get_running_loop(), {})
        for client in per_loop.values():
            await client.aclose()
