"""The errors a REST transport raises: a plugin's own derive from these.

A plugin's error base derives from :class:`ApiError` and adds the vendor's fields; its
rate-limit, server and transport errors derive from :class:`RateLimited`, :class:`ServerError`
and :class:`TransportFailed` *first* (``class RateLimited(http.RateLimited, ZendeskError)``), so
:class:`~.retry.RetryPolicy` recognises them and keyword arguments pass through every
``__init__`` in the chain. The three carry ``retryable = True``: serviceflow's activities retry
them later.
"""

from __future__ import annotations

from typing import Any

import httpx

from serviceflow.errors import ServiceflowError

#: Transport errors raised before the request left: repeating it cannot apply it twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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


def is_retry_safe(exc: httpx.TransportError, method: str, *, idempotent: bool | None = None) -> bool:
    """Whether a call that failed with ``exc`` may be repeated: it never left, or repeating it
    changes nothing (``idempotent``; by default only a GET is taken as such)."""
    if isinstance(exc, NOT_SENT):
        return True
    return idempotent if idempotent is not None else method == "GET"


def request_url(exc: httpx.TransportError, default: str) -> str:
    """The URL of the request ``exc`` is about, or ``default`` when it carries none."""
    try:
        return str(exc.request.url)
    except RuntimeError:  # httpx raises it when the error has no request
        return default
