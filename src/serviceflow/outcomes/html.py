"""The report as one HTML page with charts: plotly, with plotly.js inlined, so the page works
offline (no CDN) and can be mailed or archived as one file.

Every number is in the page twice: in a chart (drawn by plotly.js in the browser) and in a table
whose cells carry it as ``data-value`` (``data-metric``, ``data-dimension``, ``data-name`` say
which), so a test, a script or a person can read it exactly. Names from the helpdesk (teams,
agents, policies) are escaped for HTML and for plotly's own label markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from serviceflow.outcomes.report import Report, duration_text
from serviceflow.outcomes.tally import Dimension, Distribution

__all__ = ["chart_ids", "to_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.chart { height: 22rem; } .empty { color: #777; font-style: italic; }
"""
_CONFIG = {"displayModeBar": False, "responsive": True}
_DIMENSIONS = {
    Dimension.TARGET: "per target",
    Dimension.POLICY: "per policy",
    Dimension.TEAM: "per team",
    Dimension.AGENT: "per agent",
}


def _label(text: str) -> str:
    """A name as plotly shows it: its label markup (<b>, <a href>) escaped, so it is only text."""
    return escape(text, quote=False)


def _chart(figure: go.Figure, chart_id: str) -> str:
    figure.update_layout(margin={"l": 60, "r": 20, "t": 40, "b": 80}, template="plotly_white")
    html: str = figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=chart_id, config=_CONFIG, default_height="22rem"
    )
    return f'<div class="chart-box" data-chart="{chart_id}">{html}</div>'


def chart_ids(report: Report) -> list[str]:
    """The ids of the charts the page draws for ``report`` (a chart with no data is left out)."""
    counted = report.tally
    ids = [f"chart-rate-{d.value}" for d in Dimension if counted.rates_by(d)]
    if counted.first_response.count or counted.resolution.count:
        ids.append("chart-times")
    ids.append("chart-counts")
    if counted.escalations:
        ids.append("chart-escalations")
    if counted.actions:
        ids.append("chart-actions")
    return ids


def _cell(value: object, text: str, **data: str) -> str:
    attributes = "".join(f' data-{k}="{escape(v)}"' for k, v in data.items())
    shown = "" if value is None else escape(str(value))
    return f'<td{attributes} data-value="{shown}">{escape(text)}</td>'


def _table(headers: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _rates(report: Report) -> str:
    parts = ["<section id='breach-rate'><h2>Breach rate</h2>"]
    for dimension, caption in _DIMENSIONS.items():
        rates = report.tally.rates_by(dimension)
        parts.append(f"<h3>{escape(caption)}</h3>")
        if not rates:
            parts.append("<p class='empty'>No target settled.</p>")
            continue
        names = [_label(r.shown) for r in rates]
        figure = go.Figure(
            go.Bar(
                x=names,
                y=[r.rate * 100 for r in rates],
                text=[f"{r.rate:.1%}" for r in rates],
                textposition="auto",
                customdata=[[r.breached, r.settled] for r in rates],
                hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra></extra>",
                marker_color="#c0392b",
            )
        )
        figure.update_layout(yaxis={"title": "breached, % of settled", "range": [0, 100]})
        parts.append(_chart(figure, f"chart-rate-{dimension.value}"))
        rows = []
        for r in rates:
            key = {"dimension": dimension.value, "name": r.name}
            rows.append(
                "<tr>"
                + f"<td>{escape(r.shown)}</td>"
                + _cell(r.met, str(r.met), metric="targets_met", **key)
                + _cell(r.met_late, str(r.met_late), metric="targets_met_late", **key)
                + _cell(r.breached, str(r.breached), metric="targets_breached", **key)
                + _cell(round(r.rate, 6), f"{r.rate:.1%}", metric="breach_rate", **key)
                + "</tr>"
            )
        parts.append(_table(["name", "met", "met late", "breached", "breach rate"], rows))
    parts.append("</section>")
    return "".join(parts)


def _times(report: Report) -> str:
    counted = report.tally
    both = (("first response", "first_response_seconds", counted.first_response),
            ("resolution", "resolution_seconds", counted.resolution))  # fmt: skip
    parts = ["<section id='times'><h2>Time to first response and to resolution</h2>"]
    if counted.first_response.count or counted.resolution.count:
        figure = go.Figure(
            [
                go.Bar(
                    name=name,
                    x=["p50", "p90", "max"],
                    y=[_hours(d.p50), _hours(d.p90), _hours(d.max)],
                    text=[duration_text(d.p50), duration_text(d.p90), duration_text(d.max)],
                    textposition="auto",
                )
                for name, _, d in both
            ]
        )
        figure.update_layout(barmode="group", yaxis={"title": "hours"})
        parts.append(_chart(figure, "chart-times"))
    else:
        parts.append("<p class='empty'>No first response or resolution recorded.</p>")
    rows = []
    for name, metric, dist in both:
        rows.append(f"<tr><td>{escape(name)}</td>{_dist_cells(metric, dist)}</tr>")
    parts.append(_table(["", "cases", "p50", "p90", "max"], rows))
    parts.append("</section>")
    return "".join(parts)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 3)


