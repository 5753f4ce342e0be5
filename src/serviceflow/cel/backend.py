"""What a CEL engine must provide to serve serviceflow: the narrow seam between policies and CEL.

A backend compiles source text into a program and prepares activations from plain values (see
:mod:`serviceflow.cel.values`); programs evaluate to plain Python values. Syntax and evaluation
failures are raised as serviceflow's own :class:`~serviceflow.errors.CelError` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from serviceflow.cel.functions import CelFunction


class Program(Protocol):
    def evaluate(self, activation: Any) -> Any:
        """Run the program; returns a plain Python value or raises CelEvaluationError."""
        ...


class Backend(Protocol):
    name: str

    def program(self, source: str, functions: Sequence[CelFunction]) -> Program:
        """Compile ``source``; raises CelSyntaxError with line and column."""
        ...

    def activation(self, plain: Mapping[str, Any]) -> Any:
        """Prepare variables once, for many programs to evaluate against."""
        ...
