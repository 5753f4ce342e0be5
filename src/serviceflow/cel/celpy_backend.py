"""The default CEL backend: cel-python (``celpy``), pure Python, transpiled to Python code."""

from __future__ import annotations

import itertools
import logging
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

from serviceflow.cel.functions import CelFunction
from serviceflow.errors import CelEvaluationError, CelSyntaxError

# celpy logs every evaluation error it raises; serviceflow reports them itself, with context.
logging.getLogger("celpy").setLevel(logging.CRITICAL)


def _accept_python_bools(function: Callable[..., Any]) -> Callable[..., Any]:
    """celpy 0.5's transpiled ``has()`` yields a Python bool, which its own ``!`` refuses
    ("no such overload: not <class 'bool'>"), so ``!has(ticket.assignee)`` failed. Wrap the
    operator to accept it, under the name the transpiler emits."""

    def wrapped(*args: Any) -> Any:
        return function(*(celtypes.BoolType(a) if type(a) is bool else a for a in args))

    wrapped.__module__ = function.__module__
    wrapped.__qualname__ = function.__qualname__
    return wrapped


if not hasattr(celtypes.logical_not, "__wrapped_bools__"):
    for _name, _operator in (
        ("!_", "logical_not"),
        ("_&&_", "logical_and"),
        ("_||_", "logical_or"),
    ):
        _patched = _accept_python_bools(getattr(celtypes, _operator))
        _patched.__wrapped_bools__ = True  # type: ignore[attr-defined]
        setattr(celtypes, _operator, _patched)
        if _name in celpy.evaluation.base_functions:
            celpy.evaluation.base_functions[_name] = _patched


class _CompiledPatterns:
    """What celpy's ``matches()`` calls as ``re2``: ``search`` with each pattern compiled once.

    celpy runs ``re2.search(pattern, text)``, and google-re2's ``search`` builds an ``Options``
    and a tuple of its settings on every call before its own cache finds the compiled pattern
    (6 % of a backtest's replay, where an owner rule's ``matches()`` runs on every ticket). A
    policy set's patterns are its literals: few, and bounded here all the same.
    """

    SIZE = 512

    def __init__(self, module: Any) -> None:
        self._module = module
        self.error = module.error
        self._compiled: dict[str, Any] = {}

    def search(self, pattern: str, text: str) -> Any:
        compiled = self._compiled.get(pattern)
        if compiled is None:
            if len(self._compiled) >= self.SIZE:
                self._compiled.clear()
            compiled = self._compiled[pattern] = self._module.compile(pattern)
        return compiled.search(text)

    def __getattr__(self, name: str) -> Any:  # anything else celpy may use of the module
        return getattr(self._module, name)


_celpy_namespace = vars(celpy.evaluation)
if not isinstance(_celpy_namespace["re2"], _CompiledPatterns):
    _celpy_namespace["re2"] = _CompiledPatterns(_celpy_namespace["re2"])

# -- cost: a budget of iterations per evaluation ----------------------------------------------------

#: How many items the macros (exists, all, map, filter) of one evaluation may visit in all: a rule
#: over its budget fails like any other rule error (its safe default applies), and never freezes
#: the worker. cel-python visits about 15,000 items a second, so this bounds one evaluation to
#: about 0.15 s; a rule with two nested macros over 40 tags needs 1,640.
MAX_ITERATIONS = 2_000

_budget = threading.local()
# cel-python's compiled runner keeps each evaluation's state in its module's globals, so two
# evaluations must never overlap: every evaluation in the process takes this lock.
_evaluating = threading.Lock()


class CostExceeded(Exception):
    """A rule needed more than its budget of iterations."""


def _metered(macro: Callable[..., Any]) -> Callable[..., Any]:
    """A macro of cel-python whose list is counted against the evaluation's budget."""

    def counted(activation: Any, bind: str, expression: Any, generate: Callable[..., Any]) -> Any:
        def items(inner: Any) -> Any:
            for item in generate(inner):
                _budget.left -= 1
                if _budget.left < 0:
                    raise CostExceeded(
                        f"over its budget of {MAX_ITERATIONS} iterations (a list too long for it)"
                    )
                yield item

        return macro(activation, bind, expression, items)

    counted.__wrapped_budget__ = True  # type: ignore[attr-defined]
    return counted


for _macro in ("macro_map", "macro_filter", "macro_exists", "macro_all", "macro_exists_one"):
    _original = getattr(celpy.evaluation, _macro)
    if not hasattr(_original, "__wrapped_budget__"):
        setattr(celpy.evaluation, _macro, _metered(_original))


class _Unconverted:
    """A plain value inside a LazyMap, not yet converted to celpy."""

    __slots__ = ("plain",)

    def __init__(self, plain: Any) -> None:
        self.plain = plain


