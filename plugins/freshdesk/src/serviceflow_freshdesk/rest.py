"""Freshdesk's part of serviceflow's REST transport: its auth, its rate-limit headers, and how
its answers become the plugin's typed errors. Retries, ``Retry-After`` and pacing are the
transport's (:class:`serviceflow.plugins.http.RestTransport`).

Authentication is the API key as the Basic-auth username with ``X`` as the password
(CONTRACTS.md §2.1). Rate limits (CONTRACTS.md §2.4, support.freshdesk.com article 225439):
every response carries ``X-RateLimit-Total``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Used-CurrentRequest``; the limits are per minute and account-wide, and say no
reset time, so the transport spreads the last requests over a minute.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from serviceflow.plugins import http

from .errors import (
    AuthenticationFailed,
    FieldError,
    FreshdeskError,
    NotFound,
    RateLimited,
    ServerError,
    TicketGone,
    TransportFailed,
    UnexpectedResponse,
    ValidationFailed,
)

#: The budget Freshdesk states on every answer (see the module docstring).
RATE_LIMITS = http.X_RATELIMIT_HEADERS


def basic_auth(api_key: str) -> str:
    """The ``Authorization`` header for an API key: ``Basic base64("{key}:X")``."""
    return "Basic " + base64.b64encode(f"{api_key}:X".encode()).decode("ascii")


def headers(api_key: str, user_agent: str) -> dict[str, str]:
    return {"Accept": "application/json", "User-Agent": user_agent, "Authorization": basic_auth(api_key)}


class FreshdeskErrors(http.VendorErrors):
    """The transport's :class:`~serviceflow.plugins.http.ErrorMapper` for Freshdesk; the context
    of a call is the ticket id it is about (a 404 on it is :class:`TicketGone`)."""

    label = "Freshdesk"
    transport_failed = TransportFailed
    unexpected_response = UnexpectedResponse

    def for_response(self, response: httpx.Response, context: Any) -> FreshdeskError:
        return error_for(response, context if isinstance(context, int) else None)


def vendor_error(response: httpx.Response) -> tuple[str | None, str | None, tuple[FieldError, ...]]:
    """Freshdesk's ``code``, ``description``/``message`` and field ``errors`` of an error body."""
    try:
        data = response.json()
    except ValueError:
        return None, response.text.strip()[:500] or None, ()
    if not isinstance(data, dict):
        return None, str(data)[:500], ()
    errors = tuple(
        FieldError(
            field=str(item.get("field") or "-"),
            message=str(item.get("message") or ""),
            code=None if item.get("code") is None else str(item.get("code")),
        )
        for item in data.get("errors") or ()
        if isinstance(item, dict)
    )
    text = data.get("description") or data.get("message")
    code = data.get("code")
    return (None if code is None else str(code)), (None if text is None else str(text)), errors


def error_for(response: httpx.Response, ticket_id: int | None) -> FreshdeskError:
    """The typed error for a non-2xx answer (CONTRACTS.md §2.5)."""
    status = response.status_code
    method = response.request.method
    code, description, errors = vendor_error(response)
    message = f"Freshdesk {method} {response.request.url.path} -> {status}"
    if description or code:
        message += f" {description or code}"
    if errors:
        message += ": " + "; ".join(map(str, errors))
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "description": description,
        "errors": errors,
        "method": method,
        "url": str(response.request.url),
    }
    retry_after = http.parse_retry_after(response.headers.get("retry-after"))
    if status == 400:
        return ValidationFailed(message, **kwargs)
    if status in (401, 403):
        return AuthenticationFailed(message, **kwargs)
    if status == 404:
        if ticket_id is not None:
            return TicketGone(message, ticket_id=ticket_id, **kwargs)
        return NotFound(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, retry_after=retry_after, **kwargs)
    return UnexpectedResponse(message, **kwargs)
