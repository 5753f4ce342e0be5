"""YAML documents that remember where every key and value came from.

PyYAML composes a node graph with start marks; we build plain Python data from it and keep a map
from each path (``("targets", 0, "within")``) to its position, so that any later problem (a pydantic
error, an unknown calendar, a CEL error at column 12 of an expression) can be reported as
``file:line:col``. Duplicate keys, which PyYAML silently accepts, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from serviceflow.errors import PolicyError, SourceLocation

Path = tuple[str | int, ...]


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
    loader = yaml.SafeLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = Document(file=file, data=None)
            document.data = _build(node, (), document, loader, text)
            documents.append(document)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise PolicyError(f"YAML error: {problem}{context}", location=location, rule="yaml") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error: {exc}", location=SourceLocation(file), rule="yaml") from None
    finally:
        loader.dispose()
    return documents


def _build(node: yaml.Node, path: Path, doc: Document, loader: yaml.SafeLoader, text: str) -> Any:
    start = node.start_mark
    if isinstance(node, yaml.ScalarNode):
        indent = _block_indent(text, start.line) if node.style in ("|", ">") else None
        doc.values[path] = Position(start.line, start.column, node.style, indent)
        return loader.construct_object(node, deep=True)
    doc.values[path] = Position(start.line, start.column)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader, text) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
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
            result[key] = _build(value_node, child, doc, loader, text)
        return result
    raise PolicyError("unsupported YAML node", location=doc.locate(path), rule="yaml")


def _block_indent(text: str, indicator_line: int) -> int | None:
    """The indentation of a block scalar's first content line (the line after ``|`` or ``>``)."""
    lines = text.splitlines()
    for line in lines[indicator_line + 1 :]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return None
