"""Loading a policy set: files -> YAML with positions -> pydantic specs -> checked, compiled CEL.

Every problem is collected, not just the first, and each names ``file:line:col``, the rule and
what to fix. :func:`validate` returns the problems; :func:`load_policy_set` raises
:class:`~serviceflow.errors.PolicySetError` if there is any, so a worker never runs half a set.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.cel.types import CelType
from serviceflow.errors import (
    PolicyError,
    PolicySetError,
    ServiceflowError,
    SourceLocation,
    data_path,
)
from serviceflow.policy.durations import (
    Span,
)
from serviceflow.policy.files import read_policy_file
from serviceflow.policy.schema import (
    API_VERSION,
    DOCUMENT_KINDS,
    IGNORED_KINDS,
    JourneySpec,
    PolicySetSpec,
    PolicySpec,
    Spec,
)
from serviceflow.policy.yaml_source import Document, load_documents

DataPath = tuple[str | int, ...]


class PolicyPathError(ServiceflowError):
    """A path given to the loader does not exist: a usage error, not a policy problem."""


@dataclass(frozen=True)
class ExpressionSite:
    """One CEL expression of the policy set, compiled, with where it came from."""

    kind: str  # the document kind: Policy, Journey, PolicySet
    document: str  # the document's name
    path: DataPath  # inside the document, e.g. ("targets", 0, "stop")
    source: str
    scope: str
    variables: Mapping[str, CelType]
    expect: tuple[str, ...]
    location: SourceLocation
    rule: str
    expression: Expression


@dataclass(frozen=True)
class PolicySet:
    """A loaded, fully checked policy set."""

    settings: PolicySetSpec
    policies: tuple[PolicySpec, ...]
    journeys: tuple[JourneySpec, ...]
    expressions: tuple[ExpressionSite, ...]
    spans: Mapping[tuple[str, str, DataPath], Span]
    version: str
    files: tuple[str, ...]
    documents: tuple[Document, ...] = ()

    def expression(self, kind: str, document: str, *path: str | int) -> Expression:
        """The compiled expression at ``path`` of a document, e.g. ("targets", 0, "stop")."""
        return self._sites[(kind, document, tuple(path))].expression

    def span(self, kind: str, document: str, *path: str | int) -> Span | None:
        """The parsed duration literal at ``path``; None where the field is CEL or absent."""
        return self.spans.get((kind, document, tuple(path)))

    @cached_property
    def _sites(self) -> dict[tuple[str, str, DataPath], ExpressionSite]:
        return {(s.kind, s.document, s.path): s for s in self.expressions}


@dataclass
class Report:
    """The outcome of validating some paths."""

    files: list[str] = field(default_factory=list)
    problems: list[PolicyError] = field(default_factory=list)
    policy_set: PolicySet | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[PolicyError]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[PolicyError]:
        return [p for p in self.problems if p.warning]


def load_policy_set(paths: Sequence[Path | str], *, environment: CelEnvironment | None = None) -> PolicySet:
    """Load and check every policy and journey under ``paths``.

    Raises:
        PolicyPathError: a path does not exist.
        PolicySetError: with every problem found.
    """
    report = validate(paths, environment=environment)
    if report.policy_set is None:
        raise PolicySetError(report.errors)
    return report.policy_set


def discover(paths: Sequence[Path | str]) -> list[Path]:
    """The YAML files under ``paths``, in a stable order.

    Hidden files and folders (a name starting with ``.``) are skipped: a Kubernetes ConfigMap
    mounted as a folder holds each file twice, once under its hidden ``..data`` folder.

    Raises:
        PolicyPathError: a path does not exist.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in (".yaml", ".yml")
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.exists() or path.is_symlink():  # not a regular file: read_policy_file says so
            files.append(path)
        else:
            raise PolicyPathError(f"no such file or directory: {path}")
    return list(dict.fromkeys(files))


def validate(paths: Sequence[Path | str], *, environment: CelEnvironment | None = None) -> Report:
    """Check every document under ``paths``; never raises for a problem inside a file."""
    files = discover(paths)
    report = Report(files=[str(f) for f in files])
    if not files:
        where = ", ".join(str(p) for p in paths)
        message = (
            f"no policy files (*.yaml) found in {where}"
            if where
            else "no policy files (*.yaml): no policy folder or file was given (name one, e.g. policies)"
        )
        report.problems.append(PolicyError(message, location=SourceLocation(where or "-")))
        return report
    digest = hashlib.sha256()
    loaded: list[Document] = []
    for file in files:
        try:
            raw, text = read_policy_file(file)
            digest.update(str(file).encode() + b"\0" + raw + b"\0")
            documents = load_documents(text, str(file))
        except PolicyError as exc:
            report.problems.append(exc)
            continue
        loaded.extend(documents)
    unread = list(report.problems)
    checked = check_documents(loaded, digest.hexdigest()[:16], report, environment=environment)
    if unread and not any(isinstance(d.data, dict) and d.data.get("kind") == "PolicySet" for d in loaded):
        # The PolicySet is likely in the file that could not be read: what the others lack
        # without it ("no PolicySet document", "no calendar applies") is not the problem.
        checked.problems = unread
    return checked


