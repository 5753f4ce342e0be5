"""YAML documents that remember where every key and value came from.

PyYAML composes a node graph with start marks; we build plain Python data from it and keep a map
from each path (``("targets", 0, "within")``) to its position, so that any later problem (a pydantic
error, an unknown calendar, a CEL error at column 12 of an expression) can be reported as
``file:line:col``. Duplicate keys, which PyYAML silently accepts, are reported here.

The YAML is bounded before it is built, so no file can hang or exhaust the process: at most
:data:`MAX_ALIASES` aliases, nesting at most :data:`MAX_DEPTH` deep (both counted on PyYAML's event
stream, which is not recursive, before the recursive composer runs), at most :data:`MAX_VALUES`
values once aliases are expanded (a "billion laughs" stops there), at most :data:`MAX_DOCUMENTS`
documents, and no alias that contains itself.

Composing uses PyYAML's pure-Python loader whether or not PyYAML has libyaml: libyaml
(``yaml.CSafeLoader``) was tried (benchmarks/RESULTS.md, hostile10) and reads differently in
corners a property test found (``!`` alone is "" to it and None to the Python loader, ``>#`` an
empty scalar instead of an error, a ``?`` key placed on another line), so a policy would mean
something else by how PyYAML was built (tests/policy/test_yaml_loaders.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from serviceflow.errors import PolicyError, SourceLocation

Path = tuple[str | int, ...]

MAX_ALIASES = 100  # policies rarely use aliases at all; a few to share a block are fine
MAX_DEPTH = 64  # the deepest policy document nests about eight levels
MAX_VALUES = 100_000  # values in one file, aliases expanded
MAX_DOCUMENTS = 1_000  # the shipped policy files hold one to a few documents each


@dataclass(frozen=True)
class Position:
    line: int  # 0-based, as PyYAML counts
    column: int
    style: str | None = None  # None (plain), "'", '"', "|", ">"
    indent: int | None = None  # content indentation of block scalars


@dataclass
class Document:
    """One YAML document: its data and the positions of its values and keys."""

    file: str
    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation:
        """The location of the value (or the key) at ``path``, or of its nearest ancestor."""
        table = self.keys if key else self.values
        probe = path
        while probe and probe not in table:
            if not key and probe in self.keys:
                table = self.keys
                break
            probe = probe[:-1]
        position = table.get(probe) or self.values.get((), Position(0, 0))
        return SourceLocation(self.file, position.line + 1, position.column + 1)

    def locate_in_value(self, path: Path, line: int, column: int) -> SourceLocation:
        """The file location of (line, column), both 1-based, inside the string value at ``path``.

        Exact for one-line plain and quoted scalars and for literal blocks; for folded scalars
        and multi-line flow scalars, exact on the first line.
        """
        position = self.values.get(path)
        if position is None:
            return self.locate(path)
        if position.style in ("|", ">"):
            indent = position.indent if position.indent is not None else position.column
            return SourceLocation(self.file, position.line + 1 + line, indent + column)
        offset = 1 if position.style in ("'", '"') else 0
        if line == 1:
            return SourceLocation(self.file, position.line + 1, position.column + offset + column)
        return SourceLocation(self.file, position.line + line, column)


def load_documents(text: str, file: str) -> list[Document]:
    """Every document in ``text``.

    Raises:
        PolicyError: the YAML does not parse, or a mapping repeats a key.
    """
    documents = []
    loader: yaml.SafeLoader | None = None
    try:
        _check_shape(text, file)
        loader = yaml.SafeLoader(text)
        budget = _Budget(lines=text.splitlines())
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = Document(file=file, data=None)
            document.data = _build(node, (), document, loader, text, budget)
            documents.append(document)
    except RecursionError:
        raise PolicyError(
            "YAML error: nested too deep to read", location=SourceLocation(file), rule="yaml"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise PolicyError(f"YAML error: {problem}{context}", location=location, rule="yaml") from None
    except yaml.YAMLError as exc:  # ReaderError and the like: no mark of their own
        where = getattr(exc, "position", None)
        location = SourceLocation(file)
        if isinstance(where, int):
            line = text.count("\n", 0, where) + 1
            location = SourceLocation(file, line, where - text.rfind("\n", 0, where))
        reason = getattr(exc, "reason", None) or "invalid YAML"
        raise PolicyError(f"YAML error: {reason}", location=location, rule="yaml") from None
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def _check_shape(text: str, file: str) -> None:
    """Refuse too many documents or aliases, or too deep a nesting, from the event stream alone."""
    depth = aliases = documents = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > MAX_DOCUMENTS:
                raise _shape_error(f"more than {MAX_DOCUMENTS} documents in one file", event, file)
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _shape_error(f"nested more than {MAX_DEPTH} deep", event, file)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _shape_error(f"more than {MAX_ALIASES} aliases", event, file)


def _shape_error(problem: str, event: yaml.Event, file: str) -> PolicyError:
    mark = event.start_mark
    return PolicyError(
        f"YAML error: {problem}", location=SourceLocation(file, mark.line + 1, mark.column + 1), rule="yaml"
    )


@dataclass
class _Budget:
    """Values built so far in one file, and the nodes being built (to find an alias to itself)."""

    values: int = 0
    building: set[int] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)  # the file's lines, split once


def _build(
    node: yaml.Node, path: Path, doc: Document, loader: yaml.SafeLoader, text: str, budget: _Budget
) -> Any:
    start = node.start_mark
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise PolicyError(
            f"YAML error: more than {MAX_VALUES} values once aliases are expanded",
            location=doc.locate(path), rule="yaml",
        )  # fmt: skip
    if isinstance(node, yaml.ScalarNode):
        indent = _block_indent(budget.lines, start.line) if node.style in ("|", ">") else None
        doc.values[path] = Position(start.line, start.column, node.style, indent)
        return _scalar(node, loader, doc.file, path)
    doc.values[path] = Position(start.line, start.column)
    if id(node) in budget.building:
        raise PolicyError(
            "YAML error: an alias refers to a node that contains it",
            location=SourceLocation(doc.file, start.line + 1, start.column + 1), rule="yaml",
        )  # fmt: skip
    budget.building.add(id(node))
    try:
        return _build_collection(node, path, doc, loader, text, budget)
    finally:
        budget.building.discard(id(node))


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader, file: str, path: Path = ()) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4,300 digits
        field = next((str(p) for p in reversed(path) if isinstance(p, str)), "value")
        # PyYAML's SafeLoader resolves an unquoted YYYY-MM-DD to a timestamp and builds a date
        # from it (construct_yaml_timestamp), so a day that does not exist is date()'s ValueError.
        message = (
            f"{field}: '{node.value}' is not a date that exists ({exc}); write a real YYYY-MM-DD date"
            if node.tag == "tag:yaml.org,2002:timestamp"
            else f"YAML error: the value cannot be read ({type(exc).__name__})"
        )
        raise PolicyError(
            message,
            location=SourceLocation(file, node.start_mark.line + 1, node.start_mark.column + 1), rule="yaml",
        ) from None  # fmt: skip


def _build_collection(
    node: yaml.Node, path: Path, doc: Document, loader: yaml.SafeLoader, text: str, budget: _Budget
) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader, text, budget) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, loader, doc.file) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int):
                raise PolicyError(
                    "keys must be plain strings",
                    location=SourceLocation(
                        doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                    rule="yaml",
                )
            child = (*path, key)
            if key in result:
                first = doc.keys[child]
                raise PolicyError(
                    f"duplicate key '{key}' (first at line {first.line + 1})",
                    location=SourceLocation(
                        doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                    rule="yaml",
                )
            doc.keys[child] = Position(key_node.start_mark.line, key_node.start_mark.column)
            result[key] = _build(value_node, child, doc, loader, text, budget)
        return result
    raise PolicyError("unsupported YAML node", location=doc.locate(path), rule="yaml")


def _block_indent(lines: list[str], indicator_line: int) -> int | None:
    """The indentation of a block scalar's first content line (the line after ``|`` or ``>``)."""
    for line in lines[indicator_line + 1 :]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return None
