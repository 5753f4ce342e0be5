"""Loading a policy set: files -> YAML with positions -> pydantic specs -> checked, compiled CEL.

Every problem is collected, not just the first, and each names ``file:line:col``, the rule and
what to fix. :func:`validate` returns the problems; :func:`load_policy_set` raises
:class:`~serviceflow.errors.PolicySetError` if there is any, so a worker never runs half a set.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.cel.types import CelType
from serviceflow.errors import (
    CelError,
    CelEvaluationError,
    PolicyError,
    PolicySetError,
    ServiceflowError,
    SourceLocation,
)
from serviceflow.policy.durations import (
    Clock,
    DurationSyntaxError,
    Span,
    looks_like_duration,
    parse_duration,
)
from serviceflow.policy.files import read_policy_file
from serviceflow.policy.samples import sample_values
from serviceflow.policy.schema import (
    API_VERSION,
    DOCUMENT_KINDS,
    IGNORED_KINDS,
    CelField,
    JourneySpec,
    PolicySetSpec,
    PolicySpec,
    SpanField,
    Spec,
)
from serviceflow.policy.scopes import SCOPES
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


def load_policy_set(paths: Sequence[Path | str], *, environment: CelEnvironment | None = None) -> PolicySet:
    """Load and check every policy and journey under ``paths``.

    Raises:
        PolicyPathError: a path does not exist.
        PolicySetError: with every problem found.
    """
    report = validate(paths, environment=environment)
    if report.problems or report.policy_set is None:
        raise PolicySetError(report.problems)
    return report.policy_set


def discover(paths: Sequence[Path | str]) -> list[Path]:
    """The YAML files under ``paths``, in a stable order.

    Raises:
        PolicyPathError: a path does not exist.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
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
        report.problems.append(
            PolicyError(f"no policy files (*.yaml) found in {where}", location=SourceLocation(where))
        )
        return report
    digest = hashlib.sha256()
    parsed: list[tuple[Document, type[Spec], Spec | None]] = []
    for file in files:
        try:
            raw, text = read_policy_file(file)
            digest.update(str(file).encode() + b"\0" + raw + b"\0")
            documents = load_documents(text, str(file))
        except PolicyError as exc:
            report.problems.append(exc)
            continue
        for document in documents:
            validated = _validate_document(document, report.problems)
            if validated is not None:
                parsed.append((document, *validated))
    builder = _Builder(environment or CelEnvironment(), report.problems)
    policy_set = builder.build(parsed, digest.hexdigest()[:16], [str(f) for f in files])
    report.counts = builder.counts
    report.problems.sort(key=lambda p: (p.location.file, p.location.line, p.location.column))
    if not report.problems:
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
            path, rest = _data_path(data, error["loc"])
            if path in seen:
                continue  # a union reports each alternative; one message per place is enough
            seen.add(path)
            problems.append(_pydantic_problem(document, model, error, path, rest))
        return model, None


def _data_path(data: Any, loc: Iterable[Any]) -> tuple[DataPath, list[Any]]:
    """The part of pydantic's ``loc`` that exists in the data, and what is left over."""
    path: list[str | int] = []
    node = data
    items = list(loc)
    for index, part in enumerate(items):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and index == len(items) - 1:
            return tuple(path), [part]  # a missing or extra key of this mapping
        else:
            continue  # union tags and validator names
        path.append(part)
    return tuple(path), []


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


def _markers(info: pydantic.fields.FieldInfo) -> CelField | SpanField | None:
    for item in info.metadata:
        if isinstance(item, CelField | SpanField):
            return item
    for arg in typing.get_args(info.annotation):
        for item in getattr(arg, "__metadata__", ()):
            if isinstance(item, CelField | SpanField):
                return item
    return None


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "duration": (timedelta,),
    "timestamp": (datetime,),
}


