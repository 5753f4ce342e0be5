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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serviceflow.cel.analysis import requirements
from serviceflow.cel.backend import Backend, Program
from serviceflow.cel.celpy_backend import CelpyBackend
from serviceflow.cel.checker import Checker, CheckResult
from serviceflow.cel.functions import BUILTIN_FUNCTIONS, CelFunction
from serviceflow.cel.types import CelType
from serviceflow.cel.values import to_plain
from serviceflow.errors import CelCheckError

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

    def evaluate(self, activation: Any) -> Any:
        """Evaluate against an activation from :meth:`CelEnvironment.activation`.

        Raises:
            CelEvaluationError: the expression failed on these values.
        """
        return self.program.evaluate(activation)


def backend_named(name: str) -> Backend:
    """The CEL backend called ``name``: ``celpy`` (default) or ``cel-expr`` (needs serviceflow[fast])."""
    if name == "celpy":
        return CelpyBackend()
    if name == "cel-expr":
        from serviceflow.cel.celexpr_backend import CelExprBackend

        return CelExprBackend()
    raise ValueError(f"unknown CEL backend {name!r}; choose 'celpy' or 'cel-expr'")


class CelEnvironment:
    """Compiles and checks expressions, and prepares the values they run against.

    Not thread-safe (neither is cel-python): use one per thread, or from one event loop.
    """

    def __init__(
        self,
        *,
        functions: Sequence[CelFunction] = BUILTIN_FUNCTIONS,
        backend: Backend | None = None,
    ) -> None:
        self.functions = tuple(functions)
        self.backend = backend or CelpyBackend()
        self._parser = self.backend if isinstance(self.backend, CelpyBackend) else CelpyBackend()

    def check(self, source: str, variables: Mapping[str, CelType]) -> CheckResult:
        """Parse and check ``source`` without compiling it; problems are returned, not raised.

        Raises:
            CelSyntaxError: ``source`` is not valid CEL.
        """
        return self._check(source, variables)[1]

    def _check(self, source: str, variables: Mapping[str, CelType]) -> tuple[Any, CheckResult]:
        tree = self._parser.parse(source)
        return tree, Checker(variables, self.functions).check(tree)

    def compile(self, source: str, variables: Mapping[str, CelType]) -> Expression:
        """Parse, check and compile ``source`` for evaluation against ``variables``.

        Raises:
            CelSyntaxError: ``source`` is not valid CEL.
            CelCheckError: it names an unknown variable, field or function (the first problem).
        """
        tree, result = self._check(source, variables)
        if result.problems:
            first = result.problems[0]
            raise CelCheckError(first.message, expression=source, line=first.line, column=first.column)
        program = self.backend.program(source, self.functions)
        return Expression(source, result.type, result.references, program, requirements(tree))

    def activation(self, values: Mapping[str, Any]) -> Any:
        """Convert models and Python values once, for any number of evaluations."""
        return self.backend.activation({name: to_plain(value) for name, value in values.items()})
