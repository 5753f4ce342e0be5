"""Freshdesk's documented request fields, as a machine-readable table, and a checker over it.

Freshdesk publishes no OpenAPI document (CONTRACTS.md §7 item 8), so ``api_v2_fields.json``
beside this module is the table: one row per endpoint the plugin calls, its documented query
parameters and body fields with their types, each row citing the lines of Freshdesk's API
reference it is read from. :func:`problems` checks one request against it. The fake refuses an
undocumented body field as Freshdesk does (400 ``invalid_field``: "If any additional field is
included in the request payload (other than what is specified in the API documentation), this
error will occur", FD-docs line 387), and the plugin's tests hold every request the adapter
makes to the whole table (``tests/test_freshdesk_requests.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_DIGITS = re.compile(r"[1-9][0-9]{0,17}")


@dataclass(frozen=True)
class Endpoint:
    """One row of the table.

    Attributes:
        method: The HTTP method.
        path: The path, ids as ``{id}``.
        doc: The reference's section name.
        lines: Where in the reference (FD-docs lines).
        query: Query parameter -> type (pagination included where the endpoint pages).
        body: Body field -> type; None for an endpoint that takes no body.
        adapter: Whether the adapter calls it (False: served by the fake only).
    """

    method: str
    path: str
    doc: str
    lines: str
    query: Mapping[str, str]
    body: Mapping[str, str] | None
    adapter: bool = True

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and _pattern(self.path).fullmatch(path) is not None


@cache
def table() -> tuple[Endpoint, ...]:
    """Every documented endpoint of ``api_v2_fields.json``."""
    data = json.loads(resources.files(__package__).joinpath("api_v2_fields.json").read_text("utf-8"))
    paging = data["pagination"]["query"]
    rows = []
    for row in data["endpoints"]:
        query = dict(row.get("query") or {})
        if "page" in query:
            query.update(paging)
        rows.append(
            Endpoint(
                row["method"],
                row["path"],
                row["doc"],
                row["lines"],
                query,
                row.get("body"),
                row.get("adapter", True),
            )
        )
    return tuple(rows)


def endpoint(method: str, path: str) -> Endpoint | None:
    """The row for a request (a fixed path wins over a templated one), or None."""
    found = [e for e in table() if e.matches(method.upper(), path)]
    found.sort(key=lambda e: "{" in e.path)
    return found[0] if found else None


def problems(method: str, path: str, query: Iterable[tuple[str, str]], body: Any) -> list[str]:
    """What in one request the reference does not document (empty when all of it is)."""
    row = endpoint(method, path)
    if row is None:
        return [f"{method} {path}: no such endpoint in the reference"]
    where = f"{row.method} {row.path} ({row.doc}, FD-docs lines {row.lines})"
    found = []
    for name, value in query:
        kind = row.query.get(name)
        if kind is None:
            found.append(f"{where}: query parameter {name!r} is not documented")
        elif not _valid(kind, value, text=True):
            found.append(f"{where}: query parameter {name!r} is not a {kind}")
    if row.body is None:
        if body not in (None, b"", ""):
            found.append(f"{where}: takes no body")
        return found
    if not isinstance(body, dict):
        return [*found, f"{where}: the body is not a JSON object"]
    for name, value in body.items():
        kind = row.body.get(name)
        if kind is None:
            found.append(f"{where}: body field {name!r} is not documented")
        elif not _valid(kind, value, text=False):
            found.append(f"{where}: body field {name!r} is not a {kind}")
    return found


def undocumented_fields(method: str, path: str, body: Any) -> list[str]:
    """The body fields of a request the reference does not list for its endpoint (for the fake's
    400 ``invalid_field``)."""
    row = endpoint(method, path)
    if row is None or row.body is None or not isinstance(body, dict):
        return []
    return [name for name in body if name not in row.body]


@cache
def _pattern(path: str) -> re.Pattern[str]:
    """``/api/v2/tickets/{id}`` -> a pattern whose ``{id}`` is a canonical id."""
    return re.compile(_DIGITS.pattern.join(re.escape(part) for part in _PLACEHOLDER.split(path)))


def _valid(kind: str, value: Any, *, text: bool) -> bool:
    """Whether ``value`` (a query string when ``text``, else JSON) is of ``kind``."""
    if kind.startswith("enum:"):
        return value in kind[5:].split("|")
    if kind.startswith("csv:"):
        allowed = set(kind[4:].split("|"))
        return isinstance(value, str) and bool(value) and set(value.split(",")) <= allowed
    if kind in ("page", "per_page"):
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            return False
        return int(value) >= 1 and (kind == "page" or int(value) <= 100)
    if kind == "integer":
        if text:
            return isinstance(value, str) and _DIGITS.fullmatch(value) is not None
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "email":
        return isinstance(value, str) and "@" in value
    if kind == "datetime":
        return isinstance(value, str) and _is_iso(value)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "note":
        return (
            isinstance(value, dict)
            and set(value) <= {"body", "private"}
            and isinstance(value.get("body"), str)
            and isinstance(value.get("private", True), bool)
        )
    if kind.startswith("array<"):
        item = kind[6:-1]
        return isinstance(value, list) and all(_valid(item, v, text=False) for v in value)
    return False


def _is_iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
