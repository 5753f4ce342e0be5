"""Evaluating a decision's rules: one activation per decision, and no rule error escapes.

A CEL error on one ticket never crashes the engine: it is recorded with the rule that raised it,
and the caller's safe default is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.cel.values import to_plain
from serviceflow.errors import CelEvaluationError


@dataclass(frozen=True)
class RuleError:
    policy: str
    rule: str
    message: str
    default: str

    def __str__(self) -> str:
        return f"{self.policy}/{self.rule}: {self.message} (used: {self.default})"


@dataclass
class Evaluator:
    """Evaluates compiled expressions against one set of variables, counting evaluations."""

    environment: CelEnvironment
    values: dict[str, Any]
    errors: list[RuleError] = field(default_factory=list)
    evaluations: int = 0

    def __post_init__(self) -> None:
        self._plain = {name: to_plain(value) for name, value in self.values.items()}
        self._activation = self.environment.backend.activation(self._plain)

    def with_values(self, **extra: Any) -> Evaluator:
        """Another evaluator with more variables (an agent, a remedy), sharing the error list."""
        child = Evaluator.__new__(Evaluator)
        child.environment = self.environment
        child.values = {**self.values, **extra}
        child.errors = self.errors
        child.evaluations = 0
        child._plain = {**self._plain, **{k: to_plain(v) for k, v in extra.items()}}
        child._activation = self.environment.backend.activation(child._plain)
        return child

    def _run(self, expression: Expression) -> Any:
        self.evaluations += 1
        return expression.evaluate(self._activation)

    def test(
        self, expression: Expression, *, policy: str, rule: str, default: bool = False
    ) -> bool:
        """A condition's value; ``default`` (recorded as an error) when it fails or is not a bool."""
        try:
            value = self._run(expression)
        except CelEvaluationError as exc:
            self.errors.append(RuleError(policy, rule, exc.message, str(default).lower()))
            return default
        if not isinstance(value, bool):
            self.errors.append(
                RuleError(
                    policy, rule, f"yielded {type(value).__name__}, not bool", str(default).lower()
                )
            )
            return default
        return value

    def moment(
        self, expression: Expression, *, policy: str, rule: str, base: datetime
    ) -> datetime | timedelta | None:
        """A duration or timestamp; None (recorded as an error) when it fails."""
        try:
            value = self._run(expression)
        except CelEvaluationError as exc:
            self.errors.append(RuleError(policy, rule, exc.message, "the rule is skipped"))
            return None
        if isinstance(value, timedelta | datetime):
            return value
        self.errors.append(
            RuleError(policy, rule, f"yielded {type(value).__name__}, not a duration", "skipped")
        )
        return None