def check_documents(
    documents: Sequence[Document], version: str, report: Report, *, environment: CelEnvironment | None = None
) -> Report:
    """Check documents read from files (or written inline, by a scenario) as one policy set."""
    parsed: list[tuple[Document, type[Spec], Spec | None]] = []
    for document in documents:
        validated = _validate_document(document, report.problems)
        if validated is not None:
            parsed.append((document, *validated))
    from serviceflow.policy.builder import Builder  # it builds on this module's types

    builder = Builder(environment or CelEnvironment(), report.problems)
    policy_set = builder.build(parsed, version, list(report.files))
    report.counts = builder.counts
    report.problems.sort(key=lambda p: (p.location.file, p.location.line, p.location.column))
    if not any(not p.warning for p in report.problems):
        report.policy_set = policy_set
    return report


# -- documents -------------------------------------------------------------------------------


def _validate_document(
    document: Document, problems: list[PolicyError]
) -> tuple[type[Spec], Spec | None] | None:
    """The document's model class and its validated spec (None when invalid); None to skip it."""
    data = document.data
    if not isinstance(data, dict):
        problems.append(
            PolicyError(
                "a document must be a mapping that starts with apiVersion and kind",
                location=document.locate(()),
            )
        )
        return None
    kind = data.get("kind")
    if kind in IGNORED_KINDS:
        return None
    raw_name = data.get("name")
    name = raw_name if isinstance(raw_name, str) else "-"
    if data.get("apiVersion") != API_VERSION:
        found = data.get("apiVersion")
        message = (
            f"missing apiVersion; add 'apiVersion: {API_VERSION}'"
            if found is None
            else f"apiVersion must be {API_VERSION}, not '{found}'"
        )
        problems.append(PolicyError(message, location=document.locate(("apiVersion",)), rule=name))
        return None
    model = DOCUMENT_KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join([*DOCUMENT_KINDS, *IGNORED_KINDS])
        message = "missing kind" if kind is None else f"unknown kind '{kind}'"
        problems.append(
            PolicyError(f"{message}; known kinds: {known}", location=document.locate(("kind",)), rule=name)
        )
        return None
    try:
        return model, model.model_validate(data)
    except pydantic.ValidationError as exc:
        seen: set[DataPath] = set()
        for error in exc.errors():
            path, rest = data_path(data, error["loc"])
            if path in seen:
                continue  # a union reports each alternative; one message per place is enough
            seen.add(path)
            problems.append(_pydantic_problem(document, model, error, path, rest))
        return model, None


def _pydantic_problem(
    document: Document, model: type[Spec], error: Any, path: DataPath, rest: list[Any]
) -> PolicyError:
    kind = error["type"]
    rule = rule_for(document.data, path)
    if kind == "missing":
        key = rest[0] if rest else (path[-1] if path else "?")
        where = path if rest else path[:-1]
        return PolicyError(f"missing required key '{key}'", location=document.locate(where), rule=rule)
    if kind == "extra_forbidden":
        key_path = (*path, *rest) if rest else path
        key = key_path[-1]
        allowed = _allowed_keys(model, key_path[:-1])
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return PolicyError(
            f"unknown key '{key}'{suggestion}; allowed here: {', '.join(allowed)}",
            location=document.locate(key_path, key=True),
            rule=rule,
        )
    value = error.get("input")
    field_name = next((str(p) for p in reversed(path) if isinstance(p, str)), "document")
    if kind == "string_pattern_mismatch":
        return PolicyError(
            f"{field_name}: '{value}' is not valid: {_pattern_hint(error)}",
            location=document.locate(path),
            rule=rule,
        )
    if kind == "literal_error":
        return PolicyError(
            f"{field_name}: '{value}' is not allowed; {error['msg'].lower()}",
            location=document.locate(path),
            rule=rule,
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    return PolicyError(f"{field_name}: {message}", location=document.locate(path), rule=rule)


def _pattern_hint(error: Any) -> str:
    pattern = error.get("ctx", {}).get("pattern", "")
    if "owner" in pattern:
        return "a recipient is owner, owner.lead, owner.manager, group:NAME or agent:ID"
    if "group|agent" in pattern:
        return "a pool is group:NAME or agent:ID"
    return "use lowercase letters, digits, '-' and '_', starting with a letter or digit"


def _allowed_keys(model: type[BaseModel], path: DataPath) -> list[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            if info is None:
                return []
            current = _model_in(info.annotation)
        else:
            current = _model_in(current)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _model_in(annotation: Any) -> Any:
    """The model class inside an annotation like list[Model], dict[str, Model], Model | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


_SECTIONS = frozenset({"acknowledge", "same_case", "authority", "defaults", "fallback"})
_NAMED_MAPS = frozenset({"calendars", "escalations"})


def rule_for(data: Any, path: DataPath) -> str:
    """The name of the rule (or section) that ``path`` lies in, for messages."""
    name = data.get("name") if isinstance(data, dict) else None
    rule = name if isinstance(name, str) else "-"
    node = data
    parent_key: str | int | None = None
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            rule = node["name"]
        elif part in _SECTIONS:
            rule = str(part)
        elif parent_key in _NAMED_MAPS:
            rule = str(part)
        parent_key = part
    return rule


# -- the set ---------------------------------------------------------------------------------
