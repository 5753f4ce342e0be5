"""The policy set as the engine uses it: every rule with its compiled expressions, its durations
and clocks resolved, calendars built; and the one inventory of the set's rules.

Built once per policy set version; deciding never compiles anything. The CEL fields of each rule
are found by walking the rule's schema (the fields marked ``CelField`` / ``SpanField``), so a new
CEL field of the language needs no new lookup here.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from serviceflow.cel import CelEnvironment
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.evaluation import ResultCache
from serviceflow.engine.runtime import (
    AcknowledgeRuntime,
    AuthorityRuntime,
    CalendarChoice,
    Duration,
    JourneyRuntime,
    OwnerRuntime,
    PolicyRuntime,
    PromiseRuntime,
    RuleRef,
    StageRuntime,
    TargetRuntime,
)
from serviceflow.policy import PolicySet
from serviceflow.policy.durations import Clock, Span
from serviceflow.policy.schema import (
    NAME_PATTERN,
    CelField,
    JourneySpec,
    Ladder,
    PolicySpec,
    SpanField,
    field_marker,
)

__all__ = [
    "AcknowledgeRuntime",
    "AuthorityRuntime",
    "CalendarChoice",
    "Duration",
    "JourneyRuntime",
    "OwnerRuntime",
    "PolicyRuntime",
    "PromiseRuntime",
    "RuleRef",
    "Rules",
    "StageRuntime",
    "TargetRuntime",
]

DataPath = tuple[str | int, ...]
#: How many earlier versions a ``new_cases`` policy set keeps for the cases that started on them.
VERSIONS_KEPT = 20


@dataclass
class Rules:
    """The engine's compiled view of one policy set version.

    ``previous`` is the version this one replaces: a set whose ``on_change`` is ``new_cases``
    keeps the earlier versions (up to :data:`VERSIONS_KEPT`) for the cases that started on them.
    """

    policy_set: PolicySet
    environment: CelEnvironment = field(default_factory=CelEnvironment)
    previous: Rules | None = None

    def __post_init__(self) -> None:
        settings = self.policy_set.settings
        self.version = self.policy_set.version
        self.on_change = settings.on_change
        self.defaults = settings.defaults
        self.fallback = settings.fallback
        self.ladders: dict[str, Ladder] = dict(settings.escalations)
        self.calendars: dict[str, BusinessCalendar] = {
            name: BusinessCalendar.from_spec(name, spec) for name, spec in settings.calendars.items()
        }
        self._elapsed = BusinessCalendar.always_open()
        self.cache: ResultCache | None = ResultCache()  # None turns it off (benchmarks)
        self._sites = {(s.kind, s.document, s.path): s.expression for s in self.policy_set.expressions}
        self._inventory: list[RuleRef] = []
        self.policies = tuple(self._policy(p) for p in self.policy_set.policies)
        self.journeys = tuple(self._journey(j) for j in self.policy_set.journeys)
        self.inventory: tuple[RuleRef, ...] = tuple(self._inventory)
        # What the steps look up on every input, found once as plain attributes (a cached
        # property's read is not specialized by the interpreter).
        calendar = self.defaults.calendar
        #: The policy set's local time (its default calendar's zone): what people read times in.
        self.zone: ZoneInfo | None = self.calendar(calendar).zone if calendar else None
        #: (policy or journey, rule) pairs that make deadlines: targets of others are stale.
        self.rule_names: frozenset[tuple[str, str]] = frozenset(
            (r.policy, r.rule) for r in self.inventory if r.deadline
        )
        self.target_rules: dict[tuple[str, str], TargetRuntime] = {
            (t.policy, t.name): t for p in self.policies for t in p.targets
        }
        self.policies_by_name: dict[str, PolicyRuntime] = {p.name: p for p in self.policies}
        self.earlier: dict[str, Rules] = {}
        if self.previous is not None and self.previous.version != self.version:
            # Kept without their own earlier versions, so the chain stays VERSIONS_KEPT long
            # (a shallow copy shares everything compiled; the previous rules are not changed).
            alone = copy.copy(self.previous)
            alone.earlier = {}
            kept = {**self.previous.earlier, alone.version: alone}
            self.earlier = dict(list(kept.items())[-VERSIONS_KEPT:])
        self.previous = None

    def calendar(self, name: str | None) -> BusinessCalendar:
        """The named calendar; None means elapsed time (always open)."""
        return self.calendars[name] if name is not None else self._elapsed

    def ladder(self, name: str | None) -> Ladder | None:
        return self.ladders.get(name) if name else None

    def for_version(self, version: str | None) -> Rules | None:
        """This version or a kept earlier one; None when it is not kept."""
        if version is None or version == self.version:
            return self
        return self.earlier.get(version)

    # -- walking a rule's schema -----------------------------------------------------------------

    def _compiled(self, kind: str, document: str, path: DataPath, spec: BaseModel) -> dict[str, Any]:
        """Every CEL field of ``spec`` (at ``path`` in its document) that the loader compiled."""
        found: dict[str, Any] = {}
        for name, info in type(spec).model_fields.items():
            marker = field_marker(info)
            if isinstance(marker, CelField) and not marker.names:
                expression = self._sites.get((kind, document, (*path, info.alias or name)))
                if expression is not None:
                    found[name] = expression
        return found

    def _durations(
        self, kind: str, document: str, path: DataPath, spec: BaseModel, calendar: CalendarChoice | None
    ) -> dict[str, Any]:
        """Every duration field of ``spec``: a literal's clock is in its text; CEL runs on the
        rule's own calendar, else elapsed."""
        found: dict[str, Any] = {}
        explicit = getattr(spec, "calendar", None)
        for name, info in type(spec).model_fields.items():
            if not isinstance(field_marker(info), SpanField) or getattr(spec, name) is None:
                continue
            field_path = (kind, document, (*path, info.alias or name))
            span = self.policy_set.spans.get(field_path)
            if span is not None:
                found[name] = Duration(span, None, None if span.clock is Clock.ELAPSED else calendar)
            elif field_path in self._sites:
                found[name] = Duration(None, self._sites[field_path], calendar if explicit else None)
        return found

    def _choice(
        self, kind: str, document: str, path: DataPath, value: str | None, inherited: CalendarChoice | None
    ) -> CalendarChoice | None:
        if value is None:
            return inherited
        if re.match(NAME_PATTERN, value):
            return CalendarChoice(value)
        fallback = inherited.name if inherited is not None else self.defaults.calendar
        expression = self._sites.get((kind, document, (*path, "calendar")))
        return CalendarChoice(None, expression, fallback or self.defaults.calendar)

    def _note(self, policy: str, rule: str, section: str) -> None:
        self._inventory.append(RuleRef(policy, rule, section))

    # -- building ------------------------------------------------------------------------------

    def _policy(self, spec: PolicySpec) -> PolicyRuntime:
        name = spec.name
        base = CalendarChoice(self.defaults.calendar) if self.defaults.calendar else None
        inherited = self._choice("Policy", name, (), spec.calendar, base)
        at_risk = self.defaults.at_risk
        ladder = self.defaults.escalation

        def parts(path: DataPath, rule: BaseModel) -> dict[str, Any]:
            choice = self._choice("Policy", name, path, getattr(rule, "calendar", None), inherited)
            return {
                **self._compiled("Policy", name, path, rule),
                **self._durations("Policy", name, path, rule, choice),
            }

        owners = []
        for index, owner in enumerate(spec.owner):
            self._note(name, owner.name, "owner")
            owners.append(OwnerRuntime(policy=name, rule=owner, **parts(("owner", index), owner)))
        targets = []
        for index, target in enumerate(spec.targets):
            self._note(name, target.name, "target")
            targets.append(
                TargetRuntime(
                    policy=name,
                    name=target.name,
                    spec=target,
                    at_risk=target.at_risk or at_risk,
                    escalation=target.escalation or ladder,
                    **parts(("targets", index), target),
                )
            )
        promises = []
        for index, promise in enumerate(spec.promises):
            self._note(name, promise.name, "promise")
            promises.append(
                PromiseRuntime(
                    policy=name,
                    name=promise.name,
                    spec=promise,
                    at_risk=promise.at_risk or at_risk,
                    escalation=promise.escalation or ladder,
                    **parts(("promises", index), promise),
                )
            )
        acknowledge = None
        if spec.acknowledge is not None:
            self._note(name, "acknowledge", "acknowledge")
            acknowledge = AcknowledgeRuntime(
                policy=name,
                spec=spec.acknowledge,
                escalation=spec.acknowledge.escalation or ladder,
                at_risk=at_risk,
                **parts(("acknowledge",), spec.acknowledge),
            )
        same_case = None
        if spec.same_case is not None:
            self._note(name, "same_case", "same_case")
            same_case = (spec.same_case, parts(("same_case",), spec.same_case)["when"])
        authority = None
        if spec.authority is not None:
            self._note(name, "authority", "authority")
            grants = []
            for index, grant in enumerate(spec.authority.grant):
                self._note(name, grant.name, "grant")
                grants.append((grant.name, parts(("authority", "grant", index), grant)["when"]))
            authority = AuthorityRuntime(
                policy=name,
                spec=spec.authority,
                grants=tuple(grants),
                escalation=spec.authority.escalation or ladder,
                **parts(("authority",), spec.authority),
            )
        quarantine = []
        for index, rule in enumerate(spec.quarantine):
            self._note(name, rule.name, "quarantine")
            quarantine.append((rule, parts(("quarantine", index), rule)["when"]))
        return PolicyRuntime(
            spec=spec,
            match=self._compiled("Policy", name, (), spec)["match"],
            owners=tuple(owners),
            targets=tuple(targets),
            promises=tuple(promises),
            acknowledge=acknowledge,
            same_case=same_case,
            authority=authority,
            quarantine=tuple(quarantine),
        )

    def _journey(self, spec: JourneySpec) -> JourneyRuntime:
        name = spec.name
        self._note(name, "start", "journey")
        calendar = spec.calendar or self.defaults.calendar
        inherited = CalendarChoice(calendar) if calendar else None
        stages = []
        for index, stage in enumerate(spec.stages):
            self._note(name, stage.name, "stage")
            path: DataPath = ("stages", index)
            choice = self._choice("Journey", name, path, stage.calendar, inherited)
            stages.append(
                StageRuntime(
                    spec=stage,
                    at_risk=stage.at_risk or self.defaults.at_risk,
                    escalation=stage.escalation or self.defaults.escalation,
                    **self._compiled("Journey", name, path, stage),
                    **self._durations("Journey", name, path, stage, choice),
                )
            )
        return JourneyRuntime(
            spec=spec, start=self._compiled("Journey", name, (), spec)["start"], stages=tuple(stages)
        )

    # -- ladders -------------------------------------------------------------------------------

    def _set_span(self, *path: str | int) -> Span | None:
        return self.policy_set.spans.get(("PolicySet", self.policy_set.settings.name, tuple(path)))

    def level_delay(self, ladder: str, level: int) -> Span | None:
        """A ladder level's ``after``; None means at once."""
        return self._set_span("escalations", ladder, "levels", level, "after")

    def cooldown(self, ladder: str) -> timedelta:
        span = self._set_span("escalations", ladder, "cooldown")
        return span.delta if span is not None else timedelta(hours=1)
