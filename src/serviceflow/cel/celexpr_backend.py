"""An optional CEL backend on cel-expr-python: Google's C++ CEL (cel-cpp) with Python bindings.

Install it with ``pip install 'serviceflow[fast]'``. It evaluates the same plain values and custom
functions as the celpy backend, several times faster. What it takes to get there, found by
experiment with cel-expr-python 0.1.3:

* Python converts ``datetime``/``timedelta`` only where a variable is *declared* TIMESTAMP or
  DURATION; nested in a map or list seen as ``dyn`` they are refused ("Non-CEL value type").
  Protobuf ``google.protobuf.Timestamp``/``Duration`` messages are accepted anywhere and become
  CEL timestamps and durations, so activations carry those (hence the protobuf dependency).
* Expressions are compiled unchecked (``disable_check=True``): serviceflow's own checker has run
  already, the backend is not told the variables, and cel-cpp's checker would reject mistyped
  literals at compile time that celpy reports at evaluation; unchecked, both fail at evaluation.
* A ``dyn`` parameter of a custom function never matches at run time; ``google.protobuf.Any``
  is the wildcard that does.
* Evaluation errors come back as values of type ERROR (sometimes as RuntimeError), carrying an
  absl status text such as ``NOT_FOUND: Key not found in map : "q"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.cel.functions import CelFunction
from serviceflow.cel.types import CelType, ListType, MapType, StructType
from serviceflow.errors import CelEvaluationError, CelSyntaxError, ServiceflowError

try:
    from cel_expr_python import cel  # type: ignore[import-untyped]  # .pyi, but no py.typed
    from google.protobuf.duration_pb2 import Duration
    from google.protobuf.timestamp_pb2 import Timestamp
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ServiceflowError(
        f"the 'cel-expr' CEL backend needs cel-expr-python and protobuf ({exc.name} is missing);"
        " install them with: pip install 'serviceflow[fast]'"
    ) from exc

__all__ = [
    "CelExprActivation",
    "CelExprBackend",
    "CelExprProgram",
    "from_celexpr",
    "function_declarations",
    "to_celexpr",
]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def to_celexpr(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """Plain value -> what cel-expr accepts inside a ``dyn`` variable (see module docstring).

    ``memo`` converts a mapping shared by several variables (the ticket inside the event and the
    ticket itself) only once. This runs over every field once per decision: exact types first.
    """
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return value
    if kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
        # cel-expr converts a variable whole: one such int in a custom field would fail every
        # expression reading the ticket, where celpy fails only those reading that field.
        return float(value)
    if kind is datetime:  # before the ABC checks below, which are slow for a timestamp
        return _timestamp(value)
    if kind is dict or isinstance(value, Mapping):
        if memo is not None and id(value) in memo:
            return memo[id(value)]
        converted = {key: to_celexpr(item, memo) for key, item in value.items()}
        if memo is not None:
            memo[id(value)] = converted
        return converted
    if kind is list or isinstance(value, list | tuple):
        return [to_celexpr(item, memo) for item in value]
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, timedelta):
        span = Duration()
        span.FromTimedelta(value)  # keeps seconds and nanos of one sign, as Duration requires
        return span
    return value


def _timestamp(value: datetime) -> Timestamp:
    since = value - _EPOCH  # aware (see serviceflow.cel.values); 3x faster than FromDatetime
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def from_celexpr(value: Any) -> Any:
    """``Value.plain_value()`` is nearly plain already; bytes and types need a hand.

    Bytes come back as bytearray, and a CEL type (``type(x)``) as a cel.Type, whose ``==`` raises
    TypeError against anything else; it becomes its CEL name ("int", "list", ...).
    """
    if isinstance(value, dict):
        return {from_celexpr(key): from_celexpr(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_celexpr(item) for item in value]
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, cel.Type):
        return value.name().partition("<")[0].lower()
    return value


_ERROR = cel.Type.ERROR
_ANY = cel.Type("google.protobuf.Any")  # the run-time wildcard; cel.Type.DYN matches nothing
_SCALARS = {
    "bool": cel.Type.BOOL,
    "int": cel.Type.INT,
    "double": cel.Type.DOUBLE,
    "string": cel.Type.STRING,
    "timestamp": cel.Type.TIMESTAMP,
    "duration": cel.Type.DURATION,
    "null": cel.Type.NULL,
}


def _cel_type(cel_type: CelType, *, parameter: bool) -> Any:
    """serviceflow's CelType -> cel.Type; models are maps at run time, so structs are maps."""
    if isinstance(cel_type, ListType):
        return cel.Type.List(_cel_type(cel_type.element, parameter=False))
    if isinstance(cel_type, MapType):
        return cel.Type.Map(cel.Type.STRING, _cel_type(cel_type.value, parameter=False))
    if isinstance(cel_type, StructType):
        return cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
    if cel_type.name in _SCALARS:
        return _SCALARS[cel_type.name]
    return _ANY if parameter else cel.Type.DYN


