"""SLA cycles for metrics and reports: every start (and re-arm) of a target is a cycle with its
own start, pauses, stop and outcome, kept in the case as one TargetState each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from serviceflow.model import CaseState, CycleOutcome, TargetState


@dataclass(frozen=True)
class Cycle:
    """One cycle, as a report reads it."""

    case_id: str
    policy: str
    target: str
    cycle: int
    started_at: datetime
    stopped_at: datetime | None
    outcome: CycleOutcome
    paused_seconds: float
    breached_at: datetime | None

    @classmethod
    def of(cls, case_id: str, target: TargetState, now: datetime) -> Cycle:
        paused = sum(((p.end or now) - p.start).total_seconds() for p in target.pauses)
        return cls(
            case_id, target.policy, target.name, target.cycle, target.started_at, target.stopped_at,
            target.outcome, paused, target.breached_at,
        )  # fmt: skip


def cycles(state: CaseState, now: datetime) -> list[Cycle]:
    """Every cycle of the case, in the order they started."""
    return [Cycle.of(state.case_id, t, now) for t in state.targets]


def settled(before: CaseState | None, after: CaseState) -> list[Cycle]:
    """The cycles a decision settled (met, met late, cancelled): what metrics count, once each."""
    open_before = {t.id for t in before.targets if t.open} if before else set()
    now = max((d.time for d in after.decisions[-1:]), default=after.opened_at)
    return [
        Cycle.of(after.case_id, t, now)
        for t in after.targets
        if not t.open
        and (t.id in open_before or before is None or t.id not in {x.id for x in before.targets})
    ]
