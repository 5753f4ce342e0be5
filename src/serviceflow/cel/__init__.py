"""serviceflow's CEL layer: compile once, evaluate many, with serviceflow's own errors.

The whole of serviceflow goes through :class:`CelEnvironment`; no other module imports a CEL
engine. A faster engine can be added as another :class:`~serviceflow.cel.backend.Backend`
without touching a policy.

>>> from serviceflow.cel.types import STRING, map_of
>>> env = CelEnvironment()
>>> expr = env.compile('lower(ticket.subject).contains("refund")', {"ticket": map_of(STRING)})
>>> expr.evaluate(env.activation({"ticket": {"subject": "Refund please"}}))
True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from typing import Any, Generic, TypeVar

from serviceflow.cel.analysis import Condition, decided, requirements, result_strings
from serviceflow.cel.backend import Backend, Program
from serviceflow.cel.celpy_backend import CelpyBackend
from serviceflow.cel.checker import Checker, CheckProblem, CheckResult
from serviceflow.cel.deciders import Decider, decider
from serviceflow.cel.functions import (
    BUILTIN_FUNCTIONS,
    MAX_DURATION,
    TOO_LONG,
    CelFunction,
    duration_text_problem,
)
from serviceflow.cel.types import CelType
from serviceflow.cel.values import to_plain
from serviceflow.errors import CelCheckError, CelError, CelSyntaxError

__all__ = ["CelEnvironment", "CheckResult", "Expression", "backend_named"]


@dataclass(frozen=True)
class Expression:
    """A compiled, checked CEL expression.

    Attributes:
        source: the CEL text.
        type: the result type the checker inferred ("dyn" when it cannot tell).
        references: the variable paths the expression reads, e.g. ``{"ticket.tags", "now"}``.
        requires: values that fields must have for the expression to be true, e.g.
            ``{"event.kind": {"created"}}``; see :mod:`serviceflow.cel.analysis`.
    """

    source: str
    type: CelType
    references: frozenset[str]
    program: Program
    requires: Mapping[str, frozenset[str]] = field(default_factory=dict)
    results: tuple[str, ...] | None = None  # the strings it can yield, when only literals
    #: The expression as comparisons of fields, when it is nothing else (see
    #: :func:`serviceflow.cel.analysis.decided`): its value without running it, when the
    #: fields hold what the comparisons take. None: it must run.
    decided_by: Condition | None = None
    # Derived once, when it is made, as plain attributes (not cached properties: the
    # interpreter does not specialize a read of those, and the engine reads these on every
    # input for every rule).
    #: The references, sorted: what the engine's result cache keys on.
    paths: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: The event kinds it can be true on (its ``requires`` of ``event.kind``); None: any.
    event_kinds: frozenset[str] | None = field(init=False, repr=False, compare=False)
    #: ``decided_by`` compiled (see :func:`serviceflow.cel.deciders.decider`); None when it is.
    decider: Decider | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derive = object.__setattr__  # frozen
        derive(self, "paths", tuple(sorted(self.references)))
        derive(self, "event_kinds", self.requires.get("event.kind"))
        derive(self, "decider", None if self.decided_by is None else decider(self.decided_by))

    def may_hold_on(self, kind: str) -> bool:
        """Whether it can be true on an event of ``kind``. When not, its value is false without a
        test: the evaluator answers false for it whatever else it reads (no CEL, no error), so
        a step may skip it."""
        kinds = self.event_kinds
        return kinds is None or kind in kinds

    def evaluate(self, activation: Any) -> Any:
        """Evaluate against an activation from :meth:`CelEnvironment.activation`.

        Raises:
            CelEvaluationError: the expression failed on these values.
        """
        return self.program.evaluate(activation)


#: The longest an expression may be, and how deeply it may nest brackets: past these the parser
#: and the checker would recurse thousands deep (a RecursionError, not a message).
MAX_SOURCE = 20_000
MAX_NESTING = 64
_TOO_DEEP = (
    f"the expression is nested too deeply or is too long (at most {MAX_NESTING} levels, "
    f"{MAX_SOURCE} characters)"
)


def _bounded(source: str) -> None:
    """Refuse an expression too long or nested too deeply to be parsed safely."""
    if len(source) > MAX_SOURCE:
        raise CelSyntaxError(
            f"the expression is {len(source)} characters; at most {MAX_SOURCE}", expression=source[:200]
        )
    depth = deepest = 0
    quote: str | None = None
    escaped = False
    operators = 0
    for char in source:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
        elif char in "&|+-*/%<>=!?":
            operators += 1
    if deepest > MAX_NESTING or operators > 4 * MAX_NESTING * 8:
        raise CelSyntaxError(_TOO_DEEP, expression=source[:200], line=1, column=1)


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is no regular expression in RE2's syntax (which CEL's matches() uses)."""
    import re2  # type: ignore[import-untyped]  # google-re2, which cel-python's matches() runs on

    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the message is returned here
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return f"not a regular expression in RE2 syntax: {detail}"
    return None


def backend_named(name: str) -> Backend:
    """The CEL backend called ``name``: ``celpy`` (default) or ``cel-expr`` (needs serviceflow[fast])."""
    if name == "celpy":
        return CelpyBackend()
    if name == "cel-expr":
        from serviceflow.cel.celexpr_backend import CelExprBackend

        return CelExprBackend()
    raise ValueError(f"unknown CEL backend {name!r}; choose 'celpy' or 'cel-expr'")


_T = TypeVar("_T")


def _key(source: str, variables: Mapping[str, CelType]) -> tuple[str, tuple[tuple[str, CelType], ...]]:
    """What checking and compiling ``source`` depend on besides the environment: the variables'
    names and types (frozen dataclasses, compared by value)."""
    return source, tuple(sorted(variables.items(), key=lambda item: item[0]))


