"""Building a checked policy set from validated documents: names unique, references known, every
CEL field compiled and type-checked (with what would fail at run time caught now), durations
parsed, and the traps that only running the conditions shows (:mod:`serviceflow.policy.traps`)."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.cel.types import CelType
from serviceflow.errors import CelError, CelEvaluationError, PolicyError, SourceLocation
from serviceflow.policy.durations import Clock, DurationSyntaxError, Span, looks_like_duration, parse_duration
from serviceflow.policy.loader import _SECTIONS, DataPath, ExpressionSite, PolicySet, _model_in
from serviceflow.policy.samples import sample_values
from serviceflow.policy.schema import (
    NAME_PATTERN,
    RULE_SECTIONS,
    CelField,
    JourneySpec,
    PolicySetSpec,
    PolicySpec,
    SpanField,
    Spec,
    field_marker,
)
from serviceflow.policy.scopes import SCOPES
from serviceflow.policy.traps import target_traps
from serviceflow.policy.yaml_source import Document

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "duration": (timedelta,),
    "timestamp": (datetime,),
}


class Builder:
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

    def problem(self, message: str, location: SourceLocation, rule: str, *, warning: bool = False) -> None:
        self.problems.append(PolicyError(message, location=location, rule=rule, warning=warning))

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
        by_policy: dict[str, dict[DataPath, Expression]] = {}  # one pass, not one per policy
        for site in self.sites:
            if site.kind == "Policy":
                by_policy.setdefault(site.document, {})[site.path] = site.expression
        for document, spec in policies:
            if isinstance(spec, PolicySpec):
                self._traps(document, spec, by_policy.get(spec.name, {}))
        if any(not p.warning for p in self.problems) or not sets:
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
            documents=tuple(d for d, _, _ in parsed),
        )

    def _traps(self, document: Document, spec: PolicySpec, sites: dict[DataPath, Expression]) -> None:
        """Targets that never run or never count, though every condition type-checks."""
        for index, target in enumerate(spec.targets):
            start, stop = sites.get(("targets", index, "start")), sites.get(("targets", index, "stop"))
            if start is None or stop is None:
                continue
            pause = sites.get(("targets", index, "pause"))
            for field_name, message in target_traps(self.env, start, stop, pause):
                where = document.locate(("targets", index, field_name))
                self.problem(message, where, target.name, warning=True)

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
        sections = RULE_SECTIONS.get(model.__name__.removesuffix("Spec"), ())
        seen: dict[str, DataPath] = {}
        for section in sections:
            items: Any = document.data
            for part in section:
                items = items.get(part) if isinstance(items, dict) else None
            for index, item in enumerate(items if isinstance(items, list) else []):
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    continue
                path: DataPath = (*section, index, "name")
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
            marker = field_marker(info)
            if isinstance(marker, CelField) and marker.names and isinstance(value, str):
                if re.match(NAME_PATTERN, value):
                    self._reference(document, field_path, "calendar", value, rule)
                else:
                    self._field(document, field_path, value, marker, calendar, rule)
            elif marker is not None and isinstance(value, str):
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
            location = document.locate_in_value(path, check.line, check.column)
            self.problem(check.message, location, rule, warning=check.warning)
        if any(not check.warning for check in result.problems):
            return
        location = document.locate_in_value(path, 1, 1)
        expression = self.env.compile(source, variables)
        if not self._type_ok(expression, marker, variables, location, rule, path):
            return
        if isinstance(marker, CelField) and marker.names and self.calendars is not None:
            for calendar_name in expression.results or ():
                if calendar_name not in self.calendars:
                    self.problem(
                        f"'{calendar_name}' is not a calendar; the PolicySet's calendars: "
                        + ", ".join(sorted(self.calendars)),
                        location,
                        rule,
                    )
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
