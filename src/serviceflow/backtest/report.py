"""What a backtest reports: per target and per policy, per team and per agent, the targets met and
breached, the warnings and escalations that would have been sent, the promises kept and missed
and the repeat contacts joined; as a terminal table, JSON or CSV.

The numbers are :func:`serviceflow.outcomes.tally.tally`'s over the replay's outcome rows (the
same tally ``serviceflow report`` shows for a running deployment), taken once for all rows and
once per group of rows: a target's rows, a team's, an agent's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from serviceflow.backtest.replay import ReplayResult
from serviceflow.outcomes.model import Outcome, OutcomeKind
from serviceflow.outcomes.tally import NONE, Dimension, Rate, Tally, select, tally


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Line(_Frozen):
    """One target, team or agent: what the policy set would have done there."""

    dimension: Dimension
    name: str
    met: int
    met_late: int
    breached: int
    breach_rate: float
    warnings: int
    escalations: int
    promises_kept: int
    promises_missed: int
    repeat_contacts: int


class Report(_Frozen):
    """One policy set's backtest."""

    source: str
    policy_version: str
    start: datetime | None
    end: datetime | None
    events: int
    tickets: int
    decisions: int
    rule_errors: int
    notes: tuple[str, ...] = ()
    totals: Tally
    lines: tuple[Line, ...]


_ACTIONS = frozenset({OutcomeKind.ACTION_DONE, OutcomeKind.ACTION_WOULD_HAVE})
_GROUPS: dict[Dimension, Callable[[Outcome], str | None]] = {
    # An action's row names its rule, not a target: it counts for its team and agent only.
    Dimension.TARGET: lambda r: f"{r.policy}/{r.target}" if r.target and r.kind not in _ACTIONS else None,
    Dimension.POLICY: lambda r: (r.policy or NONE) if r.target and r.kind not in _ACTIONS else None,
    Dimension.TEAM: lambda r: r.team or NONE,
    Dimension.AGENT: lambda r: r.agent or NONE,
}


#: The rows a line counts besides its targets' (whose rates come from the totals' tally).
_COUNTED = frozenset(
    {
        OutcomeKind.WARNING_SENT,
        OutcomeKind.ESCALATION,
        OutcomeKind.PROMISE_KEPT,
        OutcomeKind.PROMISE_MISSED,
        OutcomeKind.REPEAT_CONTACT,
    }
)


def _line(dimension: Dimension, name: str, rate: Rate | None, rows: Sequence[Outcome]) -> Line:
    counted = tally(rows)
    return Line(
        dimension=dimension,
        name=name,
        met=rate.met if rate else 0,
        met_late=rate.met_late if rate else 0,
        breached=rate.breached if rate else 0,
        breach_rate=round(rate.rate, 4) if rate else 0.0,
        warnings=counted.warnings,
        escalations=sum(counted.escalations.values()),
        promises_kept=counted.promises_kept,
        promises_missed=counted.promises_missed,
        repeat_contacts=counted.repeat_contacts,
    )


def lines_of(rows: Sequence[Outcome], totals: Tally | None = None) -> tuple[Line, ...]:
    """A line per target, team and agent: its breach rate from the tally of all rows, its
    warnings, escalations, promises and repeat contacts from the tally of its own."""
    counted = [row for row in rows if row.kind in _COUNTED]
    overall = totals or tally(rows)
    found: list[Line] = []
    for dimension, name_of in _GROUPS.items():
        rates = {rate.name: rate for rate in overall.rates_by(dimension)}
        groups: dict[str, list[Outcome]] = {name: [] for name in rates}
        for row in counted:
            name = name_of(row)
            if name is not None:
                groups.setdefault(name, []).append(row)
        found.extend(_line(dimension, name, rates.get(name), groups[name]) for name in sorted(groups))
    return tuple(found)


def build_report(result: ReplayResult, *, source: str, notes: Iterable[str] = ()) -> Report:
    rows = select(result.outcomes, would_have=True)
    totals = tally(rows)
    return Report(
        source=source,
        policy_version=result.version,
        start=result.start,
        end=result.end,
        events=result.events,
        tickets=len(result.cases),
        decisions=result.decisions,
        rule_errors=len(result.errors),
        notes=tuple(notes),
        totals=totals,
        lines=lines_of(rows, totals),
    )


CSV_COLUMNS = (
    "policy_set",
    "dimension",
    "name",
    "met",
    "met_late",
    "breached",
    "breach_rate",
    "warnings",
    "escalations",
    "promises_kept",
    "promises_missed",
    "repeat_contacts",
)


def as_csv(reports: Sequence[tuple[str, Report]]) -> str:
    """One CSV row per line of every report, its policy set named in the first column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for label, report in reports:
        for line in report.lines:
            data = line.model_dump(mode="json")
            writer.writerow([label, *(data[c] for c in CSV_COLUMNS[1:])])
    return out.getvalue()