class _Bounded(Generic[_T]):
    """A least-recently-used map of at most ``size`` entries (safe to share between threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, _T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> _T | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: _T) -> _T:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._entries)


class CelEnvironment:
    """Compiles and checks expressions, and prepares the values they run against.

    Not thread-safe (neither is cel-python): use one per thread, or from one event loop.
    """

    #: How many checked and compiled expressions an environment keeps (each about a kilobyte).
    CACHE_SIZE = 4096

    def __init__(
        self,
        *,
        functions: Sequence[CelFunction] = BUILTIN_FUNCTIONS,
        backend: Backend | None = None,
    ) -> None:
        self.functions = tuple(functions)
        self.backend = backend or CelpyBackend()
        self._parser = self.backend if isinstance(self.backend, CelpyBackend) else CelpyBackend()
        self._constants = self._parser
        # Checking and compiling depend only on the source, the variables' types and this
        # environment's functions and backend: a policy set reloaded, or changed in one rule,
        # compiles only what is new (parsing is milliseconds per expression with cel-python).
        self._checked: _Bounded[CheckResult] = _Bounded(self.CACHE_SIZE)
        self._compiled: _Bounded[Expression] = _Bounded(self.CACHE_SIZE)

    def check(self, source: str, variables: Mapping[str, CelType]) -> CheckResult:
        """Parse and check ``source`` without compiling it; problems are returned, not raised.

        Calls whose arguments are all constants (``duration("30mins")``, a regex in ``matches``)
        are run once here, so what would fail on every ticket fails now; a constant duration
        longer than ten years is refused.

        Raises:
            CelSyntaxError: ``source`` is not valid CEL, or nested too deeply to be read.
        """
        key = _key(source, variables)
        known = self._checked.get(key)
        if known is None:
            known = self._checked.put(key, self._check_now(source, variables))
        return replace(known, problems=list(known.problems), constants=list(known.constants))

    def _check_now(self, source: str, variables: Mapping[str, CelType]) -> CheckResult:
        tree, result = self._check(source, variables)
        if any(not p.warning for p in result.problems):
            return result  # fix those first: a constant call of the wrong types would only repeat them
        for constant in result.constants:
            problem = self._run_constant(constant.source, pattern=constant.pattern)
            if problem is not None:
                result.problems.append(
                    CheckProblem(f"{constant.shown}: {problem}", constant.line, constant.column)
                )
        return result

    def _run_constant(self, source: str, *, pattern: bool = False) -> str | None:
        try:
            value = self._constants.program(source, self.functions).evaluate({})
        except CelError as exc:
            return self._constant_problem(source, exc.message)
        except RecursionError:
            return "too deeply nested"
        if pattern:
            return regex_problem(value) if isinstance(value, str) else None
        if isinstance(value, timedelta) and abs(value) > MAX_DURATION:
            return TOO_LONG
        return None

    def _constant_problem(self, source: str, message: str) -> str:
        """What a constant call that failed is told: what to write instead, never the CEL
        library's own words (``return error for overflow``, ``Python int too large``)."""
        name, _, rest = source.partition("(")
        if name == "duration":
            try:
                text = self._constants.program(rest[:-1], self.functions).evaluate({})
            except (CelError, RecursionError):
                text = None
            if isinstance(text, str):
                return duration_text_problem(text)
            return 'not a duration; give it a string, e.g. duration("30m")'
        if name == "timestamp":
            return "not a timestamp; write e.g. 2026-03-02T09:00:00Z"
        if name in ("minutes", "hours", "days"):
            if TOO_LONG in message or "overflow" in message:  # past int64: celpy's "overflow"
                return TOO_LONG
        return message

    def _check(self, source: str, variables: Mapping[str, CelType]) -> tuple[Any, CheckResult]:
        _bounded(source)
        try:
            tree = self._parser.parse(source)
            return tree, Checker(variables, self.functions, source).check(tree)
        except RecursionError:
            raise CelSyntaxError(_TOO_DEEP, expression=source[:200], line=1, column=1) from None

    def compile(self, source: str, variables: Mapping[str, CelType]) -> Expression:
        """Parse, check and compile ``source`` for evaluation against ``variables``.

        Raises:
            CelSyntaxError: ``source`` is not valid CEL.
            CelCheckError: it names an unknown variable, field or function (the first problem).
        """
        key = _key(source, variables)
        known = self._compiled.get(key)
        if known is None:  # an expression is immutable: the same one serves every caller
            known = self._compiled.put(key, self._compile_now(source, variables))
        return known

    def _compile_now(self, source: str, variables: Mapping[str, CelType]) -> Expression:
        tree, result = self._check(source, variables)
        errors = [p for p in result.problems if not p.warning]
        if errors:
            first = errors[0]
            raise CelCheckError(first.message, expression=source, line=first.line, column=first.column)
        try:
            program = self.backend.program(source, self.functions)
            return Expression(
                source,
                result.type,
                result.references,
                program,
                requirements(tree),
                result_strings(tree),
                decided(tree),
            )
        except RecursionError:
            raise CelSyntaxError(_TOO_DEEP, expression=source[:200], line=1, column=1) from None

    @cached_property
    def merges_activations(self) -> bool:
        """Whether the backend's activations are plain dicts of converted variables, which a
        caller may build per variable and merge (cel-expr-python's), rather than opaque ones."""
        return isinstance(self.backend.activation({}), dict)

    def activation(self, values: Mapping[str, Any]) -> Any:
        """Convert models and Python values once, for any number of evaluations."""
        return self.backend.activation({name: to_plain(value) for name, value in values.items()})
