"""Static facts about an expression that let the engine skip evaluating it.

``requirements`` finds the conditions an expression places on simple fields through its
top-level conjunction: ``event.kind == "created" && ...`` can only be true when ``event.kind`` is
"created"; ``ticket.priority in ["high", "urgent"] && ...`` only for those priorities. When a
required field has another value the expression is false, whatever else it says, so it need not
run. Anything not of this simple shape yields no requirement (the expression is always run).

``decided`` goes further for the commonest conditions of a policy set: an expression made of
comparisons of fields with string literals (``event.kind == "created"``, ``ticket.status in
["pending", "on_hold"]``, ``ticket.channel != "api"``, ``"vip" in ticket.tags``), bool fields,
``!``, ``&&``, ``||``, ``true`` and a string field's ``startsWith``, ``endsWith``, ``contains`` or
``matches`` of a string literal has its value decided by those fields whenever they hold what is
compared, so the engine answers it without running CEL (nor building a result-cache key); a part
of another shape runs only when the rest does not settle the whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lark

Requirements = Mapping[str, frozenset[str]]


def _only_child(node: lark.ParseTree) -> lark.ParseTree | None:
    trees = [c for c in node.children if isinstance(c, lark.Tree)]
    tokens = [c for c in node.children if isinstance(c, lark.Token)]
    return trees[0] if len(trees) == 1 and not tokens else None


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"}
)  # fmt: skip


def _unwrap(node: lark.ParseTree) -> lark.ParseTree:
    """Descend through single-child wrappers and parentheses."""
    while node.data in _WRAPPERS:
        child = _only_child(node)
        if child is None:
            return node
        node = child
    return node


def _path(node: lark.ParseTree) -> str | None:
    node = _unwrap(node)
    if node.data == "ident":
        return str(node.children[0])
    if node.data == "member_dot":
        receiver = node.children[0]
        parent = _path(receiver) if isinstance(receiver, lark.Tree) else None
        return f"{parent}.{node.children[1]}" if parent else None
    return None


def _string(node: lark.ParseTree) -> str | None:
    node = _unwrap(node)
    if node.data != "literal":
        return None
    token = node.children[0]
    if not isinstance(token, lark.Token) or token.type != "STRING_LIT":
        return None
    text = str(token)
    if text[0] in "rR":
        text = text[1:]
    if "\\" in text:
        return None  # escapes: not worth decoding here; no requirement
    return text[1:-1]


def _strings(node: lark.ParseTree) -> frozenset[str] | None:
    node = _unwrap(node)
    if node.data != "list_lit":
        return None
    items = [c for c in node.children if isinstance(c, lark.Tree)]
    values = [_string(i) for i in (items[0].children if items else []) if isinstance(i, lark.Tree)]
    return frozenset(v for v in values if v is not None) if all(v is not None for v in values) else None


def _constraints(term: lark.ParseTree) -> dict[str, frozenset[str]]:
    """A disjunction requires, of a field, any value either side requires of it."""
    term = _unwrap(term)
    if term.data == "conditionalor" and len(term.children) == 2:
        left, right = (requirements(c) for c in term.children if isinstance(c, lark.Tree))
        return {path: left[path] | right[path] for path in left.keys() & right.keys()}
    single = _constraint(term)
    return {single[0]: single[1]} if single else {}


def _constraint(term: lark.ParseTree) -> tuple[str, frozenset[str]] | None:
    if term.data != "relation" or len(term.children) != 2:
        return None
    operator, right = term.children
    if not isinstance(operator, lark.Tree) or not isinstance(right, lark.Tree):
        return None
    left = operator.children[0]
    if not isinstance(left, lark.Tree):
        return None
    if operator.data == "relation_eq":
        for path_node, value_node in ((left, right), (right, left)):
            path, value = _path(path_node), _string(value_node)
            if path and value is not None:
                return path, frozenset({value})
    if operator.data == "relation_in":
        path, values = _path(left), _strings(right)
        if path and values is not None:
            return path, values
    return None


def _excluded(term: lark.ParseTree) -> tuple[str, frozenset[str]] | None:
    """``path != "literal"`` (either way round): the value it must not have."""
    if term.data != "relation" or len(term.children) != 2:
        return None
    operator, right = term.children
    if not isinstance(operator, lark.Tree) or not isinstance(right, lark.Tree):
        return None
    if operator.data != "relation_ne":
        return None
    left = operator.children[0]
    if not isinstance(left, lark.Tree):
        return None
    for path_node, value_node in ((left, right), (right, left)):
        path, value = _path(path_node), _string(value_node)
        if path and value is not None:
            return path, frozenset({value})
    return None


def _is_true(node: lark.ParseTree) -> bool:
    node = _unwrap(node)
    if node.data != "literal" or len(node.children) != 1:
        return False
    token = node.children[0]
    return isinstance(token, lark.Token) and token.type == "BOOL_LIT" and str(token) == "true"


Condition = tuple[Any, ...]
"""A condition the engine answers from field values (see :func:`decided`), one of:
``("is", path, strings, inside)``: the string at ``path`` is (or, inside False, is not) one of
``strings``; ``("has", path, string)``: the list of strings at ``path`` holds ``string``;
``("flag", path)``: the bool at ``path``; ``("not", condition)``; ``("all", conditions)``;
``("any", conditions)`` (``true`` is ``("all", ())``); ``("text", path, method, string)``: the
string at ``path``'s ``startsWith``, ``endsWith`` or ``contains`` of ``string``; ``("match", path,
pattern)``: the string at ``path``'s ``matches`` of the literal ``pattern``; ``("cel",)``: a part
only CEL answers."""


def decided(tree: lark.ParseTree) -> Condition | None:
    """The expression as a :data:`Condition`, when it is made of comparisons of fields with
    string literals (``==``, ``!=``, ``in`` a list of strings, a string ``in`` a list field,
    ``startsWith``, ``endsWith``, ``contains``), bool fields, ``!``, ``&&``, ``||`` and ``true``,
    where any other part is an ``("cel",)`` that only CEL can answer; None when the whole of it
    is such a part.

    Whenever each field it reads holds a value of the kind its comparison takes (a string, a
    list of strings, a bool), the condition's value is the expression's; otherwise CEL decides,
    except where ``&&`` or ``||`` is already settled by one side, as CEL's own are (``true ||
    x`` is true even when ``x`` fails).
    """
    condition = _condition(tree)
    return None if condition == _CEL else condition


_CEL: Condition = ("cel",)


def _condition(tree: lark.ParseTree) -> Condition:
    node = _unwrap(tree)
    if _is_true(node):
        return ("all", ())
    if node.data in ("conditionalor", "conditionaland") and len(node.children) == 2:
        sides = [_condition(c) for c in node.children if isinstance(c, lark.Tree)]
        if len(sides) != 2:
            return _CEL
        kind = "any" if node.data == "conditionalor" else "all"
        flat: list[Condition] = []
        for side in sides:
            flat.extend(side[1] if side[0] == kind else (side,))
        return _CEL if all(part == _CEL for part in flat) else (kind, tuple(flat))
    if node.data == "unary" and len(node.children) == 2:
        operator, operand = node.children
        negation = isinstance(operator, lark.Tree) and operator.data == "unary_not" and not operator.children
        if negation and isinstance(operand, lark.Tree):
            inner = _condition(operand)
            return _CEL if inner == _CEL else ("not", inner)
        return _CEL
    wanted = _constraint(node)
    if wanted is not None:
        return ("is", wanted[0], wanted[1], True)
    unwanted = _excluded(node)
    if unwanted is not None:
        return ("is", unwanted[0], unwanted[1], False)
    item = _item(node)
    if item is not None:
        return ("has", *item)
    text = _text_test(node)
    if text is not None:
        return ("match", text[0], text[2]) if text[1] == "matches" else ("text", *text)
    path = _path(node)
    return ("flag", path) if path else _CEL


def _item(term: lark.ParseTree) -> tuple[str, str] | None:
    """``"literal" in path``: the list field and the string it must hold."""
    if term.data != "relation" or len(term.children) != 2:
        return None
    operator, right = term.children
    if (
        not isinstance(operator, lark.Tree)
        or operator.data != "relation_in"
        or not isinstance(right, lark.Tree)
    ):
        return None
    left = operator.children[0]
    if not isinstance(left, lark.Tree):
        return None
    path, value = _path(right), _string(left)
    return (path, value) if path and value is not None else None


#: CEL's string tests of one string argument, as Python's: CEL compares code points (cel-cpp
#: UTF-8 bytes, the same answer for valid UTF-8, where a match starts and ends on a boundary).
#: ``matches`` is RE2's search on both backends (see :func:`serviceflow.cel.deciders.decider`).
_TEXT_TESTS = frozenset({"startsWith", "endsWith", "contains", "matches"})


def _text_test(term: lark.ParseTree) -> tuple[str, str, str] | None:
    """``path.startsWith("literal")`` (``endsWith``, ``contains``, ``matches``): the field, method
    and literal."""
    if term.data != "member_dot_arg" or len(term.children) != 3:
        return None
    receiver, method, arguments = term.children
    if (
        not isinstance(receiver, lark.Tree)
        or not isinstance(arguments, lark.Tree)
        or method not in _TEXT_TESTS
    ):
        return None
    given = [c for c in arguments.children if isinstance(c, lark.Tree)]
    path, literal = _path(receiver), _string(given[0]) if len(given) == 1 else None
    return (path, str(method), literal) if path and literal is not None and whole(literal) else None


def whole(text: str) -> bool:
    """Whether both backends see the string as it is: cel-expr-python fails on a lone surrogate
    (no UTF-8) and reads a string value only up to its first NUL (``"a\\x00b"`` is ``"a"``)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _conjuncts(node: lark.ParseTree) -> list[lark.ParseTree]:
    node = _unwrap(node)
    if node.data == "conditionaland" and len(node.children) == 2:
        left, right = node.children
        assert isinstance(left, lark.Tree) and isinstance(right, lark.Tree)
        return [*_conjuncts(left), right]
    return [node]


def requirements(tree: lark.ParseTree) -> dict[str, frozenset[str]]:
    """Field path -> the values it must have for the expression to be true."""
    found: dict[str, frozenset[str]] = {}
    for term in _conjuncts(tree):
        for path, values in _constraints(term).items():
            found[path] = found[path] & values if path in found else values
    return found


def result_strings(tree: lark.ParseTree) -> tuple[str, ...] | None:
    """The string literals an expression can yield, when it is a literal or a chain of ``?:``
    with literal branches (a calendar chosen by name); None when it can yield anything else."""
    node = _unwrap(tree)
    if node.data == "expr" and len(node.children) == 3:
        branches = [c for c in node.children[1:] if isinstance(c, lark.Tree)]
        found = [result_strings(b) for b in branches]
        if len(found) != 2 or any(f is None for f in found):
            return None
        return tuple(v for f in found for v in f or ())
    value = _string(node)
    return (value,) if value is not None else None
