"""Errors the Zendesk client raises, one type per way a call can end badly.

Callers (the plugin's action hooks, Temporal activities) decide by type: ``TicketGone`` ends a
case cleanly, ``RateLimited`` and ``ServerError`` are worth an activity retry later,
``AuthenticationFailed`` and ``ValidationFailed`` need a person. Every error carries the vendor's
own ``error``/``description``/``details`` so logs say what Zendesk said. The retryable ones
derive from serviceflow's (:mod:`serviceflow.plugins.http`), which carry ``retryable = True``.
"""

from __future__ import annotations

from typing import Any

from serviceflow.errors import QuarantinedMessageGone
from serviceflow.errors import TicketGone as CoreTicketGone
from serviceflow.plugins import http


class ZendeskError(http.ApiError):
    """Base class of every error from the Zendesk client.

    Attributes:
        status: HTTP status, or None when no response arrived.
        error: Zendesk's ``error`` value (``RecordNotFound``, ``RecordInvalid``, ...), if any.
        description: Zendesk's ``description``, or the text body of a non-JSON error.
        details: Zendesk's ``details`` object (field -> problems), if any.
        method: The HTTP method of the failed call.
        url: The URL of the failed call (no credentials are ever part of it).
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        details: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.error = error
        self.details = details


class BadRequest(ZendeskError):
    """400: the request was malformed (a client bug)."""


class AuthenticationFailed(ZendeskError):
    """401/403: the credentials are wrong, revoked, or lack permission; no retry will fix it."""


class NotFound(ZendeskError):
    """404 on a resource other than a ticket (user, group, job status, endpoint)."""


class TicketGone(NotFound, CoreTicketGone):
    """404 on a ticket: deleted (or never existed); serviceflow ends the case cleanly.

    Attributes:
        ticket_id: The ticket that is gone.
    """

    def __init__(self, message: str, *, ticket_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.ticket_id = ticket_id


class SuspendedTicketGone(NotFound, QuarantinedMessageGone):
    """404 on a suspended ticket: recovered, deleted (by a person or by us) or expired after
    14 days; the quarantine watcher treats it as having left the queue.

    Attributes:
        suspended_id: The suspended ticket that is gone.
    """

    def __init__(self, message: str, *, suspended_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.suspended_id = suspended_id


class UpdateConflict(ZendeskError):
    """409: a safe update kept losing to other writers after every allowed re-read."""


class ValidationFailed(ZendeskError):
    """422: Zendesk refused the values (``RecordInvalid``; ``details`` names the fields)."""


class RecoveryFailed(ValidationFailed):
    """Zendesk refused to recover a suspended ticket (it stays suspended); a person must look.

    Attributes:
        suspended_id: The suspended ticket.
        cause: Why it was suspended, as Zendesk says, when it could be read.
    """

    def __init__(self, message: str, *, suspended_id: int, cause: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.suspended_id = suspended_id
        self.cause = cause


class RateLimited(http.RateLimited, ZendeskError):
    """429 after the allowed retries, or with a ``Retry-After`` longer than we may wait.

    Attributes:
        retry_after: Seconds Zendesk asked us to wait, if it said.
    """


class ServerError(http.ServerError, ZendeskError):
    """5xx after the allowed retries.

    Attributes:
        retry_after: Seconds Zendesk asked us to wait (503 may say), if it said.
    """


class TransportFailed(http.TransportFailed, ZendeskError):
    """No HTTP response: connection refused or reset, DNS, timeout (after allowed retries).

    Attributes:
        retry_safe: Whether repeating the call cannot apply it twice: the request never left
            (connect failure) or it was a GET. A PUT that timed out may have been applied.
    """


class UnexpectedResponse(ZendeskError):
    """Any other status, or a success whose body is not what the contract promises."""
