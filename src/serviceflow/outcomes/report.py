"""A report over outcome rows: what it covers and its tally, as JSON, CSV and terminal tables.

Every output format is made from one :class:`Report`, so the numbers agree everywhere (the HTML
page's are :mod:`serviceflow.outcomes.html`'s, from the same object).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict
from rich.table import Table
from rich.text import Text

from serviceflow.outcomes.model import Outcome
from serviceflow.outcomes.tally import Dimension, Distribution, Tally, select, tally

__all__ = ["Report", "build_report", "duration_text", "to_csv", "to_json", "to_tables"]


class Report(BaseModel):
    """A tally, and what it is a tally of."""

    model_config = ConfigDict(frozen=True)

    since: AwareDatetime | None = None
    team: str | None = None
    policy: str | None = None
    shadow: bool = False
    made_at: AwareDatetime
    tally: Tally

    @property
    def title(self) -> str:
        what = "What shadow mode would have done" if self.shadow else "Service outcomes"
        scope = [f"since {self.since:%Y-%m-%d %H:%M %Z}" if self.since else "all recorded"]
        scope += [f"team {self.team}"] if self.team else []
        scope += [f"policy {self.policy}"] if self.policy else []
        return f"{what}: {', '.join(scope)}"


def build_report(
    rows: list[Outcome],
    *,
    made_at: datetime,
    since: datetime | None = None,
    team: str | None = None,
    policy: str | None = None,
    shadow: bool = False,
) -> Report:
    chosen = select(rows, since=since, team=team, policy=policy, would_have=shadow)
    return Report(since=since, team=team, policy=policy, shadow=shadow, made_at=made_at, tally=tally(chosen))


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def _measures(report: Report) -> Iterator[tuple[str, str, str, str, float | int | None]]:
    """(metric, dimension, name, label, value): every number of the report, one per line."""
    counted = report.tally
    for rate in counted.rates:
        for measure in ("met", "met_late", "breached", "settled", "rate"):
            metric = "breach_rate" if measure == "rate" else f"targets_{measure}"
            yield (metric, rate.dimension.value, rate.name, rate.label or "", getattr(rate, measure))
    for name, dist in (
        ("first_response_seconds", counted.first_response),
        ("resolution_seconds", counted.resolution),
    ):
        for measure in ("count", "p50", "p90", "max"):
            yield (name, "", measure, "", getattr(dist, measure))
    yield ("promises", "", "kept", "", counted.promises_kept)
    yield ("promises", "", "missed", "", counted.promises_missed)
    yield ("repeat_contacts", "", "joined", "", counted.repeat_contacts)
    yield ("quarantine_reviewed", "", "in_time", "", counted.quarantine_in_time)
    yield ("quarantine_reviewed", "", "late", "", counted.quarantine_late)
    yield ("warnings", "", "sent", "", counted.warnings)
    for level, count in counted.escalations.items():
        yield ("escalations", "level", str(level), "", count)
    for kind, count in counted.actions.items():
        yield ("actions_would_have" if report.shadow else "actions_done", "type", kind, "", count)


def to_csv(report: Report) -> str:
    """Tidy CSV: ``metric,dimension,name,label,value``, one number a line (a pivot table away from
    any view); ``label`` is the roster's name of a team or agent; an empty value where there is
    none (no resolutions yet: no p50)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "dimension", "name", "label", "value"])
    for metric, dimension, name, label, value in _measures(report):
        writer.writerow(
            [metric, dimension, _csv_safe(name), _csv_safe(label), "" if value is None else value]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A name that a spreadsheet would run as a formula (=, +, -, @) is quoted as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def duration_text(seconds: float | None) -> str:
    """12 s, 5 min, 3.5 h, 2.1 d; a dash for none."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def to_tables(report: Report) -> list[Table]:
    """The report as rich tables, for the terminal."""
    counted = report.tally
    rates = Table(title="Breach rate", title_justify="left")
    for column in ("", "name", "met", "met late", "breached", "breach rate"):
        rates.add_column(column, justify="right" if column not in ("", "name") else "left")
    for dimension in Dimension:
        for rate in counted.rates_by(dimension):
            rates.add_row(
                dimension.value,
                Text(rate.shown),  # a name from the helpdesk is text, never rich markup
                str(rate.met),
                str(rate.met_late),
                str(rate.breached),
                f"{rate.rate:.1%}",
            )
    times = Table(title="Time to first response and to resolution", title_justify="left")
    for column in ("", "cases", "p50", "p90", "max"):
        times.add_column(column, justify="left" if not column else "right")
    for name, dist in (("first response", counted.first_response), ("resolution", counted.resolution)):
        times.add_row(name, *_dist_cells(dist))
    counts = Table(title="Counts", title_justify="left")
    counts.add_column("")
    counts.add_column("count", justify="right")
    for label, value in (
        ("promises kept", counted.promises_kept),
        ("promises missed", counted.promises_missed),
        ("repeat contacts joined", counted.repeat_contacts),
        ("quarantined mail reviewed in time", counted.quarantine_in_time),
        ("quarantined mail reviewed late", counted.quarantine_late),
        ("at-risk warnings", counted.warnings),
        *((f"escalations, level {level}", n) for level, n in counted.escalations.items()),
        *(
            (f"actions {'that would have been ' if report.shadow else ''}{kind}", n)
            for kind, n in counted.actions.items()
        ),
    ):
        counts.add_row(Text(label), str(value))
    return [rates, times, counts]


def _dist_cells(dist: Distribution) -> list[str]:
    return [str(dist.count), duration_text(dist.p50), duration_text(dist.p90), duration_text(dist.max)]