def _dist_cells(metric: str, dist: Distribution) -> str:
    cells = [_cell(dist.count, str(dist.count), metric=metric, name="count")]
    for measure in ("p50", "p90", "max"):
        value = getattr(dist, measure)
        cells.append(_cell(value, duration_text(value), metric=metric, name=measure))
    return "".join(cells)


def _counts(report: Report) -> str:
    counted = report.tally
    pairs = [
        ("promises", "kept", "promises kept", counted.promises_kept),
        ("promises", "missed", "promises missed", counted.promises_missed),
        ("repeat_contacts", "joined", "repeat contacts joined", counted.repeat_contacts),
        ("quarantine_reviewed", "in_time", "quarantined mail reviewed in time", counted.quarantine_in_time),
        ("quarantine_reviewed", "late", "quarantined mail reviewed late", counted.quarantine_late),
        ("warnings", "sent", "at-risk warnings", counted.warnings),
    ]
    figure = go.Figure(
        go.Bar(
            x=[label for _, _, label, _ in pairs],
            y=[value for *_, value in pairs],
            text=[str(value) for *_, value in pairs],
            textposition="auto",
            marker_color=["#27ae60", "#c0392b", "#2980b9", "#27ae60", "#c0392b", "#f39c12"],
        )
    )
    parts = ["<section id='counts'><h2>Promises, repeat contacts, quarantine, warnings</h2>"]
    parts.append(_chart(figure, "chart-counts"))
    rows = [
        f"<tr><td>{escape(label)}</td>{_cell(v, str(v), metric=m, name=n)}</tr>" for m, n, label, v in pairs
    ]
    parts.append(_table(["", "count"], rows))
    parts.append("<h3>Escalations per level</h3>")
    if counted.escalations:
        levels = list(counted.escalations.items())
        figure = go.Figure(
            go.Bar(
                x=[f"level {level}" for level, _ in levels],
                y=[n for _, n in levels],
                text=[str(n) for _, n in levels],
                textposition="auto",
                marker_color="#8e44ad",
            )
        )
        parts.append(_chart(figure, "chart-escalations"))
        rows = [
            f"<tr><td>level {level}</td>{_cell(n, str(n), metric='escalations', name=str(level))}</tr>"
            for level, n in levels
        ]
        parts.append(_table(["", "escalations"], rows))
    else:
        parts.append("<p class='empty'>No escalation.</p>")
    parts.append("</section>")
    return "".join(parts)


def _actions(report: Report) -> str:
    actions = report.tally.actions
    title = "Actions shadow mode would have taken" if report.shadow else "Actions carried out"
    metric = "actions_would_have" if report.shadow else "actions_done"
    parts = [f"<section id='actions'><h2>{escape(title)}</h2>"]
    if not actions:
        parts.append("<p class='empty'>None.</p></section>")
        return "".join(parts)
    figure = go.Figure(
        go.Bar(
            x=[_label(k) for k in actions],
            y=list(actions.values()),
            text=[str(v) for v in actions.values()],
            textposition="auto",
            marker_color="#7f8c8d",
        )
    )
    parts.append(_chart(figure, "chart-actions"))
    rows = [
        f"<tr><td>{escape(k)}</td>{_cell(v, str(v), metric=metric, name=k)}</tr>" for k, v in actions.items()
    ]
    parts.append(_table(["type", "count"], rows))
    parts.append("</section>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """The whole page, plotly.js included (about 5 MB: no network needed to open it)."""
    counted = report.tally
    summary = f"{counted.cases} cases, {counted.rows} outcomes; made {report.made_at:%Y-%m-%d %H:%M %Z}"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{escape(report.title)}</h1><p id='summary' data-cases='{counted.cases}' "
        f"data-rows='{counted.rows}'>{escape(summary)}</p>"
        f"{_rates(report)}{_times(report)}{_counts(report)}{_actions(report)}"
        "</body></html>"
    )
