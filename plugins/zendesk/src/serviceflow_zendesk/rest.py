"""Zendesk's part of serviceflow's REST transport: its headers, its rate-limit headers, and
how its answers become the plugin's typed errors. Retries, ``Retry-After`` and pacing are the
transport's (:class:`serviceflow.plugins.http.RestTransport`).

Rate limits (CONTRACTS.md §1.8, from developer.zendesk.com/api-reference/introduction/rate-limits):
every response carries the account's per-minute budget as ``X-Rate-Limit`` /
``X-Rate-Limit-Remaining``; the ticketing APIs add ``ratelimit-limit``, ``ratelimit-remaining``
and ``ratelimit-reset`` (seconds), and endpoints with their own limit a header such as
``Zendesk-RateLimit-tickets-update: total=100; remaining=99; resets=41`` (Update Ticket's,
from the tickets reference). The transport paces by the tightest of them.
"""

from __future__ import annotations

from typing import Any

import httpx

from serviceflow.plugins import http

from .auth import Credentials
from .errors import (
    AuthenticationFailed,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    TicketGone,
    TransportFailed,
    UnexpectedResponse,
    UpdateConflict,
    ValidationFailed,
    ZendeskError,
)

#: The budgets Zendesk states on its answers (see the module docstring), the tightest wins.
RATE_LIMITS = http.most_restrictive(
    http.X_RATE_LIMIT_HEADERS,
    http.IETF_HEADERS,
    http.structured_reader("zendesk-ratelimit-tickets-update"),
    http.structured_reader("zendesk-ratelimit-tickets-index"),
)


def headers(auth: Credentials, user_agent: str) -> dict[str, str]:
    """Every request's headers: ``Accept: application/json`` (CONTRACTS.md §1.2) and auth."""
    return {"Accept": "application/json", "User-Agent": user_agent, "Authorization": auth.header()}


class ZendeskErrors(http.VendorErrors):
    """The transport's :class:`~serviceflow.plugins.http.ErrorMapper` for Zendesk; the context
    of a call is the ticket id it is about (a 404 on it is :class:`TicketGone`)."""

    label = "Zendesk"
    transport_failed = TransportFailed
    unexpected_response = UnexpectedResponse

    def for_response(self, response: httpx.Response, context: Any) -> ZendeskError:
        return error_for(response, context if isinstance(context, int) else None)


def vendor_error(response: httpx.Response) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """Zendesk's ``error``/``description``/``details``; text bodies become the description."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return None, text[:500] or None, None
    if not isinstance(data, dict):
        return None, str(data)[:500], None
    error = data.get("error")
    description = data.get("description")
    if isinstance(error, dict):  # some endpoints nest {"title", "message"}
        description = description or error.get("message")
        error = error.get("title")
    details = data.get("details")
    return (
        None if error is None else str(error),
        None if description is None else str(description),
        details if isinstance(details, dict) else None,
    )


def error_for(response: httpx.Response, ticket_id: int | None) -> ZendeskError:
    """The typed error for a non-2xx answer (CONTRACTS.md §1.2)."""
    status = response.status_code
    method = response.request.method
    error, description, details = vendor_error(response)
    message = f"Zendesk {method} {response.request.url.path} -> {status}"
    if error or description:
        message += f" {error or ''}: {description or ''}".rstrip(": ")
    kwargs: dict[str, Any] = {
        "status": status,
        "error": error,
        "description": description,
        "details": details,
        "method": method,
        "url": str(response.request.url),
    }
    retry_after = http.parse_retry_after(response.headers.get("retry-after"))
    if status == 400:
        return BadRequest(message, **kwargs)
    if status in (401, 403):
        return AuthenticationFailed(message, **kwargs)
    if status == 404:
        if ticket_id is not None and error != "InvalidEndpoint":
            return TicketGone(message, ticket_id=ticket_id, **kwargs)
        return NotFound(message, **kwargs)
    if status == 409:
        return UpdateConflict(message, **kwargs)
    if status == 422:
        return ValidationFailed(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, retry_after=retry_after, **kwargs)
    return UnexpectedResponse(message, **kwargs)
