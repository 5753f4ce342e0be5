"""Errors the Help Scout client raises, one type per way a call can end badly.

Callers decide by type: ``ConversationGone`` ends a case cleanly (it is serviceflow's
``TicketGone``), ``RateLimited``, ``ServerError`` and ``TransportFailed`` are worth a retry later
(they derive from :mod:`serviceflow.plugins.http`'s and carry ``retryable = True``),
``AuthenticationFailed``, ``ValidationFailed`` and ``ThreadLimitReached`` need a person. Every
error keeps what Help Scout said: the ``message``, its ``logRef`` (what Help Scout's support asks
for) and, for a 400, each refused field (CONTRACTS.md §1.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from serviceflow.errors import QuarantinedMessageGone as CoreQuarantinedMessageGone
from serviceflow.errors import TicketGone as CoreTicketGone
from serviceflow.plugins import http


@dataclass(frozen=True)
class FieldError:
    """One entry of a Help Scout validation error's ``_embedded.errors`` (CONTRACTS.md §1.3).

    Attributes:
        path: The request field refused (``status``, ``subject``, ...).
        message: Help Scout's sentence about it.
        rejected: The refused value, when Help Scout echoes it (``rejectedValue``).
    """

    path: str
    message: str
    rejected: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f" (got {self.rejected!r})" if self.rejected else "")


class HelpScoutError(http.ApiError):
    """Base class of every error from the Help Scout plugin.

    Attributes:
        log_ref: Help Scout's ``logRef`` of the failed call, if it sent one.
        errors: The field errors of a 400, in Help Scout's order.
    """

    def __init__(
        self, message: str, *, log_ref: str | None = None, errors: tuple[FieldError, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.log_ref = log_ref
        self.errors = errors


class NotConfigured(HelpScoutError):
    """A setting the call needs is missing; the message names the variable to set."""


class ValidationFailed(HelpScoutError):
    """400: Help Scout refused the request; ``errors`` names every field and why."""


class AuthenticationFailed(HelpScoutError):
    """401/403: the app id or secret is wrong, its user is not an active, invited user, or the
    API is not enabled for the account (CONTRACTS.md §1.2-1.3); no retry fixes it."""


class NotFound(HelpScoutError):
    """404 on something other than a conversation (a user, a customer, an endpoint)."""


class ConversationGone(NotFound, CoreTicketGone):
    """404 on a conversation (deleted, or merged more than 60 days ago), or 301 (merged into
    another: ``moved_to`` names it); serviceflow ends the case cleanly.

    Attributes:
        conversation_id: The conversation that is gone.
        moved_to: The conversation it was merged into, when Help Scout said (301 ``Location``).
    """

    def __init__(self, message: str, *, conversation_id: int, moved_to: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.conversation_id = conversation_id
        self.moved_to = moved_to


class ThreadLimitReached(HelpScoutError):
    """412: the conversation has 99 threads or more (or company policy locks it); no thread can
    be added, so a note or reply is refused for good (CONTRACTS.md §1.3)."""


class QuarantinedMessageGone(HelpScoutError, CoreQuarantinedMessageGone):
    """The spam conversation is no longer in the spam folder (un-spammed, deleted)."""


class RateLimited(http.RateLimited, HelpScoutError):
    """429 after the allowed retries, or a wait longer than may be waited in-process.

    Attributes:
        retry_after: Seconds Help Scout asked us to wait (``X-RateLimit-Retry-After``), if it said.
    """


class ServerError(http.ServerError, HelpScoutError):
    """5xx after the allowed retries."""


class TransportFailed(http.TransportFailed, HelpScoutError):
    """No HTTP response: connection refused or reset, DNS, timeout (after the allowed retries)."""


class UnexpectedResponse(HelpScoutError):
    """Any other status, or a success whose body is not what the contract promises."""


class UnsupportedAction(HelpScoutError):
    """An action Help Scout cannot carry out through its API (the message says what to do)."""


class InvalidActionTarget(HelpScoutError):
    """An action names something Help Scout cannot address (an id that is not a number)."""
