"""The policy set as the engine uses it: every rule with its compiled expressions resolved,
type defaults filled in, calendars built, and the effective clock of every duration decided.

Built once per policy set version; deciding never compiles anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.evaluation import ResultCache
from serviceflow.policy import PolicySet
from serviceflow.policy.durations import Clock, Span
from serviceflow.policy.schema import (
    AcknowledgeRule,
    Authority,
    JourneySpec,
    Ladder,
    OwnerRule,
    PolicySpec,
    QuarantineRule,
    SameCaseRule,
    Stage,
)
from serviceflow.policy.scopes import SCOPES

# Start and stop conditions that a target's `type` implies; `restart` re-arms a met target.
TYPE_DEFAULTS: Mapping[str, tuple[str, str, bool]] = {
    "first_response": ('event.kind == "created"', 'event.kind == "agent_reply"', False),
    "next_response": ('event.kind == "customer_message"', 'event.kind == "agent_reply"', True),
    "resolution": (
        'event.kind == "created" || (event.kind == "status_changed"'
        ' && ticket.status in ["new", "open"] && "status" in event.changes'
        ' && event.changes.status in ["solved", "closed"])',
        'ticket.status in ["solved", "closed"]',
        True,
    ),
}


@dataclass(frozen=True)
class Duration:
    """A rule's duration: a literal span, or CEL; and the calendar its clock runs on (None: elapsed)."""

    span: Span | None
    expression: Expression | None
    calendar: str | None


@dataclass(frozen=True)
class TargetRuntime:
    policy: str
    name: str
    when: Expression
    start: Expression
    stop: Expression
    pause: Expression | None
    within: Duration
    at_risk: float | None
    escalation: str | None
    restart: bool


@dataclass(frozen=True)
class PromiseRuntime:
    policy: str
    name: str
    recorded: Expression
    due: Duration
    kept: Expression
    at_risk: float | None
    escalation: str | None


@dataclass(frozen=True)
class OwnerRuntime:
    policy: str
    rule: OwnerRule
    when: Expression
    only: Expression | None


@dataclass(frozen=True)
class AcknowledgeRuntime:
    policy: str
    spec: AcknowledgeRule
    within: Duration
    when: Expression
    acknowledged: Expression
    reopen_unless: Expression
    escalation: str | None
    at_risk: float | None


@dataclass(frozen=True)
class AuthorityRuntime:
    policy: str
    spec: Authority
    grants: tuple[tuple[str, Expression], ...]
    approve_within: Duration
    escalation: str | None


