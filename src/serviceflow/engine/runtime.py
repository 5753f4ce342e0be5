"""The compiled rules' types: each rule of a policy set with its expressions and durations
resolved, as :class:`~serviceflow.engine.rules.Rules` builds them."""

from __future__ import annotations

from dataclasses import dataclass, field

from serviceflow.cel import Expression
from serviceflow.policy.durations import Span
from serviceflow.policy.schema import (
    AcknowledgeRule,
    Authority,
    JourneySpec,
    OwnerRule,
    PolicySpec,
    PromiseRule,
    QuarantineRule,
    SameCaseRule,
    Stage,
    TargetRule,
)


@dataclass(frozen=True)
class CalendarChoice:
    """Which calendar a rule's business time counts on: a name, or CEL choosing one per ticket
    (``fallback`` where it fails or names no calendar)."""

    name: str | None
    expression: Expression | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class Duration:
    """A rule's duration: a literal span, or CEL; and the calendar its clock runs on (None: elapsed)."""

    span: Span | None
    expression: Expression | None
    calendar: CalendarChoice | None


@dataclass(frozen=True)
class RuleRef:
    """One rule of the set. ``section`` says what it is; ``deadline`` whether it makes targets."""

    policy: str
    rule: str
    section: str

    @property
    def deadline(self) -> bool:
        return self.section in ("target", "promise", "acknowledge", "authority", "stage")


@dataclass(frozen=True)
class TargetRuntime:
    policy: str
    name: str
    spec: TargetRule
    when: Expression
    start: Expression
    stop: Expression
    within: Duration
    pause: Expression | None = None
    within_from: Expression | None = None
    at_risk: float | None = None
    escalation: str | None = None
    # Derived when it is made, as plain attributes: read in every step of every decision, and
    # a cached property's read is not specialized by the interpreter.
    restart: bool = field(init=False, repr=False, compare=False)
    #: A ``when`` that reads the event describes the start, and is not checked again later.
    when_reads_event: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "restart", self.spec.restart)
        object.__setattr__(self, "when_reads_event", _reads_event(self.when))


@dataclass(frozen=True)
class PromiseRuntime:
    policy: str
    name: str
    spec: PromiseRule
    recorded: Expression
    kept: Expression
    due: Duration
    at_risk: float | None = None
    escalation: str | None = None


@dataclass(frozen=True)
class OwnerRuntime:
    policy: str
    rule: OwnerRule
    when: Expression
    only: Expression | None = None


@dataclass(frozen=True)
class AcknowledgeRuntime:
    policy: str
    spec: AcknowledgeRule
    within: Duration
    when: Expression
    acknowledged: Expression
    reopen_unless: Expression
    escalation: str | None = None
    at_risk: float | None = None


@dataclass(frozen=True)
class AuthorityRuntime:
    policy: str
    spec: Authority
    grants: tuple[tuple[str, Expression], ...]
    approve_within: Duration
    escalation: str | None = None


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
    # Derived when it is made, as plain attributes (see TargetRuntime).
    name: str = field(init=False, repr=False, compare=False)
    #: The kind of ticket the policy applies to: "ticket" or "quarantined".
    kind: str = field(init=False, repr=False, compare=False)
    match_reads_event: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.spec.name)
        object.__setattr__(self, "kind", self.spec.applies_to)
        object.__setattr__(self, "match_reads_event", _reads_event(self.match))


@dataclass(frozen=True)
class StageRuntime:
    spec: Stage
    within: Duration
    done: Expression
    at_risk: float | None = None
    escalation: str | None = None


@dataclass(frozen=True)
class JourneyRuntime:
    spec: JourneySpec
    start: Expression
    stages: tuple[StageRuntime, ...]
    name: str = field(init=False, repr=False, compare=False)  # a plain attribute (see TargetRuntime)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.spec.name)


def _reads_event(expression: Expression) -> bool:
    return any(r == "event" or r.startswith("event.") for r in expression.references)
