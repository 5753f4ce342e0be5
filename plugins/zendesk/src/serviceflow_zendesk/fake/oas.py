"""Hold every request the fake receives to the full official Zendesk OAS (issue 12, done-when).

The OAS is Zendesk's own (``zendesk-support-openapi.yaml``, 352 paths; a copy beside the plugin's
tests, byte-identical to ``shared/vendor/``, is what the tests load). :class:`OasContract` checks
the method, path, path and query parameters, headers and JSON body of a request against the
operation the path names, resolving ``$ref`` across the whole document: no extract, so a request
to any path is judged by what the OAS says of it. The fake answers a request that departs from it
400 (``FakeContractViolation``) and records it (:meth:`~.controller.FakeZendesk.hold_to_oas`), so
a test fails on any request the real Zendesk would not accept as documented.

Known defects of the official OAS, handled here rather than papered over in the client:

- ``ListGroupMemberships`` declares ``group_id``/``user_id`` as *path* parameters of
  ``/api/v2/group_memberships``, which has none; the filtered lists are their own URLs
  (``/api/v2/groups/{group_id}/memberships``, ``/api/v2/users/{user_id}/group_memberships``,
  CONTRACTS.md §8), checked as :data:`PATH_ALIASES` of that operation; as a query parameter it
  is refused (``ListGroups`` declares ``user_id`` the same way).
- Pagination parameters (``page[size]``, ``page[after]``, ...) are documented once on the
  pagination page, not per operation, so they are allowed on every GET.
- The Tags endpoints document their body (``{"tags": [...]}``, ``safe_update``,
  ``updated_stamp``) only in prose, List Comments its ``sort``/``sort_order``, and ShowTicket's
  ``include`` is on the side-loading guide; that prose is encoded in :data:`PROSE_BODIES` and
  :data:`PROSE_QUERY`.
- Many response fields are null in practice but not ``nullable`` in the OAS (``assignee_id``,
  ``priority``, ...), so response checks skip null-valued properties.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)

FULL_SPEC_NAME = "zendesk-support-openapi.yaml"

#: URLs of one operation that the OAS folds into one path: ListGroupMemberships declares
#: ``group_id`` and ``user_id`` as *path* parameters of ``/api/v2/group_memberships``, which has
#: none; the filtered lists are their own paths (CONTRACTS.md §8; the Group Memberships reference
#: lists all three URLs). A request to an alias is checked against the operation it names.
PATH_ALIASES = {
    "/api/v2/groups/{group_id}/memberships": "/api/v2/group_memberships",
    "/api/v2/users/{user_id}/group_memberships": "/api/v2/group_memberships",
}
#: Documented on developer.zendesk.com/api-reference/introduction/pagination for list endpoints.
PAGINATION_PARAMS = frozenset({"page[size]", "page[after]", "page[before]", "page", "per_page"})
METHODS = ("get", "put", "post", "delete", "patch")
_TAGS_BODY = {
    "type": "object",
    "required": ["tags"],
    "additionalProperties": False,
    "properties": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "safe_update": {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]},
        "updated_stamp": {"type": "string", "format": "date-time"},
    },
}
#: Request bodies the OAS documents only in an operation's description (PutTagsTicket & co).
PROSE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("put", "/api/v2/tickets/{ticket_id}/tags"): _TAGS_BODY,
    ("post", "/api/v2/tickets/{ticket_id}/tags"): _TAGS_BODY,
    ("delete", "/api/v2/tickets/{ticket_id}/tags"): _TAGS_BODY,
}

#: Query parameters an operation documents only in its description (ListTicketComments sorting).
PROSE_QUERY: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    # Side-loading (developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading:
    # ".../tickets/1.json?include=users,groups"), documented on its own page, not per operation.
    ("get", "/api/v2/tickets/{ticket_id}"): {
        "include": {
            "type": "string",
            "pattern": "^(users|groups|organizations)(,(users|groups|organizations))*$",
        },
    },
    ("get", "/api/v2/tickets/{ticket_id}/comments"): {
        "sort": {"type": "string", "enum": ["created_at", "-created_at"]},
        "sort_order": {"type": "string", "enum": ["asc", "desc"]},
    },
}


# ---------------------------------------------------------------------- loading and checking


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """The OAS has a bare ``=`` (YAML's obscure "value" tag) in an example; read it as text."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def load_full_spec(path: Path) -> dict[str, Any]:
    """Parse the official OAS YAML (about half a second)."""
    with path.open("rb") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    return spec


@dataclass(frozen=True)
class Match:
    """A request path matched to a template."""

    template: str
    params: dict[str, str]


def _without_nulls(node: Any) -> Any:
    """Drop null-valued properties: the OAS declares few fields nullable that are null in
    practice (``assignee_id``, ``priority``, ...), so nulls are not type-checked; every other
    value is."""
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node


class OasContract:
    """Request and response checks against the extract; build once per session (it caches)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        #: Path template -> its HTTP methods, for every path of the OAS (an extract lists them
        #: all in ``x-all-operations``, see the tests' ``zendesk_oas.py``).
        self.operations: dict[str, list[str]] = spec.get("x-all-operations") or {
            p: [m for m in METHODS if m in item] for p, item in sorted(spec["paths"].items())
        }
        #: Whether this is the whole OAS (not the tests' fallback extract).
        self.full = "x-all-operations" not in spec
        self._all_ops = self.operations
        routes = []
        for template in [*self._all_ops, *PATH_ALIASES]:
            segments = template.strip("/").split("/")
            literal = sum(not s.startswith("{") for s in segments)
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            routes.append((-literal, -len(template), template, re.compile(pattern)))
        self._routes = [(t, rx) for *_, t, rx in sorted(routes)]

    @classmethod
    def from_file(cls, path: Path) -> OasContract:
        """Load the OAS (YAML, or JSON); parsed once per path and process (about a second)."""
        return _load(str(path))

    def match(self, path: str) -> Match | None:
        """The most specific OAS template for ``path`` (``.json`` suffix allowed)."""
        # Suffix-less first: otherwise "/tickets/1.json" would match "{ticket_id}" as "1.json".
        for candidate in dict.fromkeys((path.removesuffix(".json"), path)):
            for template, rx in self._routes:
                found = rx.match(candidate)
                if found:
                    return Match(PATH_ALIASES.get(template, template), found.groupdict())
        return None

    def _operation(self, method: str, path: str) -> tuple[Match, dict[str, Any], list[dict[str, Any]]] | str:
        match = self.match(path)
        if match is None:
            return f"{method} {path}: no such path in the Zendesk OAS"
        verb = method.lower()
        if verb not in self._all_ops[match.template]:
            return f"{method} {path}: the OAS has no {method} on {match.template}"
        if match.template not in self.spec["paths"]:
            return f"{method} {path}: {match.template} is in the OAS but not in this extract of it"
        item = self.spec["paths"][match.template]
        operation = item[verb]
        params = [self._deref(p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
        return match, operation, params

    def _deref(self, node: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, section, name = node["$ref"].removeprefix("#/").split("/", 2)
            node = self.spec["components"][section][name]
        return dict(node)

    def check_request(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        """Every way this request departs from the OAS; empty when it conforms."""
        found = self._operation(method, path)
        if isinstance(found, str):
            return [found]
        match, operation, params = found
        where = f"{method} {match.template} ({operation.get('operationId')})"
        problems: list[str] = []
        by_name = {p["name"]: p for p in params}
        for name, prose in PROSE_QUERY.get((method.lower(), match.template), {}).items():
            by_name.setdefault(name, {"name": name, "in": "query", "schema": prose})
        for name, value in match.params.items():
            spec = by_name.get(name)
            if spec is None or spec.get("in") != "path":
                problems.append(f"{where}: path parameter {name} is not declared")
            else:
                problems += self._check_value(where, f"path parameter {name}", value, spec.get("schema", {}))
        for name, value in query:
            spec = by_name.get(name)
            # A parameter the OAS declares `in: path` is no query parameter, even on a template
            # without it (ListGroupMemberships' group_id: its URLs are PATH_ALIASES instead).
            if spec is not None and spec.get("in") == "query":
                problems += self._check_value(where, f"query parameter {name}", value, spec.get("schema", {}))
            elif not (method == "GET" and name in PAGINATION_PARAMS):
                problems.append(f"{where}: query parameter {name!r} is not documented")
        if "application/json" not in headers.get("accept", ""):
            problems.append(f"{where}: no 'Accept: application/json' header")
        schema = self._request_schema(method, match.template, operation)
        if schema is None:
            if body:
                problems.append(f"{where}: the OAS documents no request body, but one was sent")
            return problems
        if not headers.get("content-type", "").startswith("application/json"):
            problems.append(f"{where}: no 'Content-Type: application/json' header")
        try:
            document = json.loads(body) if body else None
        except ValueError:
            return [*problems, f"{where}: the body is not JSON"]
        validator = OAS30WriteValidator(
            {**schema, "components": self.spec["components"]}, format_checker=oas30_format_checker
        )
        problems += [f"{where}: body {_describe(e)}" for e in validator.iter_errors(document)]
        return problems

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Every way a JSON response departs from the OAS (nulls not checked, see module doc)."""
        found = self._operation(method, path)
        if isinstance(found, str):
            return [found]
        match, operation, _ = found
        where = f"{method} {match.template} -> {status}"
        responses = operation.get("responses", {})
        response = responses.get(str(status), responses.get("default"))
        if response is None:
            return [f"{where}: status {status} is not documented (documented: {sorted(responses)})"]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return [] if body is None else [f"{where}: a body was sent but none is documented"]
        validator = OAS30ReadValidator(
            {**schema, "components": self.spec["components"]}, format_checker=oas30_format_checker
        )
        return [f"{where}: {_describe(e)}" for e in validator.iter_errors(_without_nulls(body))]

    def _request_schema(
        self, method: str, template: str, operation: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        body = operation.get("requestBody")
        if body is not None:
            return dict(self._deref(body)["content"]["application/json"]["schema"])
        return PROSE_BODIES.get((method.lower(), template))

    def _check_value(self, where: str, what: str, raw: str, schema: Mapping[str, Any]) -> list[str]:
        schema = self._deref(schema)
        kind = schema.get("type")
        value: Any = raw
        try:
            if kind == "integer":
                value = int(raw)
            elif kind == "number":  # SuspendedTicketId is declared a number
                value = float(raw) if any(c in raw for c in ".eE") else int(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                value = raw == "true"
        except ValueError:
            return [f"{where}: {what}={raw!r} is not a {kind}"]
        validator = OAS30WriteValidator(dict(schema), format_checker=oas30_format_checker)
        return [f"{where}: {what}={raw!r}: {e.message}" for e in validator.iter_errors(value)]


def _describe(error: ValidationError) -> str:
    location = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {location}: {error.message[:300]}"


@cache
def _load(path: str) -> OasContract:
    spec = load_full_spec(Path(path)) if not path.endswith(".json") else json.loads(Path(path).read_text())
    return OasContract(spec)


RequestCheck = Callable[[Any], list[str]]


def request_check(contract: OasContract) -> RequestCheck:
    """A :attr:`~.controller.FakeZendesk.request_check` holding every request to ``contract``."""

    def check(info: Any) -> list[str]:
        return contract.check_request(info.method, info.path, info.query, info.headers, info.body)

    return check
