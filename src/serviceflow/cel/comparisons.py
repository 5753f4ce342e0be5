"""Comparisons the checker refuses: values of different types (an enum with a number), a string
literal an enum field never holds; and ordering an enum as text, a warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lark

from serviceflow.cel.tree import is_type, left_operand, string_literal, suggest
from serviceflow.cel.types import NULL, CelType, ScalarType

if TYPE_CHECKING:
    from serviceflow.cel.checker import Checker


def check_comparison(checker: Checker, operator: lark.ParseTree, left: CelType, right: CelType) -> None:
    """Both sides of a comparison must be of one type (numbers of any kind compare); an enum
    compares by its text, so ordering one (``priority > "normal"``) is a mistake."""
    numbers = ("int", "double")
    known = [t for t in (left, right) if isinstance(t, ScalarType) and not is_type(t, NULL)]
    if len(known) == 2 and left.name != right.name and not (left.name in numbers and right.name in numbers):
        enum = next((t for t in known if t.values), None)
        what = f"one of {', '.join(enum.values)}" if enum else f"a {left.name}"
        checker.problem(
            left_operand(operator),
            f"cannot compare {what} with a {right.name if enum is left or not enum else left.name}: "
            "it is never equal and has no order",
        )
        return
    ordering = operator.data in ("relation_lt", "relation_le", "relation_gt", "relation_ge")
    enum = next((t for t in known if t.values), None)
    if ordering and enum is not None:
        checker.problem(
            left_operand(operator),
            f"an order comparison of {', '.join(enum.values)} compares text, not rank; "
            f"write e.g. 'x in [\"{enum.values[-1]}\"]'",
            warning=True,
        )


def check_enum_literal(checker: Checker, type_: CelType, other: lark.ParseTree) -> None:
    if not isinstance(type_, ScalarType) or not type_.values:
        return
    literal = string_literal(other)
    if literal is not None and literal[0] not in type_.values:
        value, token = literal
        checker.problem(
            token,
            f"'{value}' is never a value here{suggest(value, type_.values)}; "
            f"values: {', '.join(type_.values)}",
        )
