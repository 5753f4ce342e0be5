"""serviceflow's own exception types.

Every error a user can meet derives from :class:`ServiceflowError` and says what to fix. Errors that
point into a file carry a :class:`SourceLocation`, so the CLI can print ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ServiceflowError(Exception):
    """Base class of every error serviceflow raises on purpose."""


class CelError(ServiceflowError):
    """A CEL expression could not be compiled or evaluated.

    Attributes:
        expression: the CEL source text.
        line: 1-based line inside the expression, when known.
        column: 1-based column inside the expression, when known.
    """

    def __init__(
        self, message: str, *, expression: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.line = line
        self.column = column


class CelSyntaxError(CelError):
    """The expression is not valid CEL."""


class CelCheckError(CelError):
    """The expression is valid CEL but refers to an unknown variable, field or function."""


class CelEvaluationError(CelError):
    """The expression failed at run time (missing field, wrong types, division by zero...)."""


class PolicyError(ServiceflowError):
    """A policy or journey file has a problem.

    Attributes:
        location: where in which file.
        rule: the name of the rule, target or section the problem is in ("-" when none).
        message: what is wrong and, where possible, how to fix it.
        warning: probably a mistake, though the set still loads (a target that never runs).
    """

    def __init__(
        self, message: str, *, location: SourceLocation, rule: str = "-", warning: bool = False
    ) -> None:
        super().__init__(f"{location}: {rule}: {'warning: ' if warning else ''}{message}")
        self.message = message
        self.location = location
        self.rule = rule
        self.warning = warning


class PolicySetError(ServiceflowError):
    """A policy set failed to load; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[PolicyError]) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in the policy set:\n" + "\n".join(map(str, problems)))
        self.problems = problems


class TicketGone(ServiceflowError):
    """The helpdesk no longer has the ticket (deleted, merged away): its case ends cleanly."""


class QuarantinedMessageGone(ServiceflowError):
    """The quarantined message left the helpdesk's queue (recovered, deleted or expired)."""


class RecoveryNeedsPerson(ServiceflowError):
    """The helpdesk offers no API to take this message out of quarantine (Freshdesk's public API
    cannot un-spam a ticket): a person must, in the helpdesk. The message says exactly what to
    click; the quarantine watcher opens a review case instead, which carries the same words
    (``QuarantinedMessage.how_to_recover``)."""


class NotSupported(ServiceflowError):
    """The helpdesk adapter does not offer what was asked (a quarantine, a ticket listing...)."""


class UnknownVendor(ServiceflowError):
    """No installed plugin registers an adapter for this vendor; ``serviceflow plugins`` lists
    what is installed.

    Attributes:
        vendor: The vendor name asked for.
    """

    def __init__(self, vendor: str, known: tuple[str, ...] = ()) -> None:
        have = ", ".join(known) or "none"
        super().__init__(f"no installed plugin serves the helpdesk {vendor!r} (installed: {have})")
        self.vendor = vendor


class IdentityUnavailable(ServiceflowError):
    """The integration's own identity in the helpdesk is not known (yet): its API could not be
    reached, or the credentials act as no one. Webhooks cannot be attributed until it is, so
    they are answered 503 and the helpdesk delivers them again.

    Attributes:
        vendor: The helpdesk.
        account: Its account.
    """

    retryable = True

    def __init__(self, message: str, *, vendor: str, account: str) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.account = account


def describe_validation(exc: ValidationError, *, prefix: str = "") -> str:
    """A pydantic error for a person: ``field: what`` for each problem (at most five), never the
    value given (``input_value``) nor pydantic's links; ``prefix`` names where the fields are."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        field_name = ".".join(str(p) for p in (prefix, *error["loc"]) if p != "") or "value"
        what = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            what = "missing required key"
        elif error["type"] == "extra_forbidden":
            what = "unknown key"
        parts.append(f"{field_name}: {what}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
