"""A static checker for CEL over serviceflow's variables.

cel-python has no type checker, so a typo such as ``ticket.priorty`` would only show up when a
ticket arrives. This walks the parse tree once at load time and reports, with line and column:
unknown variables, unknown fields of known structs, unknown functions, wrong argument counts,
comparisons of an enum field with a value it can never have; and it infers the result type where
it can. It also records which variable paths the expression reads (``ticket.tags``, ``event.kind``),
so the engine can skip rules that an input cannot affect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import lark

from serviceflow.cel.comparisons import check_comparison, check_enum_literal
from serviceflow.cel.constants import ConstantCall, constant, note_constant
from serviceflow.cel.functions import MACROS, STANDARD_GLOBALS, STANDARD_METHODS, CelFunction
from serviceflow.cel.tree import (
    GLOBAL_RESULTS,
    LITERALS,
    METHOD_RESULTS,
    bare_ident,
    compatible,
    first_token,
    is_type,
    left_operand,
    list_items,
    subtrees,
    suggest,
    tokens,
)
from serviceflow.cel.types import (
    BOOL,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    NULL,
    STRING,
    TIMESTAMP,
    CelType,
    ListType,
    MapType,
    ScalarType,
    StructType,
    list_of,
    map_of,
)

#: Macros (exists, all, map, filter...) nested deeper than this are refused: each level multiplies
#: the work by a list's length (four levels over 40 tags froze a worker for 95 s).
MAX_COMPREHENSION_DEPTH = 2
#: A list written in an expression holds at most this many items.
MAX_LIST_LITERAL = 1000


@dataclass(frozen=True)
class CheckProblem:
    message: str
    line: int
    column: int
    warning: bool = False


@dataclass
class CheckResult:
    type: CelType
    references: frozenset[str]
    problems: list[CheckProblem] = field(default_factory=list)
    constants: list[ConstantCall] = field(default_factory=list)


class Checker:
    """Checks one expression against the variables in scope and the declared functions."""

    def __init__(
        self, variables: Mapping[str, CelType], functions: Sequence[CelFunction], source: str = ""
    ) -> None:
        self.variables = dict(variables)
        self.functions = {f.name: f for f in functions}
        self.problems: list[CheckProblem] = []
        self.references: set[str] = set()
        self.scopes: list[dict[str, CelType]] = []
        self.source = source
        self.constants: list[ConstantCall] = []

    def check(self, tree: lark.ParseTree) -> CheckResult:
        result = self.infer(tree)
        return CheckResult(result, frozenset(self.references), self.problems, self.constants)

    def problem(self, where: lark.ParseTree | lark.Token, message: str, *, warning: bool = False) -> None:
        token = first_token(where)
        line, column = (token.line or 1, token.column or 1) if token else (1, 1)
        self.problems.append(CheckProblem(message, line, column, warning))

    # -- constant calls --------------------------------------------------------------------------

    # -- the walk ------------------------------------------------------------------------------

    def infer(self, node: lark.ParseTree) -> CelType:
        handler = getattr(self, f"_{node.data}", None)
        if handler is not None:
            result: CelType = handler(node)
            return result
        for child in subtrees(node):
            self.infer(child)
        return DYN

    def _passthrough(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        return self.infer(children[0]) if len(children) == 1 else self._boolean(children)

    def _boolean(self, children: list[lark.ParseTree]) -> CelType:
        for child in children:
            self.infer(child)
        return BOOL

    _member = _primary = _paren_expr = _passthrough

    def _expr(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        if len(children) == 1:
            return self.infer(children[0])
        self.infer(children[0])
        when_true, when_false = self.infer(children[1]), self.infer(children[2])
        return when_true if when_true.name == when_false.name else DYN

    def _conditionalor(self, node: lark.ParseTree) -> CelType:
        return self._passthrough(node)

    _conditionaland = _conditionalor

    def _relation(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        if len(children) == 1:
            return self.infer(children[0])
        operator, right = children
        left = self.infer(left_operand(operator))
        right_type = self.infer(right)
        if operator.data != "relation_in":
            check_comparison(self, operator, left, right_type)
        if operator.data in ("relation_eq", "relation_ne"):
            check_enum_literal(self, left, right)
            check_enum_literal(self, right_type, left_operand(operator))
        elif operator.data == "relation_in" and isinstance(right_type, ListType):
            for item in list_items(right):
                check_enum_literal(self, left, item)
        return BOOL

    def _addition(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        if len(children) == 1:
            return self.infer(children[0])
        operator, right = children
        left = self.infer(left_operand(operator))
        right_type = self.infer(right)
        if operator.data == "addition_sub" and is_type(left, TIMESTAMP) and is_type(right_type, TIMESTAMP):
            return DURATION
        if is_type(left, TIMESTAMP) and is_type(right_type, DURATION):
            return TIMESTAMP
        if is_type(left, DURATION) and is_type(right_type, TIMESTAMP) and operator.data == "addition_add":
            return TIMESTAMP
        if left.name == right_type.name and not is_type(left, BOOL, NULL):
            return left
        return DYN

    def _multiplication(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        if len(children) == 1:
            return self.infer(children[0])
        operator, right = children
        left = self.infer(left_operand(operator))
        right_type = self.infer(right)
        return left if left.name == right_type.name and is_type(left, INT, DOUBLE) else DYN

    def _unary(self, node: lark.ParseTree) -> CelType:
        children = subtrees(node)
        if len(children) == 1:
            return self.infer(children[0])
        operand = self.infer(children[1])
        return BOOL if children[0].data == "unary_not" else operand

    def _literal(self, node: lark.ParseTree) -> CelType:
        token = tokens(node)[0]
        return LITERALS.get(token.type, DYN)

    def _list_lit(self, node: lark.ParseTree) -> CelType:
        listed = list_items(node)
        if len(listed) > MAX_LIST_LITERAL:
            self.problem(
                node, f"a list of {len(listed)} items; an expression's list holds at most {MAX_LIST_LITERAL}"
            )
        items = [self.infer(item) for item in listed]
        names = {item.name for item in items}
        return list_of(items[0]) if len(names) == 1 else list_of(DYN)

    def _map_lit(self, node: lark.ParseTree) -> CelType:
        for child in subtrees(node):
            self.infer(child)
        return map_of(DYN)

    def _exprlist(self, node: lark.ParseTree) -> CelType:
        for child in subtrees(node):
            self.infer(child)
        return DYN

    def _ident(self, node: lark.ParseTree) -> CelType:
        name = str(tokens(node)[0])
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            self.references.add(name)
            return self.variables[name]
        known = sorted(self.variables)
        self.problem(
            node,
            f"unknown name '{name}'{suggest(name, known)}; known here: {', '.join(known)}",
        )
        return DYN

    def _member_dot(self, node: lark.ParseTree) -> CelType:
        receiver_node, name_token = node.children[0], node.children[1]
        assert isinstance(receiver_node, lark.Tree) and isinstance(name_token, lark.Token)
        path = self._path(receiver_node)
        # Read elsewhere in the expression as a whole already: then it stays a reference (the
        # result cache must key on all of it), not only on the field selected here.
        whole_already = path is not None and path in self.references
        receiver = self.infer(receiver_node)
        name = str(name_token)
        if isinstance(receiver, StructType):
            field_type = receiver.field_type(name)
            if field_type is None:
                where = path or receiver.name
                self.problem(
                    name_token,
                    f"unknown field '{name}' of {where}{suggest(name, receiver.field_names)}; "
                    f"fields: {', '.join(receiver.field_names)}",
                )
                return DYN
            if path is not None:
                if not whole_already:
                    self.references.discard(path)
                self.references.add(f"{path}.{name}")
            return field_type
        if isinstance(receiver, MapType):
            return receiver.value
        if isinstance(receiver, ScalarType | ListType) and not is_type(receiver, NULL):
            self.problem(name_token, f"cannot select field '{name}' of a {receiver.name}")
        return DYN

    def _member_index(self, node: lark.ParseTree) -> CelType:
        receiver_node, index = subtrees(node)
        receiver = self.infer(receiver_node)
        self.infer(index)
        if isinstance(receiver, ListType):
            return receiver.element
        if isinstance(receiver, MapType):
            return receiver.value
        return DYN

    def _member_object(self, node: lark.ParseTree) -> CelType:
        self.problem(node, "message construction (Type{...}) is not supported in policies")
        return DYN

    def _member_dot_arg(self, node: lark.ParseTree) -> CelType:
        receiver_node, name_token = node.children[0], node.children[1]
        assert isinstance(receiver_node, lark.Tree) and isinstance(name_token, lark.Token)
        arguments = node.children[2] if len(node.children) > 2 else None
        receiver = self.infer(receiver_node)
        name = str(name_token)
        args = subtrees(arguments) if isinstance(arguments, lark.Tree) else []
        if name in MACROS:
            return self._macro(name_token, name, receiver, args)
        if name not in STANDARD_METHODS:
            hint = (
                f"; call it as {name}(x, ...)"
                if name in self.functions
                else suggest(name, sorted(STANDARD_METHODS))
            )
            self.problem(name_token, f"unknown method '{name}'{hint}")
        for arg in args:
            self.infer(arg)
        if name == "matches":
            note_constant(self, node, args, pattern=True)
        if name == "contains" and isinstance(receiver, ListType):
            self.problem(name_token, "lists have no contains(); write 'x in list'")
        return METHOD_RESULTS.get(name, INT if name.startswith("get") else DYN)

    def _macro(self, where: lark.Token, name: str, receiver: CelType, args: list[lark.ParseTree]) -> CelType:
        if len(args) not in (2, 3) or (len(args) == 3 and name != "map"):
            self.problem(where, f"{name}() takes a variable and an expression, e.g. {name}(t, ...)")
            return DYN
        variable = bare_ident(args[0])
        if variable is None:
            self.problem(args[0], f"the first argument of {name}() must be a variable name")
            return DYN
        if len(self.scopes) >= MAX_COMPREHENSION_DEPTH:
            self.problem(
                where,
                f"{name}() nested {len(self.scopes) + 1} deep; at most {MAX_COMPREHENSION_DEPTH} "
                "macros (exists, all, map, filter) may nest: each level multiplies the work",
            )
        element = (
            receiver.element
            if isinstance(receiver, ListType)
            else STRING
            if isinstance(receiver, MapType)
            else DYN
        )
        self.scopes.append({variable: element})
        try:
            results = [self.infer(arg) for arg in args[1:]]
        finally:
            self.scopes.pop()
        if name == "map":
            return list_of(results[-1])
        if name == "filter":
            return receiver
        return BOOL

    def _ident_arg(self, node: lark.ParseTree) -> CelType:
        name_token = node.children[0]
        assert isinstance(name_token, lark.Token)
        arguments = node.children[1] if len(node.children) > 1 else None
        args = subtrees(arguments) if isinstance(arguments, lark.Tree) else []
        name = str(name_token)
        if name == "has":
            return self._has(name_token, args)
        arg_types = [self.infer(arg) for arg in args]
        if name == "matches" and len(args) == 2 and constant(self, args[1]):
            note_constant(self, node, [args[1]], pattern=True)
        elif name in self.functions or name in ("duration", "timestamp", "int", "double", "uint"):
            note_constant(self, node, args)
        function = self.functions.get(name)
        if function is not None:
            if len(args) != len(function.params):
                self.problem(
                    name_token,
                    f"{name}() takes {len(function.params)} argument(s), got {len(args)}: {function.doc}",
                )
            for position, (given, wanted) in enumerate(zip(arg_types, function.params, strict=False), 1):
                if not compatible(given, wanted):
                    self.problem(
                        args[position - 1],
                        f"argument {position} of {name}() must be {wanted}, not {given}",
                    )
            return function.result
        if name in STANDARD_GLOBALS:
            return GLOBAL_RESULTS.get(name, DYN)
        known = sorted(set(self.functions) | STANDARD_GLOBALS)
        self.problem(name_token, f"unknown function '{name}'{suggest(name, known)}")
        return DYN

    def _has(self, where: lark.Token, args: list[lark.ParseTree]) -> CelType:
        selection = args[0] if len(args) == 1 else None
        while selection is not None and selection.data != "member_dot" and len(selection.children) == 1:
            only = selection.children[0]
            selection = only if isinstance(only, lark.Tree) else None
        if selection is None or selection.data != "member_dot":
            self.problem(where, "has() takes a field selection, e.g. has(ticket.assignee)")
            return BOOL
        self.infer(selection)
        return BOOL

    # -- helpers -------------------------------------------------------------------------------

    def _path(self, node: lark.ParseTree) -> str | None:
        """The dotted path of a selection chain rooted at a variable (not a macro variable)."""
        while node.data in ("member", "primary") and len(node.children) == 1:
            child = node.children[0]
            if not isinstance(child, lark.Tree):
                return None
            node = child
        if node.data == "ident":
            name = str(tokens(node)[0])
            if name in self.variables and not any(name in scope for scope in self.scopes):
                return name
            return None
        if node.data == "member_dot":
            receiver = node.children[0]
            parent = self._path(receiver) if isinstance(receiver, lark.Tree) else None
            return f"{parent}.{node.children[1]}" if parent else None
        return None