def _wrap(function: CelFunction) -> Callable[..., Any]:
    """cel-expr hands the implementation plain values; its result must be made CEL-ready."""

    def call(*args: Any) -> Any:
        try:
            return to_celexpr(function.impl(*(from_celexpr(arg) for arg in args)))
        except Exception as exc:  # a policy's bad argument must not escape as a crash
            raise ValueError(f"{function.name}(): {exc}") from None

    return call


def function_declarations(functions: Sequence[CelFunction]) -> list[Any]:
    """One declaration per name, so a plugin may add overloads to a name already taken."""
    overloads: dict[str, list[Any]] = {}
    for index, function in enumerate(functions):
        overloads.setdefault(function.name, []).append(
            cel.Overload(
                f"serviceflow_{function.name}_{index}",
                _cel_type(function.result, parameter=False),
                [_cel_type(param, parameter=True) for param in function.params],
                impl=_wrap(function),
            )
        )
    return [cel.FunctionDecl(name, group) for name, group in overloads.items()]


# "INVALID_ARGUMENT: ERROR: <input>:2:7: Syntax error: token recognition error at: '$'\n | ..."
_COMPILE_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): (?:Syntax error: )?([^\n]*)")
_STATUS = re.compile(r"^[A-Z_]+: |\s*\[[A-Z_]+\]$")


def _status_text(text: str) -> str:
    """Drop absl's status code prefix and suffix: the message is for policy authors."""
    return _STATUS.sub("", text.strip())


def _syntax_message(detail: str) -> str:
    """Say it as the celpy backend does, so a policy error reads the same on either backend."""
    if detail.startswith("token recognition error at: "):
        text = detail.removeprefix("token recognition error at: ").strip("'")
        if text[:1] in "\"'":
            return "syntax error: unterminated string"
        return f"syntax error: unexpected character {text[:1]!r}"
    if "'<EOF>'" in detail:
        return "syntax error: the expression ends too early"
    unexpected = re.match(r"(?:mismatched|extraneous) input '(.*?)' expecting", detail)
    if unexpected:
        return f"syntax error: unexpected {unexpected.group(1)!r}"
    return f"syntax error: {detail}"


class CelExprActivation(dict[str, Any]):
    """Converted variables, as a dict (callers merge and slice activations as dicts), which also
    keeps the cel-expr Activation built from them, on first use.

    cel-expr converts a variable into CEL values when an evaluation first reads it, and keeps the
    result in the Activation: on a prebuilt Activation reading ``ticket.tags`` takes about 1.5 µs,
    on a fresh one (or with ``eval(data=...)``) 10-15 µs.
    """

    def __init__(self, data: Mapping[str, Any], env: Any) -> None:
        super().__init__(data)
        self._env = env
        self._compiled: Any = None

    @property
    def compiled(self) -> Any:
        if self._compiled is None:
            self._compiled = self._env.Activation(dict(self))
        return self._compiled


