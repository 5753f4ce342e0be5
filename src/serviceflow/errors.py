"""serviceflow's own exception types.

Every error a user can meet derives from :class:`ServiceflowError` and says what to fix. Errors that
point into a file carry a :class:`SourceLocation`, so the CLI can print ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import ValidationError

#: A path into parsed YAML or JSON data: mapping keys and list indexes, e.g. ``("agents", 0, "id")``.
DataPath = tuple[str | int, ...]


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


class CalendarRangeError(ServiceflowError, ValueError):
    """A deadline, or a day the calendar arithmetic needs, lies outside the years 1 to 9999 that a
    date can hold (a time near year 9999 plus a long duration). A ``ValueError`` as well, as the
    calendar's other refusals are, so code that caught those keeps catching this.

    Attributes:
        calendar: The calendar's name in the policy set ("elapsed" for plain time).
    """

    def __init__(self, message: str, *, calendar: str) -> None:
        super().__init__(message)
        self.calendar = calendar


# -- pydantic errors for people --------------------------------------------------------------


class Located(Protocol):
    """What a problem can be located in: a parsed YAML document
    (:class:`serviceflow.policy.yaml_source.Document`), its data and its positions."""

    @property
    def data(self) -> Any: ...

    def locate(self, path: DataPath, *, key: bool = False) -> SourceLocation: ...


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem of a pydantic ``ValidationError``, for a person: where and what, never the
    value that was given.

    Attributes:
        path: Where in the data, as far as the data has it: the mapping that lacks a required
            key, an unknown key itself, or the value that is wrong. Union tags and validator
            names in pydantic's ``loc`` are left out when the data is known.
        kind: ``missing`` (a required key is absent), ``unknown`` (a key the model forbids) or
            ``invalid`` (the value is wrong).
        detail: What is wrong, without the key: pydantic's message (without its "Value error, "
            prefix), or "missing required key", or "unknown key".
        key: The missing or unknown key; None for an invalid value.
        location: ``file:line:col`` of the value, of the unknown key, or of the mapping that
            lacks a key; None when there is no document.
    """

    path: DataPath
    kind: Literal["missing", "unknown", "invalid"]
    detail: str
    key: str | int | None = None
    location: SourceLocation | None = None

    @property
    def what(self) -> str:
        """The detail with the key named: "missing required key 'id'", "unknown key 'bogus'"."""
        return self.detail if self.key is None else f"{self.detail} '{self.key}'"

    def field(self, root: str) -> str:
        """The dotted path of :attr:`path` (``agents.0``), or ``root`` for the whole document."""
        return ".".join(str(part) for part in self.path) or root

    def line(self, root: str) -> str:
        """``file:line:col: field: what`` (without a document: ``field: what``)."""
        text = f"{self.field(root)}: {self.what}"
        return text if self.location is None else f"{self.location}: {text}"


def data_path(data: Any, loc: Iterable[Any]) -> tuple[DataPath, list[Any]]:
    """The part of pydantic's ``loc`` that exists in the data, and what is left over."""
    path: list[str | int] = []
    node = data
    items = list(loc)
    for index, part in enumerate(items):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and index == len(items) - 1:
            return tuple(path), [part]  # a missing or extra key of this mapping
        else:
            continue  # union tags and validator names
        path.append(part)
    return tuple(path), []


def field_problems(
    exc: ValidationError,
    document: Located | None = None,
    *,
    untag: Callable[[list[Any]], list[Any]] | None = None,
) -> list[FieldProblem]:
    """Every problem of ``exc``, for a person: one per place and key, in pydantic's order.

    The one reading of pydantic's errors behind every message that names a field: the policy
    test's scenarios, the roster file, the values a scenario builds (:func:`describe_validation`).
    The input value is never read (``include_input=False``), so no message can echo a secret
    or a whole document, and pydantic's links are left out.

    Args:
        exc: The error.
        document: The YAML document that was validated: each problem's path is then the part of
            pydantic's ``loc`` that the data has, and it is located in the file. Without it the
            path is pydantic's ``loc`` as given.
        untag: Takes out of a ``loc`` the parts that look like keys but are not (a tagged union's
            tag that is also the name of its only key, as scenario steps are).
    """
    problems: list[FieldProblem] = []
    seen: set[tuple[DataPath, str | int | None]] = set()
    for error in exc.errors(include_url=False, include_input=False):
        loc = list(error["loc"])
        if untag is not None:
            loc = untag(loc)
        if document is not None:
            path, rest = data_path(document.data, loc)
        else:
            path, rest = (tuple(loc[:-1]), loc[-1:]) if error["type"] in _KEYED else (tuple(loc), [])
        key: str | int | None = None
        kind: Literal["missing", "unknown", "invalid"] = "invalid"
        detail = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] in _KEYED:
            key = rest[0] if rest else (path[-1] if path else "?")
            if error["type"] == "missing":
                kind, detail = "missing", "missing required key"
            else:
                kind, detail, path = "unknown", "unknown key", (*path, *rest)
        if (path, key) in seen:
            continue  # a union reports each alternative; one message per place is enough
        seen.add((path, key))
        location = None if document is None else document.locate(path, key=kind == "unknown")
        problems.append(FieldProblem(path, kind, detail, key, location))
    return problems


_KEYED = frozenset({"missing", "extra_forbidden"})


def describe_validation(exc: ValidationError, *, prefix: str = "") -> str:
    """A pydantic error for a person, on one line: ``field: what`` for each problem (at most
    five), the field naming the missing or unknown key itself; never the value given nor
    pydantic's links; ``prefix`` names where the fields are."""
    parts = []
    problems = field_problems(exc)
    for problem in problems[:5]:
        keyed = (*problem.path, problem.key) if problem.kind == "missing" else problem.path
        field_name = ".".join(str(p) for p in (prefix, *keyed) if p != "") or "value"
        parts.append(f"{field_name}: {problem.detail}")
    more = len(problems) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
