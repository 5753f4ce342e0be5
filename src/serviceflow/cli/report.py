"""``serviceflow report``: what the running deployment's cases did, from the outcome store.

Breach rate per target, policy, team and agent; time to first response and to resolution;
promises kept and missed; repeat contacts; quarantined mail reviewed in time; escalations per
level. As terminal tables, ``--csv``, ``--json`` or an ``--html`` page with charts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from serviceflow.cli.boundary import EXIT_USAGE, CliError, fail
from serviceflow.outcomes.html import to_html
from serviceflow.outcomes.report import build_report, to_csv, to_json, to_tables
from serviceflow.outcomes.settings import OutcomeSettings
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

#: ``--since`` further back than this is a typo, not a report.
MAX_SINCE = timedelta(days=3_660)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_SINCE_HELP = "a duration back from now (30d, 12h, 2w, 90m) or a date (2026-03-01, 2026-03-01T09:00+01:00)"


def parse_since(text: str, now: datetime) -> datetime:
    """The start of the report's window.

    Raises:
        CliError: ``text`` is neither a duration nor a date (exit status 2).
    """
    value = text.strip()
    found = re.fullmatch(r"(\d{1,7}(?:\.\d{1,3})?)\s*(m|min|h|d|w)", value)
    if found:
        delta = timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
        if delta > MAX_SINCE:
            raise CliError(f"--since: {text!r} is more than ten years back", code=EXIT_USAGE)
        return now - delta
    try:
        moment = datetime.fromisoformat(value) if len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        raise CliError(f"--since: {text!r} is not a time: give {_SINCE_HELP}", code=EXIT_USAGE)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def report(
    since: Annotated[
        str | None, typer.Option("--since", help=f"Only outcomes since then: {_SINCE_HELP}.")
    ] = None,
    team: Annotated[
        str | None,
        typer.Option("--team", help="Only this team's: the ticket's group, by its id or its roster name."),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="Only this policy's targets, and the cases it had a target in."),
    ] = None,
    shadow: Annotated[
        bool,
        typer.Option("--shadow", help="What shadow mode (SERVICEFLOW_MODE=shadow) would have done, instead."),
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV: metric,dimension,name,label,value.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write an HTML page with charts to this file (works offline).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Report on what cases did: breach rate per target, policy, team and agent; time to first
    response and to resolution (p50, p90, max); promises kept and missed; repeat contacts;
    quarantined mail reviewed in time; escalations per level.

    Reads the outcome store the worker writes as cases decide (an SQLite file by default).

    Read from the environment only: SERVICEFLOW_OUTCOMES_URL (a file, or postgresql://...).

    Exit status: 0 a report (empty when nothing matches), 1 the store or page failed, 2 usage.
    """
    try:
        _report(since, team, policy, shadow, as_csv, as_json, html)
    except CliError as error:
        fail(error)


def _report(
    since_text: str | None,
    team: str | None,
    policy: str | None,
    shadow: bool,
    as_csv: bool,
    as_json: bool,
    html: Path | None,
) -> None:
    if as_csv and as_json:
        raise CliError("--csv and --json: choose one", code=EXIT_USAGE)
    now = datetime.now(UTC)
    since = parse_since(since_text, now) if since_text is not None else None
    try:
        settings = OutcomeSettings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = f"SERVICEFLOW_{str(problem['loc'][0]).upper()}" if problem["loc"] else "SERVICEFLOW_OUTCOMES_*"
        raise CliError(f"{name}: {problem['msg']}", code=EXIT_USAGE) from None
    try:
        store = OutcomeStore(settings.outcomes_url)
    except OutcomeStoreError as exc:  # the setting names no store we can use
        raise CliError(str(exc), code=EXIT_USAGE) from None
    try:
        if store.file is not None and not store.file.exists():
            raise CliError(
                f"no outcomes recorded yet at {store.file} (SERVICEFLOW_OUTCOMES_URL): the worker "
                "writes them there as cases decide"
            )
        try:
            most = settings.outcomes_report_max_rows
            rows = store.read(since=since, team=team, would_have=shadow, limit=most + 1)
            if len(rows) > most:
                raise CliError(
                    f"more than {most:,} outcomes match (SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS): "
                    "narrow the report with --since or --team"
                )
        finally:
            store.close()
    except OutcomeStoreError as exc:
        raise CliError(str(exc)) from None
    made = build_report(rows, made_at=now, since=since, team=team, policy=policy, shadow=shadow)
    if html is not None:
        try:
            html.write_text(to_html(made), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--html: cannot write {html}: {exc.strerror or exc}") from None
    if as_json:
        typer.echo(to_json(made))
    elif as_csv:
        typer.echo(to_csv(made), nl=False)
    else:
        console = Console(highlight=False)
        console.print(made.title, style="bold", markup=False)
        console.print(f"{made.tally.cases} cases, {made.tally.rows} outcomes", markup=False)
        for table in to_tables(made):
            console.print(table)
    if html is not None:
        typer.echo(f"wrote {html}", err=True)
