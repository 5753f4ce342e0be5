"""Calls whose arguments are all constants (``duration("30mins")``, the regex of ``matches``):
the checker notes them, and :class:`~serviceflow.cel.CelEnvironment` runs them once at check
time, so what would fail on every ticket fails when the policy is validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import lark

from serviceflow.cel.tree import first_token, list_items

if TYPE_CHECKING:
    from serviceflow.cel.checker import Checker


@dataclass(frozen=True)
class ConstantCall:
    """A call whose arguments are all literals, so it can be run once at check time: the text to
    run (a method's receiver replaced by a literal when only its arguments are constant)."""

    source: str
    shown: str
    line: int
    column: int
    pattern: bool = False  # ``source`` is the literal regex of a matches()


def text(checker: Checker, node: lark.ParseTree) -> str | None:
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True) or not checker.source:
        return None
    return checker.source[meta.start_pos : meta.end_pos]


def constant(checker: Checker, node: lark.ParseTree) -> bool:
    """A literal, or a list of literals: its value is known without any data."""
    current = node
    while len(current.children) == 1 and isinstance(current.children[0], lark.Tree):
        if current.data in ("literal", "list_lit"):
            break
        current = current.children[0]
    if current.data == "literal":
        return True
    if current.data == "list_lit":
        return all(constant(checker, item) for item in list_items(current))
    return False


def note_constant(
    checker: Checker, node: lark.ParseTree, args: list[lark.ParseTree], *, pattern: bool = False
) -> None:
    """Remember a call whose arguments are constants, to run it at check time; a ``pattern``
    (the regex of ``matches``) runs against an empty string, whatever it is matched with."""
    if not args or not all(constant(checker, arg) for arg in args):
        return
    shown = text(checker, node)
    texts = [text(checker, arg) for arg in args]
    if shown is None or any(t is None for t in texts):
        return
    token = first_token(node)
    line, column = (token.line or 1, token.column or 1) if token else (1, 1)
    checker.constants.append(
        ConstantCall(texts[-1] or "" if pattern else shown, shown, line, column, pattern)
    )
