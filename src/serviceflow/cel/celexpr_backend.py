"""An optional, much faster CEL backend: cel-expr-python (Google's C++ CEL), behind the same seam.

Install it with ``pip install 'serviceflow[fast]'``. Expressions are still parsed and checked by
serviceflow's own checker first; here they are compiled with cel-expr's checker off, so variables
are resolved from the activation at run time, exactly as with cel-python.

cel-expr accepts ``datetime``/``timedelta`` only as top-level variables; inside maps and lists
(``ticket.created_at``) it needs protobuf ``Timestamp``/``Duration`` messages, so activations
convert them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.cel.functions import CelFunction
from serviceflow.cel.types import CelType, ListType, MapType
from serviceflow.errors import CelEvaluationError, CelSyntaxError, ServiceflowError

try:
    import cel_expr_python.cel as cel
    from google.protobuf import duration_pb2, timestamp_pb2
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ServiceflowError(
        "the cel-expr backend needs cel-expr-python: pip install 'serviceflow[fast]'"
    ) from exc

_ERROR_AT = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")


def _type(cel_type: CelType) -> Any:
    if isinstance(cel_type, ListType):
        return cel.Type.List(cel.Type.DYN)
    if isinstance(cel_type, MapType):
        return cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
    return {
        "bool": cel.Type.BOOL,
        "int": cel.Type.INT,
        "double": cel.Type.DOUBLE,
        "string": cel.Type.STRING,
        "timestamp": cel.Type.TIMESTAMP,
        "duration": cel.Type.DURATION,
    }.get(cel_type.name, cel.Type.DYN)


def to_celexpr(value: Any) -> Any:
    """Plain value -> what cel-expr accepts anywhere in an activation."""
    if isinstance(value, datetime):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(value.astimezone(UTC).replace(tzinfo=None))
        return stamp
    if isinstance(value, timedelta):
        duration = duration_pb2.Duration()
        duration.FromTimedelta(value)
        return duration
    if isinstance(value, Mapping):
        return {k: to_celexpr(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_celexpr(v) for v in value]
    return value


def from_celexpr(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, timestamp_pb2.Timestamp):
        return value.ToDatetime(tzinfo=UTC)
    if isinstance(value, duration_pb2.Duration):
        return value.ToTimedelta()
    if isinstance(value, Mapping):
        return {from_celexpr(k): from_celexpr(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_celexpr(v) for v in value]
    return value


def _wrap(function: CelFunction) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return function.impl(*(from_celexpr(a) for a in args))

    return call


class CelExprProgram:
    def __init__(self, source: str, expression: Any) -> None:
        self.source = source
        self._expression = expression

    def evaluate(self, activation: Any) -> Any:
        try:
            result = self._expression.eval(data=activation)
        except Exception as exc:  # cel-expr raises RuntimeError with a status text
            raise CelEvaluationError(_status_text(str(exc)), expression=self.source) from None
        if result.type() == cel.Type.ERROR:
            raise CelEvaluationError(_status_text(str(result.value())), expression=self.source)
        return from_celexpr(result.plain_value())


class CelExprBackend:
    name = "cel-expr"

    def __init__(self) -> None:
        self._env: Any = None
        self._functions: tuple[CelFunction, ...] | None = None

    def _environment(self, functions: Sequence[CelFunction]) -> Any:
        functions = tuple(functions)
        if self._env is None or functions != self._functions:
            declarations = [
                cel.FunctionDecl(
                    f.name,
                    [
                        cel.Overload(
                            f"{f.name}_{len(f.params)}",
                            _type(f.result),
                            [_type(p) for p in f.params],
                            impl=_wrap(f),
                        )
                    ],
                )
                for f in functions
            ]
            self._env = cel.NewEnv(functions=declarations)
            self._functions = functions
        return self._env

    def program(self, source: str, functions: Sequence[CelFunction]) -> CelExprProgram:
        env = self._environment(functions)
        try:
            expression = env.compile(source, disable_check=True)
        except RuntimeError as exc:
            match = _ERROR_AT.search(str(exc))
            if match is None:
                raise CelSyntaxError(str(exc), expression=source) from None
            raise CelSyntaxError(
                match.group(3).strip(),
                expression=source,
                line=int(match.group(1)),
                column=int(match.group(2)) + 1,
            ) from None
        return CelExprProgram(source, expression)

    def activation(self, plain: Mapping[str, Any]) -> dict[str, Any]:
        return {name: to_celexpr(value) for name, value in plain.items()}


def _status_text(text: str) -> str:
    """'NOT_FOUND: Key not found in map : "x"' -> 'Key not found in map : "x"'."""
    return re.sub(r"^[A-Z_]+: ", "", text.strip())