class _ActivationCache:
    """cel-expr Activations for plain dicts of converted values, by the identity of those values.

    The engine hands each expression a new dict holding just the variables it reads, made from
    the same converted values throughout a decision; rebuilding the Activation per expression
    would convert the ticket again every time (see CelExprActivation).
    """

    def __init__(self, env: Any, size: int = 32) -> None:
        self._env = env
        self._size = size
        # key -> (the values, held so their ids cannot be reused; the Activation)
        self._entries: dict[frozenset[tuple[str, int]], tuple[list[Any], Any]] = {}

    def __call__(self, activation: Any) -> Any:
        if isinstance(activation, CelExprActivation):
            return activation.compiled
        key = frozenset((name, id(value)) for name, value in activation.items())
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= self._size:
                del self._entries[next(iter(self._entries))]  # the oldest
            entry = self._entries[key] = (list(activation.values()), self._env.Activation(dict(activation)))
        return entry[1]


class CelExprProgram:
    def __init__(self, source: str, expression: Any, activations: _ActivationCache) -> None:
        self.source = source
        self._expression = expression
        self._activations = activations

    def evaluate(self, activation: Any) -> Any:
        try:
            result = self._expression.eval(self._activations(activation))
        except RuntimeError as exc:  # e.g. a function returned what cel-expr cannot convert
            raise CelEvaluationError(_status_text(str(exc)), expression=self.source) from None
        # An error's plain value is its message; asking for the type only then saves about 1 µs
        # of a typical 2-5 µs evaluation.
        value = result.plain_value()
        if isinstance(value, str) and result.type() == _ERROR:
            raise CelEvaluationError(_status_text(value), expression=self.source)
        return value if isinstance(value, bool | int | float | str) else from_celexpr(value)


def _refuse_lone_surrogates(source: str) -> None:
    """cel-expr takes UTF-8 text: a lone surrogate (YAML's "\\ud800") made pybind11 raise a bare
    TypeError from compile; it is a syntax error where it stands (1-based, as cel-expr counts)."""
    try:
        source.encode()
    except UnicodeEncodeError as exc:
        raise CelSyntaxError(
            f"syntax error: U+{ord(source[exc.start]):04X} is half of a surrogate pair, not a "
            "character: write the character itself",
            expression=source,
            line=source.count("\n", 0, exc.start) + 1,
            column=exc.start - source.rfind("\n", 0, exc.start),
        ) from None


class CelExprBackend:
    """cel-cpp through cel-expr-python; one cel-expr environment per set of custom functions."""

    name = "cel-expr"

    def __init__(self) -> None:
        self._plain_env = cel.NewEnv()
        self._activations = _ActivationCache(self._plain_env)
        self._envs: dict[tuple[CelFunction, ...], Any] = {}

    def _env(self, functions: Sequence[CelFunction]) -> Any:
        key = tuple(functions)
        if key not in self._envs:
            self._envs[key] = cel.NewEnv(functions=function_declarations(key))
        return self._envs[key]

    def program(self, source: str, functions: Sequence[CelFunction]) -> CelExprProgram:
        _refuse_lone_surrogates(source)
        try:
            expression = self._env(functions).compile(source, disable_check=True)
        except RuntimeError as exc:
            found = _COMPILE_ERROR.search(str(exc))
            if found is None:
                raise CelSyntaxError(f"syntax error: {_status_text(str(exc))}", expression=source) from None
            line, column, detail = found.groups()  # cel-expr's columns are 1-based already
            raise CelSyntaxError(
                _syntax_message(detail), expression=source, line=int(line), column=int(column)
            ) from None
        return CelExprProgram(source, expression, self._activations)

    def activation(self, plain: Mapping[str, Any]) -> CelExprActivation:
        """Activations hold only data (functions live in the environments): one env builds all."""
        memo: dict[int, Any] = {}
        converted = {name: to_celexpr(value, memo) for name, value in plain.items()}
        return CelExprActivation(converted, self._plain_env)