class _Builder:
    """Turns validated specs into a PolicySet, checking names, references and every CEL field.

    It walks each document's data beside its model class: the validated spec (defaults filled
    in) where the document is valid, else the raw YAML, so that one run reports CEL and
    reference problems even in a document that also has a schema problem.
    """

    def __init__(self, environment: CelEnvironment, problems: list[PolicyError]) -> None:
        self.env = environment
        self.problems = problems
        self.sites: list[ExpressionSite] = []
        self.spans: dict[tuple[str, str, DataPath], Span] = {}
        self.counts: dict[str, int] = {}
        self._activations: dict[str, Any] = {}
        self.calendars: set[str] | None = None
        self.escalations: set[str] | None = None

    def problem(self, message: str, location: SourceLocation, rule: str) -> None:
        self.problems.append(PolicyError(message, location=location, rule=rule))

    def build(
        self, parsed: list[tuple[Document, type[Spec], Spec | None]], version: str, files: list[str]
    ) -> PolicySet | None:
        def of(model: type[Spec]) -> list[tuple[Document, Spec | None]]:
            return [(d, s) for d, m, s in parsed if m is model]

        sets, policies, journeys = of(PolicySetSpec), of(PolicySpec), of(JourneySpec)
        self.counts = {"policies": len(policies), "journeys": len(journeys), "sets": len(sets)}
        for document, _ in sets[1:]:
            first = sets[0][0].locate(("kind",))
            self.problem(
                f"a second PolicySet (the first is at {first}); keep one per policy set",
                document.locate(("kind",)),
                _name(document.data),
            )
        if not sets and (policies or journeys):
            document = (policies or journeys)[0][0]
            self.problem(
                "no PolicySet document: add one (kind: PolicySet) with at least a fallback owner",
                document.locate(("kind",)),
                _name(document.data),
            )
        default_calendar = None
        if sets:
            raw = sets[0][0].data
            self.calendars = set(_mapping(raw.get("calendars")))
            self.escalations = set(_mapping(raw.get("escalations")))
            default_calendar = _mapping(raw.get("defaults")).get("calendar")
        self._unique_documents(policies, "policy")
        self._unique_documents(journeys, "journey")
        for document, model, spec in parsed:
            self._unique_rules(document, model)
            data = spec.model_dump(by_alias=True) if spec is not None else document.data
            calendar = data.get("calendar") if model is not PolicySetSpec else None
            self.current = (model.__name__.removesuffix("Spec"), _name(data))
            self._walk(document, model, data, (), calendar or default_calendar, _name(data))
        self.counts["expressions"] = len(self.sites)
        if self.problems or not sets:
            return None
        ordered = sorted(
            (typing.cast(PolicySpec, s) for _, s in policies), key=lambda p: (-p.priority, p.name)
        )
        return PolicySet(
            settings=typing.cast(PolicySetSpec, sets[0][1]),
            policies=tuple(ordered),
            journeys=tuple(typing.cast(JourneySpec, s) for _, s in journeys),
            expressions=tuple(self.sites),
            spans=self.spans,
            version=version,
            files=tuple(files),
        )

    def _unique_documents(self, docs: list[tuple[Document, Spec | None]], noun: str) -> None:
        seen: dict[str, Document] = {}
        for document, _ in docs:
            name = _name(document.data)
            if name == "-":
                continue
            if name in seen:
                first = seen[name].locate(("name",))
                self.problem(
                    f"duplicate {noun} name '{name}' (also at {first})",
                    document.locate(("name",)),
                    name,
                )
            else:
                seen[name] = document

    def _unique_rules(self, document: Document, model: type[Spec]) -> None:
        """Rule names are unique inside a policy (decisions cite policy/rule) and a journey."""
        sections: tuple[tuple[str, ...], ...]
        if model is PolicySpec:
            sections = (("owner",), ("targets",), ("promises",), ("authority", "grant"))
        elif model is JourneySpec:
            sections = (("stages",),)
        else:
            return
        seen: dict[str, DataPath] = {}
        for section in sections:
            items: Any = document.data
            for part in section:
                items = items.get(part) if isinstance(items, dict) else None
            for index, item in enumerate(items if isinstance(items, list) else []):
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    continue
                path = (*section, index, "name")
                if name in seen:
                    first = document.locate(seen[name])
                    self.problem(
                        f"duplicate rule name '{name}' (first at line {first.line}); "
                        "rule names must be unique within a policy",
                        document.locate(path),
                        name,
                    )
                else:
                    seen[name] = path

    def _walk(
        self,
        document: Document,
        model: type[BaseModel],
        data: Any,
        path: DataPath,
        calendar: str | None,
        rule: str,
    ) -> None:
        if not isinstance(data, dict):
            return
        if isinstance(data.get("calendar"), str):
            calendar = data["calendar"]
        if isinstance(data.get("name"), str):
            rule = data["name"]
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key not in data:
                continue
            value = data[key]
            field_path = (*path, key)
            marker = _markers(info)
            if marker is not None and isinstance(value, str):
                self._field(document, field_path, value, marker, calendar, rule)
            elif name in ("calendar", "escalation") and isinstance(value, str):
                self._reference(document, field_path, name, value, rule)
            sub = _model_in(info.annotation)
            if sub is None:
                continue
            if typing.get_origin(info.annotation) is dict and isinstance(value, dict):
                for item_key, item in value.items():
                    self._walk(document, sub, item, (*field_path, item_key), calendar, str(item_key))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    self._walk(document, sub, item, (*field_path, index), calendar, rule)
            else:
                section_rule = key if key in _SECTIONS else rule
                self._walk(document, sub, value, field_path, calendar, section_rule)

    def _reference(self, document: Document, path: DataPath, what: str, value: str, rule: str) -> None:
        known_set = self.calendars if what == "calendar" else self.escalations
        if known_set is None or value in known_set:
            return
        known = sorted(known_set)
        section = "calendars" if what == "calendar" else "escalations"
        hint = difflib.get_close_matches(value, known, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        listed = ", ".join(known) if known else "none defined"
        self.problem(
            f"unknown {what} '{value}'{suggestion}; the PolicySet's {section}: {listed}",
            document.locate(path),
            rule,
        )

    def _field(
        self,
        document: Document,
        path: DataPath,
        source: str,
        marker: CelField | SpanField,
        calendar: str | None,
        rule: str,
    ) -> None:
        kind, name = self.current
        if isinstance(marker, SpanField) and looks_like_duration(source):
            try:
                span = parse_duration(source)
            except DurationSyntaxError as exc:
                self.problem(str(exc), document.locate(path), rule)
                return
            if span.clock is not Clock.ELAPSED and calendar is None:
                self.problem(
                    f"'{source}' counts business time but no calendar applies: set 'calendar:' "
                    "here or on the policy, or defaults.calendar in the PolicySet",
                    document.locate(path),
                    rule,
                )
            self.spans[(kind, name, path)] = span
            return
        if isinstance(marker, SpanField) and marker.literal:
            self.problem(
                f"'{source}' is not a duration; write e.g. 30m, 4h, 4 business hours",
                document.locate(path),
                rule,
            )
            return
        variables = SCOPES[marker.scope]
        try:
            result = self.env.check(source, variables)
        except CelError as exc:
            self.problem(exc.message, document.locate_in_value(path, exc.line or 1, exc.column or 1), rule)
            return
        for check in result.problems:
            self.problem(check.message, document.locate_in_value(path, check.line, check.column), rule)
        if result.problems:
            return
        location = document.locate_in_value(path, 1, 1)
        expression = self.env.compile(source, variables)
        if not self._type_ok(expression, marker, variables, location, rule, path):
            return
        self.sites.append(
            ExpressionSite(
                kind=kind,
                document=name,
                path=path,
                source=source,
                scope=marker.scope,
                variables=variables,
                expect=marker.expect,
                location=location,
                rule=rule,
                expression=expression,
            )
        )

    def _type_ok(
        self,
        expression: Expression,
        marker: CelField | SpanField,
        variables: Mapping[str, CelType],
        location: SourceLocation,
        rule: str,
        path: DataPath,
    ) -> bool:
        wanted = " or ".join(marker.expect)
        field_name = next((str(p) for p in reversed(path) if isinstance(p, str)), "expression")
        if expression.type.name in marker.expect:
            return True
        if expression.type.name != "dyn":
            self.problem(
                f"{field_name} must yield a {wanted}, but this yields a {expression.type.name}",
                location,
                rule,
            )
            return False
        try:
            value = expression.evaluate(self._activation(marker.scope, variables))
        except CelEvaluationError as exc:
            if "no such member" in exc.message or "no such key" in exc.message:
                return True  # depends on data the sample lacks (custom fields): fine
            self.problem(f"{field_name} fails on a sample ticket: {exc.message}", location, rule)
            return False
        if not any(isinstance(value, _PYTHON_TYPES[t]) for t in marker.expect):
            self.problem(
                f"{field_name} must yield a {wanted}, but on a sample ticket it yields "
                f"{type(value).__name__} {value!r}",
                location,
                rule,
            )
            return False
        return True

    def _activation(self, scope: str, variables: Mapping[str, CelType]) -> Any:
        if scope not in self._activations:
            self._activations[scope] = self.env.activation(sample_values(variables))
        return self._activations[scope]


def _name(data: Any) -> str:
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else "-"


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}
