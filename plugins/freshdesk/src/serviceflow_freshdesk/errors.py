"""Errors the Freshdesk client raises, one type per way a call can end badly.

Callers (the plugin's hooks, Temporal activities) decide by type: ``TicketGone`` ends a case
cleanly, ``RateLimited``, ``ServerError`` and ``TransportFailed`` are worth a retry later (they
derive from serviceflow's :mod:`serviceflow.plugins.http` errors and carry ``retryable = True``,
which serviceflow's activities read), ``AuthenticationFailed`` and ``ValidationFailed`` need a
person. Every error carries what Freshdesk said: the ``description``
and, for a 400, each field's message (CONTRACTS.md §2.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from serviceflow.errors import QuarantinedMessageGone as CoreQuarantinedMessageGone
from serviceflow.errors import TicketGone as CoreTicketGone
from serviceflow.plugins import http


@dataclass(frozen=True)
class FieldError:
    """One entry of a Freshdesk 400 body's ``errors`` list.

    Attributes:
        field: The request field Freshdesk refused (``status``, ``custom_fields.cf_x``, ...).
        message: Freshdesk's sentence about it.
        code: Freshdesk's machine code (``invalid_value``, ``missing_field``, ...).
    """

    field: str
    message: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" + (f" ({self.code})" if self.code else "")


class FreshdeskError(http.ApiError):
    """Base class of every error from the Freshdesk plugin.

    Attributes:
        status: HTTP status, or None when no response arrived.
        code: Freshdesk's top-level ``code`` (401/403/404 bodies), if any.
        description: Freshdesk's ``description`` or ``message``, or a non-JSON body's text.
        errors: The field errors of a 400, in Freshdesk's order.
        method: The HTTP method of the failed call.
        url: The URL of the failed call (credentials are never part of it).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: tuple[FieldError, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.code = code
        self.errors = errors


class ValidationFailed(FreshdeskError):
    """400: Freshdesk refused the request; ``errors`` names every field and why."""


class AuthenticationFailed(FreshdeskError):
    """401/403: the API key is wrong, revoked, or its agent lacks permission; no retry fixes it."""


class NotFound(FreshdeskError):
    """404 on something other than a ticket (an endpoint, an agent)."""


class TicketGone(NotFound, CoreTicketGone):
    """404 on a ticket: deleted for good (or never existed); serviceflow ends the case cleanly.

    Attributes:
        ticket_id: The ticket that is gone.
    """

    def __init__(self, message: str, *, ticket_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.ticket_id = ticket_id


class QuarantinedMessageGone(FreshdeskError, CoreQuarantinedMessageGone):
    """The spam-flagged ticket is no longer in the spam folder (un-spammed, deleted or purged)."""


class RateLimited(http.RateLimited, FreshdeskError):
    """429 after the allowed retries, or with a ``Retry-After`` longer than we may wait in-process.

    Attributes:
        retry_after: Seconds Freshdesk asked us to wait, if it said.
    """


class ServerError(http.ServerError, FreshdeskError):
    """5xx after the allowed retries.

    Attributes:
        retry_after: Seconds Freshdesk asked us to wait, if it said.
    """


class TransportFailed(http.TransportFailed, FreshdeskError):
    """No HTTP response: connection refused or reset, DNS, timeout (after the allowed retries).

    Attributes:
        retry_safe: Whether repeating the call cannot apply it twice (the request never left, or
            it was a GET). A POST that timed out may have created a note.
    """


class UnexpectedResponse(FreshdeskError):
    """Any other status, or a success whose body is not what the contract promises."""


class UnsupportedAction(FreshdeskError):
    """An action Freshdesk cannot carry out as asked (the message says which setting would help)."""