@dataclass(frozen=True)
class PolicyRuntime:
    spec: PolicySpec
    match: Expression
    owners: tuple[OwnerRuntime, ...]
    targets: tuple[TargetRuntime, ...]
    promises: tuple[PromiseRuntime, ...]
    acknowledge: AcknowledgeRuntime | None
    same_case: tuple[SameCaseRule, Expression] | None
    authority: AuthorityRuntime | None
    quarantine: tuple[tuple[QuarantineRule, Expression], ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        """The kind of ticket the policy applies to: "ticket" or "quarantined"."""
        return self.spec.applies_to


@dataclass(frozen=True)
class StageRuntime:
    spec: Stage
    within: Duration
    done: Expression
    at_risk: float | None
    escalation: str | None


@dataclass(frozen=True)
class JourneyRuntime:
    spec: JourneySpec
    start: Expression
    stages: tuple[StageRuntime, ...]

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Rules:
    """The engine's compiled view of one policy set version."""

    policy_set: PolicySet
    environment: CelEnvironment = field(default_factory=CelEnvironment)

    def __post_init__(self) -> None:
        settings = self.policy_set.settings
        self.version = self.policy_set.version
        self.defaults = settings.defaults
        self.fallback = settings.fallback
        self.ladders: dict[str, Ladder] = dict(settings.escalations)
        self.calendars: dict[str, BusinessCalendar] = {
            name: BusinessCalendar.from_spec(name, spec) for name, spec in settings.calendars.items()
        }
        self._elapsed = BusinessCalendar.always_open()
        self.cache: ResultCache | None = ResultCache()  # None turns it off (benchmarks)
        self._defaults: dict[str, Expression] = {}
        self.policies = tuple(self._policy(p) for p in self.policy_set.policies)
        self.journeys = tuple(self._journey(j) for j in self.policy_set.journeys)

    def calendar(self, name: str | None) -> BusinessCalendar:
        """The named calendar; None means elapsed time (always open)."""
        return self.calendars[name] if name is not None else self._elapsed

    def ladder(self, name: str | None) -> Ladder | None:
        return self.ladders.get(name) if name else None

    @cached_property
    def rule_names(self) -> frozenset[tuple[str, str]]:
        """(policy or journey, rule) pairs that exist in this version: targets of others are stale."""
        names: set[tuple[str, str]] = set()
        for policy in self.policies:
            names.update((policy.name, t.name) for t in policy.targets)
            names.update((policy.name, p.name) for p in policy.promises)
            if policy.acknowledge:
                names.add((policy.name, "acknowledge"))
            if policy.authority:
                names.add((policy.name, "authority"))
        for journey in self.journeys:
            names.update((journey.name, s.spec.name) for s in journey.stages)
        return frozenset(names)

    # -- building ------------------------------------------------------------------------------

    def _expr(self, kind: str, document: str, *path: str | int) -> Expression:
        return self.policy_set.expression(kind, document, *path)

    def _maybe(self, kind: str, document: str, *path: str | int) -> Expression | None:
        try:
            return self._expr(kind, document, *path)
        except KeyError:
            return None

    def _default(self, source: str) -> Expression:
        if source not in self._defaults:
            self._defaults[source] = self.environment.compile(source, SCOPES["case"])
        return self._defaults[source]

    def _duration(
        self,
        kind: str,
        document: str,
        path: tuple[str | int, ...],
        *,
        explicit: str | None,
        inherited: str | None,
    ) -> Duration:
        """A literal's clock is in its text; CEL runs on the rule's own calendar, else elapsed."""
        span = self.policy_set.span(kind, document, *path)
        if span is not None:
            calendar = None if span.clock is Clock.ELAPSED else (explicit or inherited)
            return Duration(span, None, calendar)
        return Duration(None, self._expr(kind, document, *path), explicit)

    def _policy(self, spec: PolicySpec) -> PolicyRuntime:
        name = spec.name
        inherited = spec.calendar or self.defaults.calendar
        targets = []
        for index, rule in enumerate(spec.targets):
            start, stop, restart = TYPE_DEFAULTS.get(rule.type, ("", "", False))
            targets.append(
                TargetRuntime(
                    policy=name,
                    name=rule.name,
                    when=self._expr("Policy", name, "targets", index, "when"),
                    start=self._maybe("Policy", name, "targets", index, "start") or self._default(start),
                    stop=self._maybe("Policy", name, "targets", index, "stop") or self._default(stop),
                    pause=self._maybe("Policy", name, "targets", index, "pause"),
                    within=self._duration(
                        "Policy",
                        name,
                        ("targets", index, "within"),
                        explicit=rule.calendar,
                        inherited=inherited,
                    ),
                    at_risk=rule.at_risk or self.defaults.at_risk,
                    escalation=rule.escalation or self.defaults.escalation,
                    restart=restart,
                )
            )
        promises = tuple(
            PromiseRuntime(
                policy=name,
                name=rule.name,
                recorded=self._expr("Policy", name, "promises", index, "recorded"),
                due=self._duration(
                    "Policy",
                    name,
                    ("promises", index, "due"),
                    explicit=rule.calendar,
                    inherited=inherited,
                ),
                kept=self._expr("Policy", name, "promises", index, "kept"),
                at_risk=rule.at_risk or self.defaults.at_risk,
                escalation=rule.escalation or self.defaults.escalation,
            )
            for index, rule in enumerate(spec.promises)
        )
        owners = tuple(
            OwnerRuntime(
                policy=name,
                rule=rule,
                when=self._expr("Policy", name, "owner", index, "when"),
                only=self._maybe("Policy", name, "owner", index, "only"),
            )
            for index, rule in enumerate(spec.owner)
        )
        acknowledge = None
        if spec.acknowledge is not None:
            ack = spec.acknowledge
            acknowledge = AcknowledgeRuntime(
                policy=name,
                spec=ack,
                within=self._duration(
                    "Policy",
                    name,
                    ("acknowledge", "within"),
                    explicit=ack.calendar,
                    inherited=inherited,
                ),
                when=self._expr("Policy", name, "acknowledge", "when"),
                acknowledged=self._expr("Policy", name, "acknowledge", "acknowledged"),
                reopen_unless=self._expr("Policy", name, "acknowledge", "reopen_unless"),
                escalation=ack.escalation or self.defaults.escalation,
                at_risk=self.defaults.at_risk,
            )
        same_case = None
        if spec.same_case is not None:
            same_case = (spec.same_case, self._expr("Policy", name, "same_case", "when"))
        authority = None
        if spec.authority is not None:
            auth = spec.authority
            authority = AuthorityRuntime(
                policy=name,
                spec=auth,
                grants=tuple(
                    (grant.name, self._expr("Policy", name, "authority", "grant", index, "when"))
                    for index, grant in enumerate(auth.grant)
                ),
                approve_within=self._duration(
                    "Policy",
                    name,
                    ("authority", "approve_within"),
                    explicit=None,
                    inherited=inherited,
                ),
                escalation=auth.escalation or self.defaults.escalation,
            )
        return PolicyRuntime(
            spec=spec,
            match=self._expr("Policy", name, "match"),
            owners=owners,
            targets=tuple(targets),
            promises=promises,
            acknowledge=acknowledge,
            same_case=same_case,
            authority=authority,
            quarantine=tuple(
                (rule, self._expr("Policy", name, "quarantine", index, "when"))
                for index, rule in enumerate(spec.quarantine)
            ),
        )

    def _journey(self, spec: JourneySpec) -> JourneyRuntime:
        name = spec.name
        inherited = spec.calendar or self.defaults.calendar
        stages = tuple(
            StageRuntime(
                spec=stage,
                within=self._duration(
                    "Journey",
                    name,
                    ("stages", index, "within"),
                    explicit=stage.calendar,
                    inherited=inherited,
                ),
                done=self._expr("Journey", name, "stages", index, "done"),
                at_risk=stage.at_risk or self.defaults.at_risk,
                escalation=stage.escalation or self.defaults.escalation,
            )
            for index, stage in enumerate(spec.stages)
        )
        return JourneyRuntime(spec=spec, start=self._expr("Journey", name, "start"), stages=stages)

    # -- ladders -------------------------------------------------------------------------------

    def level_delay(self, ladder: str, level: int) -> Span | None:
        """A ladder level's ``after``; None means at once."""
        return self.policy_set.span(
            "PolicySet",
            self.policy_set.settings.name,
            "escalations",
            ladder,
            "levels",
            level,
            "after",
        )

    def cooldown(self, ladder: str) -> timedelta:
        span = self.policy_set.span(
            "PolicySet", self.policy_set.settings.name, "escalations", ladder, "cooldown"
        )
        return span.delta if span is not None else timedelta(hours=1)
