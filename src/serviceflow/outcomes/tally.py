"""The tally of outcome rows: what a report shows, computed once for every output format.

Pure. Rows are de-duplicated on their key first (the earliest kept), so a row stored or derived
twice counts once, and the order of the rows never matters.

- Breach rate, per target (``policy/rule``), policy, team and agent: of the target instances
  settled (met, met late or breached), the share that breached. A target met after it breached
  counts as breached.
- Time to first response and to resolution: p50, p90 (nearest rank: the smallest value with at
  least that share of values at or below it) and max, in seconds from the case's opening.
- Promises kept and missed, repeat contacts joined, quarantined mail reviewed in time or late,
  at-risk warnings, escalations per level, and actions done (or would-have, in shadow) by type.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from serviceflow.outcomes.model import TARGET_KINDS, Outcome, OutcomeKind

__all__ = ["Dimension", "Distribution", "Rate", "Tally", "dedupe", "percentile", "select", "tally"]


class Dimension(StrEnum):
    TARGET = "target"
    POLICY = "policy"
    TEAM = "team"
    AGENT = "agent"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rate(_Frozen):
    """The breach rate of one target, policy, team or agent."""

    dimension: Dimension
    name: str
    met: int
    met_late: int
    breached: int
    label: str | None = None  # the team's or agent's name in the roster, when it has one

    @property
    def shown(self) -> str:
        """How a report names it: ``Ada Agent (a17)``, or the id alone."""
        return f"{self.label} ({self.name})" if self.label and self.label != self.name else self.name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def settled(self) -> int:
        return self.met + self.breached

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float:
        """Breached of settled, 0 to 1 (0 when nothing settled)."""
        return self.breached / self.settled if self.settled else 0.0


class Distribution(_Frozen):
    """A distribution of durations, in seconds (None when there are none)."""

    count: int
    p50: float | None
    p90: float | None
    max: float | None


class Tally(_Frozen):
    rates: tuple[Rate, ...]
    first_response: Distribution
    resolution: Distribution
    promises_kept: int
    promises_missed: int
    repeat_contacts: int
    quarantine_in_time: int
    quarantine_late: int
    warnings: int
    escalations: dict[int, int]
    actions: dict[str, int]
    cases: int
    rows: int

    def rates_by(self, dimension: Dimension) -> tuple[Rate, ...]:
        return tuple(r for r in self.rates if r.dimension is dimension)


NONE = "(none)"  # a row with no team or agent


def dedupe(rows: Iterable[Outcome]) -> list[Outcome]:
    """One row per key (the earliest; on a tie, the least by its JSON), sorted by time and key."""
    kept: dict[str, Outcome] = {}
    for row in rows:
        old = kept.get(row.key)
        if old is None or (row.at, row.model_dump_json()) < (old.at, old.model_dump_json()):
            kept[row.key] = row
    return sorted(kept.values(), key=lambda r: (r.at, r.key))


def select(
    rows: Iterable[Outcome],
    *,
    since: datetime | None = None,
    team: str | None = None,
    policy: str | None = None,
    would_have: bool = False,
) -> list[Outcome]:
    """The rows a report is about: recorded live (or, ``would_have``, in shadow), at or after
    ``since``, of ``team``; with ``policy``, that policy's rows and the case-wide rows (first
    response, resolution, repeat contacts) of the cases it had a row in."""
    chosen = [
        r
        for r in rows
        if r.would_have == would_have
        and (since is None or r.at >= since)
        and (team is None or r.team == team or r.team_name == team)  # the group's id or name
    ]
    if policy is None:
        return chosen
    cases = {r.case_id for r in chosen if r.policy == policy}
    return [r for r in chosen if r.policy == policy or (r.policy is None and r.case_id in cases)]


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (``share`` from 0 to 1); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def distribution(values: Sequence[float]) -> Distribution:
    return Distribution(
        count=len(values),
        p50=percentile(values, 0.5),
        p90=percentile(values, 0.9),
        max=max(values) if values else None,
    )


def tally(rows: Iterable[Outcome]) -> Tally:
    """Count ``rows`` (select them first: this counts every row it is given)."""
    unique = dedupe(rows)
    kinds = Counter(r.kind for r in unique)
    return Tally(
        rates=_rates(unique),
        first_response=distribution(_seconds(unique, OutcomeKind.FIRST_RESPONSE)),
        resolution=distribution(_seconds(unique, OutcomeKind.RESOLVED)),
        promises_kept=kinds[OutcomeKind.PROMISE_KEPT],
        promises_missed=kinds[OutcomeKind.PROMISE_MISSED],
        repeat_contacts=kinds[OutcomeKind.REPEAT_CONTACT],
        quarantine_in_time=kinds[OutcomeKind.QUARANTINE_REVIEWED],
        quarantine_late=kinds[OutcomeKind.QUARANTINE_REVIEWED_LATE],
        warnings=kinds[OutcomeKind.WARNING_SENT],
        escalations=dict(
            sorted(Counter(r.level or 0 for r in unique if r.kind is OutcomeKind.ESCALATION).items())
        ),
        actions=dict(
            sorted(
                Counter(
                    r.detail
                    for r in unique
                    if r.kind in (OutcomeKind.ACTION_DONE, OutcomeKind.ACTION_WOULD_HAVE)
                ).items()
            )
        ),
        cases=len({r.case_id for r in unique}),
        rows=len(unique),
    )


def _seconds(rows: Sequence[Outcome], kind: OutcomeKind) -> list[float]:
    return [s for r in rows if r.kind is kind and (s := r.seconds) is not None]


_NAMES: dict[Dimension, Callable[[Outcome], str]] = {
    Dimension.TARGET: lambda r: f"{r.policy}/{r.target}",
    Dimension.POLICY: lambda r: r.policy or NONE,
    Dimension.TEAM: lambda r: r.team or NONE,
    Dimension.AGENT: lambda r: r.agent or NONE,
}


def _rates(rows: Sequence[Outcome]) -> tuple[Rate, ...]:
    # One outcome per target instance: breached wins over met (a late one is both).
    instances: dict[tuple[str, str], Outcome] = {}
    late: set[tuple[str, str]] = set()
    for row in rows:
        if row.kind not in TARGET_KINDS:
            continue
        instance = (row.case_id, row.target_id or row.key)
        if row.kind is OutcomeKind.TARGET_MET_LATE:
            late.add(instance)
        held = instances.get(instance)
        if held is None or (row.kind is OutcomeKind.TARGET_BREACHED and held.kind is not row.kind):
            instances[instance] = row
    labels: dict[Dimension, dict[str, str]] = {Dimension.TEAM: {}, Dimension.AGENT: {}}
    for row in rows:  # oldest first: the latest name a roster gave wins
        if row.team and row.team_name:
            labels[Dimension.TEAM][row.team] = row.team_name
        if row.agent and row.agent_name:
            labels[Dimension.AGENT][row.agent] = row.agent_name
    found: list[Rate] = []
    for dimension, name_of in _NAMES.items():
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for instance, row in instances.items():
            count = counts[name_of(row)]
            if row.kind is OutcomeKind.TARGET_BREACHED or instance in late:
                count[2] += 1
                count[1] += instance in late
            else:
                count[0] += 1
        known = labels.get(dimension, {})
        found.extend(
            Rate(
                dimension=dimension, name=name, met=c[0], met_late=c[1], breached=c[2], label=known.get(name)
            )
            for name, c in sorted(counts.items())
        )
    return tuple(found)
