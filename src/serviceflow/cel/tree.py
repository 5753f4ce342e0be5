"""Small helpers over cel-python's parse trees, and the result types of CEL's own functions."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import lark

from serviceflow.cel.types import BOOL, DOUBLE, DURATION, DYN, INT, NULL, STRING, TIMESTAMP, CelType, ListType

GLOBAL_RESULTS: dict[str, CelType] = {
    "size": INT, "int": INT, "uint": INT, "double": DOUBLE, "string": STRING, "bool": BOOL,
    "duration": DURATION, "timestamp": TIMESTAMP, "matches": BOOL, "has": BOOL,
}  # fmt: skip
METHOD_RESULTS: dict[str, CelType] = {
    "size": INT, "contains": BOOL, "startsWith": BOOL, "endsWith": BOOL, "matches": BOOL,
    "exists": BOOL, "all": BOOL, "exists_one": BOOL,
}  # fmt: skip
LITERALS: dict[str, CelType] = {
    "INT_LIT": INT, "UINT_LIT": INT, "FLOAT_LIT": DOUBLE, "STRING_LIT": STRING,
    "MLSTRING_LIT": STRING, "BOOL_LIT": BOOL, "NULL_LIT": NULL,
}  # fmt: skip


def tokens(node: lark.ParseTree) -> list[lark.Token]:
    return [c for c in node.children if isinstance(c, lark.Token)]


def subtrees(node: lark.ParseTree) -> list[lark.ParseTree]:
    return [c for c in node.children if isinstance(c, lark.Tree)]


def left_operand(operator: lark.ParseTree) -> lark.ParseTree:
    """A binary operator node's first child: the left operand, a subtree by the grammar."""
    operand = operator.children[0]
    assert isinstance(operand, lark.Tree), operand
    return operand


def first_token(node: lark.ParseTree | lark.Token) -> lark.Token | None:
    if isinstance(node, lark.Token):
        return node
    for child in node.children:
        if child is not None and (token := first_token(child)) is not None:
            return token
    return None


def suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def is_type(type_: CelType, *wanted: CelType) -> bool:
    return any(type_.name == w.name for w in wanted)


def compatible(given: CelType, wanted: CelType) -> bool:
    if given is DYN or wanted is DYN or given.name == "dyn" or wanted.name == "dyn":
        return True
    if isinstance(wanted, ListType) and isinstance(given, ListType):
        return True
    return given.name == wanted.name


def bare_ident(node: lark.ParseTree) -> str | None:
    current: lark.ParseTree | lark.Token = node
    while isinstance(current, lark.Tree) and len(current.children) == 1:
        if current.data == "ident":
            return str(current.children[0])
        current = current.children[0]
    return None


def list_items(node: lark.ParseTree) -> list[lark.ParseTree]:
    current: lark.ParseTree = node
    while current.data != "list_lit":
        children = subtrees(current)
        if len(children) != 1:
            return []
        current = children[0]
    lists = subtrees(current)
    return subtrees(lists[0]) if lists else []


def string_literal(node: lark.ParseTree) -> tuple[str, lark.Token] | None:
    current: lark.ParseTree = node
    while True:
        children = current.children
        if current.data == "literal":
            token = children[0]
            if isinstance(token, lark.Token) and token.type == "STRING_LIT":
                text = str(token)
                raw = text[1:] if text[0] in "rR" else text
                return raw[1:-1], token
            return None
        if len(children) != 1 or not isinstance(children[0], lark.Tree):
            return None
        current = children[0]