class LazyMap(celtypes.MapType):
    """A celpy map that converts a value only when an expression reads it.

    Most conditions read two or three fields of a ticket; converting every field (and every
    nested requester, tag and custom field) on every decision was the largest cost in the engine.
    """

    def __init__(self, plain: Mapping[str, Any], memo: dict[int, Any] | None) -> None:
        dict.__init__(self)
        self._memo = memo
        for key, value in plain.items():
            # A placeholder, deliberately not a celpy Value: __getitem__ converts it on first read.
            dict.__setitem__(self, celtypes.StringType(key), _Unconverted(value))  # type: ignore[misc]

    def __getitem__(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, _Unconverted):
            value = to_celpy(value.plain, self._memo)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any | None = None) -> Any:
        if key in self:
            return self[key]
        return super().get(key, default)

    def _convert_all(self) -> None:
        for key in list(dict.keys(self)):
            self[key]

    def values(self) -> Any:
        self._convert_all()
        return super().values()

    def items(self) -> Any:
        self._convert_all()
        return super().items()

    def __eq__(self, other: Any) -> bool:
        self._convert_all()
        if isinstance(other, LazyMap):
            other._convert_all()
        return super().__eq__(other)

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def to_celpy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """Plain value (see serviceflow.cel.values) -> celpy value.

    ``memo`` converts a mapping shared by several variables (the ticket inside the event and the
    ticket itself) only once.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, timedelta):
        return celtypes.DurationType(value)
    if isinstance(value, dict):
        if memo is not None and id(value) in memo:
            return memo[id(value)]
        converted = LazyMap(value, memo)
        if memo is not None:
            memo[id(value)] = converted
        return converted
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_celpy(v, memo) for v in value])
    raise TypeError(f"cannot convert {type(value).__name__} to a CEL value")


def from_celpy(value: Any) -> Any:
    """celpy value -> plain Python value."""
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.TimestampType):
        return datetime.fromtimestamp(value.timestamp(), tz=value.tzinfo)
    if isinstance(value, celtypes.DurationType):
        return timedelta(seconds=value.total_seconds())
    if isinstance(value, celtypes.MapType):
        return {from_celpy(k): from_celpy(v) for k, v in value.items()}
    if isinstance(value, _Unconverted):
        return value.plain
    if isinstance(value, celtypes.ListType):
        return [from_celpy(v) for v in value]
    return value


def _error_text(error: BaseException) -> str:
    """celpy nests its errors as ("evaluation error", type, (message, type, args)); unwrap them."""
    args = error.args
    while (
        len(args) == 3 and isinstance(args[2], tuple) and args[0] in ("evaluation error", "no such overload")
        and args[2] and isinstance(args[2][0], str)
    ):  # fmt: skip
        if args[0] == "no such overload":
            return f"no such overload: {args[2][0]}"
        args = args[2]
    return str(args[0]) if args else type(error).__name__


# celpy's transpiler emits calls as ``<func.__module__>.<func.__qualname__>(...)`` and runs them in
# the namespace of ``celpy.evaluation``; our functions are published there under one name.
_NAMESPACE = "_serviceflow_cel_functions"
_published = types.SimpleNamespace()
vars(celpy.evaluation)[_NAMESPACE] = _published
_counter = itertools.count()


def _wrap(function: CelFunction) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        try:
            return to_celpy(function.impl(*(from_celpy(a) for a in args)))
        except Exception as exc:  # a policy's bad argument must not escape as a crash
            return CELEvalError(f"{function.name}(): {exc}", type(exc), exc.args)

    name = f"{function.name}_{next(_counter)}"
    call.__module__ = _NAMESPACE
    call.__qualname__ = name
    setattr(_published, name, call)
    return call


class CelpyProgram:
    def __init__(self, source: str, runner: celpy.Runner) -> None:
        self.source = source
        self._runner = runner

    def evaluate(self, activation: Any) -> Any:
        try:
            with _evaluating:
                _budget.left = MAX_ITERATIONS
                result = self._runner.evaluate(activation)
        except CELEvalError as exc:
            raise CelEvaluationError(_error_text(exc), expression=self.source) from None
        except (TypeError, ValueError, KeyError, ZeroDivisionError, OverflowError) as exc:
            raise CelEvaluationError(str(exc), expression=self.source) from None
        if isinstance(result, CELEvalError):
            raise CelEvaluationError(_error_text(result), expression=self.source)
        return from_celpy(result)


class CelpyBackend:
    """cel-python, with its transpiling runner (several times faster than the tree walker)."""

    name = "celpy"

    def __init__(self) -> None:
        self._env = celpy.Environment(runner_class=celpy.CompiledRunner)

    def parse(self, source: str) -> Any:
        try:
            return self._env.compile(source)
        except CELParseError as exc:
            line, column = exc.line, exc.column
            cause = exc.__context__
            if isinstance(cause, lark.exceptions.UnexpectedToken) and cause.token.type == "$END":
                # Point just past the end, where something is missing, not at the last token.
                lines = source.rstrip().splitlines() or [""]
                line, column = len(lines), len(lines[-1]) + 1
            raise CelSyntaxError(
                _syntax_message(cause), expression=source, line=line, column=column
            ) from None

    def program(self, source: str, functions: Sequence[CelFunction]) -> CelpyProgram:
        ast = self.parse(source)
        runner = self._env.program(ast, functions={f.name: _wrap(f) for f in functions})
        return CelpyProgram(source, runner)

    def activation(self, plain: Mapping[str, Any]) -> dict[str, Any]:
        memo: dict[int, Any] = {}
        return {name: to_celpy(value, memo) for name, value in plain.items()}


def _syntax_message(cause: BaseException | None) -> str:
    """Turn the parser's complaint into a sentence a policy author can act on."""
    if isinstance(cause, lark.exceptions.UnexpectedToken):
        if cause.token.type == "$END":
            return "syntax error: the expression ends too early"
        return f"syntax error: unexpected {cause.token.value!r}"
    if isinstance(cause, lark.exceptions.UnexpectedCharacters):
        if cause.char in "\"'":
            return "syntax error: unterminated string"
        return f"syntax error: unexpected character {cause.char!r}"
    return "syntax error"
