"""Help Scout's part of serviceflow's REST transport: its rate-limit headers, and how its answers
become the plugin's typed errors. Retries, waits and pacing are the transport's
(:class:`serviceflow.plugins.http.RestTransport`); authentication is :mod:`.auth`.

Rate limits (OFFICIAL, the Rate Limiting page, CONTRACTS.md §7): the limit is per account and
per minute, "write requests (POST, PUT, DELETE, PATCH) count as 2 requests", a 429 answers when
it is spent, and every answer states ``X-RateLimit-Limit-Minute`` and
``X-RateLimit-Remaining-Minute``; a 429's ``X-RateLimit-Retry-After`` says how many seconds to
wait. The transport's pacer reads the remaining budget (which already counts each write twice)
and spreads the last requests of a minute; since one write takes two of what is left, the plugin
keeps a reserve of :data:`PACE_RESERVE` (five writes' worth) instead of the transport's five
requests. Whether v2 also sends a standard ``Retry-After`` is UNVERIFIED: it is read when
``X-RateLimit-Retry-After`` is absent.

Errors (CONTRACTS.md §1.3): validation errors are ``application/vnd.error+json`` with a
``message``, a ``logRef`` and ``_embedded.errors[{path, message, rejectedValue}]``; a merged
conversation answers 301 with a ``Location`` (Get Conversation) and 404 to writes; 412 means the
conversation has 99 threads or more.
"""

from __future__ import annotations

from typing import Any

import httpx

from serviceflow.plugins import http

from .auth import TOKEN_PATH
from .errors import (
    AuthenticationFailed,
    ConversationGone,
    FieldError,
    HelpScoutError,
    NotFound,
    RateLimited,
    ServerError,
    ThreadLimitReached,
    TransportFailed,
    UnexpectedResponse,
    ValidationFailed,
)

#: The per-minute budget every answer states (see the module docstring).
RATE_LIMITS = http.header_reader(remaining="x-ratelimit-remaining-minute", limit="x-ratelimit-limit-minute")
#: Below this many requests left in the minute, requests are spaced out: five writes' worth.
PACE_RESERVE = 10
RETRY_AFTER_HEADER = "x-ratelimit-retry-after"


class HelpScoutErrors(http.VendorErrors):
    """The transport's error mapper for Help Scout; a call's context is the conversation id it is
    about (an ``int``), so a 404 or 301 on it is :class:`ConversationGone`."""

    label = "Help Scout"
    transport_failed = TransportFailed
    unexpected_response = UnexpectedResponse

    def for_response(self, response: httpx.Response, context: Any) -> HelpScoutError:
        return error_for(response, context if isinstance(context, int) else None)


def vendor_error(response: httpx.Response) -> tuple[str | None, str | None, tuple[FieldError, ...]]:
    """``message``, ``logRef`` and the field errors of a Help Scout error body."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300] or None, None, ()
    if not isinstance(data, dict):
        return str(data)[:300], None, ()
    embedded = data.get("_embedded")
    items = embedded.get("errors") if isinstance(embedded, dict) else None
    errors = tuple(
        FieldError(
            path=str(item.get("path") or "-"),
            message=str(item.get("message") or ""),
            rejected=None if item.get("rejectedValue") is None else str(item.get("rejectedValue"))[:100],
        )
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, dict)
    )
    message, log_ref = data.get("message") or data.get("error"), data.get("logRef")
    return (
        None if message is None else str(message)[:300],
        None if log_ref is None else str(log_ref)[:100],
        errors,
    )


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``X-RateLimit-Retry-After`` (documented), else ``Retry-After``."""
    value = response.headers.get(RETRY_AFTER_HEADER) or response.headers.get("retry-after")
    return http.parse_retry_after(value)


def error_for(response: httpx.Response, conversation_id: int | None) -> HelpScoutError:
    """The typed error for a non-2xx answer."""
    status = response.status_code
    method = response.request.method
    path = response.request.url.path
    message, log_ref, errors = vendor_error(response)
    text = f"Help Scout {method} {path} -> {status}"
    if message:
        text += f" {message}"
    if errors:
        text += ": " + "; ".join(map(str, errors))
    if log_ref:
        text += f" (logRef {log_ref})"
    kwargs: dict[str, Any] = {
        "status": status,
        "description": message,
        "log_ref": log_ref,
        "errors": errors,
        "method": method,
        "url": str(response.request.url),
    }
    if path == TOKEN_PATH and status in (400, 401, 403):
        return AuthenticationFailed(
            f"{text}: Help Scout refused the app's credentials (SERVICEFLOW_HELPSCOUT_APP_ID and "
            "_APP_SECRET; the app's user must be an active, invited user)",
            **kwargs,
        )
    if status == 429:
        return RateLimited(text, retry_after=retry_after(response), **kwargs)
    if status >= 500:
        return ServerError(text, retry_after=retry_after(response), **kwargs)
    if status in (401, 403):
        return AuthenticationFailed(text, **kwargs)
    if status in (301, 404) and conversation_id is not None:
        moved = response.headers.get("location") if status == 301 else None
        return ConversationGone(
            text + (f" (merged: {moved})" if moved else ""),
            conversation_id=conversation_id,
            moved_to=moved,
            **kwargs,
        )
    if status == 404:
        return NotFound(text, **kwargs)
    if status == 400:
        return ValidationFailed(text, **kwargs)
    if status == 412:
        return ThreadLimitReached(text, **kwargs)
    return UnexpectedResponse(text, **kwargs)
