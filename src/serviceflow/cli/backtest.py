"""``serviceflow backtest SOURCE``: what would these policies have done with our history?

Exit codes: 0 done; 1 the policy set is broken or the helpdesk failed; 2 a usage error: a
source that is neither a file nor ``vendor:account``, an export file that is not a documented
format, is truncated or mixes helpdesks (the message names the line), a bad option.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from serviceflow.backtest.compare import Comparison, compare, paired
from serviceflow.backtest.errors import BacktestError, ExportError
from serviceflow.backtest.replay import ReplayResult, replay
from serviceflow.backtest.report import Line, Report, as_csv, build_report
from serviceflow.backtest.sources import Source, is_account, parse_since, read_account, read_file
from serviceflow.cli.boundary import EXIT_USAGE, CliError, explain, fail, setting_refused, unexpected
from serviceflow.cli.options import settings_options
from serviceflow.durable.roster_source import load_roster_file
from serviceflow.durable.settings import Settings
from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicySetError, ServiceflowError
from serviceflow.model import Roster
from serviceflow.outcomes.tally import select
from serviceflow.policy import PolicyPathError, load_policy_set

#: How many differing tickets the terminal lists (JSON and CSV carry them all).
SHOWN_DIFFERENCES = 20

progress_console = Console(stderr=True)


@settings_options("policies", "roster")
def backtest(
    settings: Settings,
    source: Annotated[
        str,
        typer.Argument(
            help="An export file (JSON Lines: a plugin's documented export format, or serviceflow "
            "events), or a helpdesk account as vendor:account (e.g. zendesk:acme).",
            show_default=False,
        ),
    ],
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against", help="A second policy set (folder) to compare with. Repeat for more folders."
        ),
    ] = None,
    since: Annotated[
        str, typer.Option("--since", help="For a helpdesk account: how far back, e.g. 30d, 12h.")
    ] = "30d",
    account: Annotated[
        str | None,
        typer.Option("--account", help="For a file: the helpdesk account its tickets belong to."),
    ] = None,
    export_format: Annotated[
        str | None,
        typer.Option("--format", help="For a file: its export format, when its first line does not tell."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON document.")
    ] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print the report as CSV.")] = False,
) -> None:
    """Replay history through the engine with a simulated clock and report what the policies would
    have done: per target, team and agent, the targets met and breached, the warnings and
    escalations that would have been sent, promises kept and missed, repeat contacts joined.

    Nothing is written anywhere: a backtest reads the history and decides in-process.

    With --against, both policy sets run over the same history, side by side, with the tickets whose outcome differs.

    Exits 0 when done, 1 when a policy set is broken or the helpdesk failed, 2 when the source is not readable (the message names the line).
    """  # noqa: E501 - each paragraph one line: the help shows a docstring's line breaks
    try:
        if json_output and csv_output:
            raise CliError("choose one of --json and --csv", code=EXIT_USAGE)
        rules = _rules(settings.policies)
        other = _rules(against) if against else None
        roster = _roster(settings.roster)
        history = _read(source, since=since, account=account, export_format=export_format)
        first = _replay(history, rules, roster, "policies")
        report = build_report(first, source=history.label, notes=history.notes)
        if other is None:
            _print_one(report, json_output=json_output, csv_output=csv_output)
            return
        second = _replay(history, other, roster, "against")
        comparison = compare(
            report,
            select(first.outcomes, would_have=True),
            build_report(second, source=history.label, notes=history.notes),
            select(second.outcomes, would_have=True),
        )
        _print_two(comparison, json_output=json_output, csv_output=csv_output)
    except CliError as error:
        fail(error)
    except ExportError as error:
        fail(CliError(str(error), code=EXIT_USAGE))
    except BacktestError as error:
        fail(CliError(str(error), code=EXIT_USAGE))
    except (PolicySetError, ServiceflowError) as error:
        fail(explain(error, "") or CliError(str(error)))
    except Exception as error:  # a plugin's invalid setting (usage), else a bug: one line either way
        fail(setting_refused(error) or unexpected(error))


def _rules(paths: list[Path]) -> Rules:
    try:
        return Rules(load_policy_set([p for p in paths if p.exists()] or paths))
    except PolicyPathError as exc:
        raise CliError(str(exc), code=EXIT_USAGE) from None


def _roster(path: Path | None) -> Roster:
    try:
        return load_roster_file(path)
    except OSError as exc:
        raise CliError(f"cannot read the roster {path}: {exc.strerror or exc}", code=EXIT_USAGE) from None
    except ValueError as exc:  # YAML or validation: the message names the field
        raise CliError(f"the roster {path} is invalid: {exc}", code=EXIT_USAGE) from None


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=progress_console,
        transient=True,
    ) as bar:
        yield bar


def _read(source: str, *, since: str, account: str | None, export_format: str | None) -> Source:
    if is_account(source):
        span = parse_since(since)
        with _progress() as bar:
            task = bar.add_task(f"reading {source}", total=None)
            history = asyncio.run(
                read_account(source, span, say=lambda text: bar.update(task, description=text))
            )
    else:
        path = Path(source)
        if not path.exists():
            raise CliError(
                f"{source}: no such file, and not a helpdesk account like zendesk:acme", code=EXIT_USAGE
            )
        with _progress() as bar:
            bar.add_task(f"reading {path.name}", total=None)
            history = read_file(path, account=account, format_name=export_format)
    for note in history.notes:
        progress_console.print(f"note: {note}", markup=False, highlight=False)
    return history


def _replay(history: Source, rules: Rules, roster: Roster, label: str) -> ReplayResult:
    with _progress() as bar:
        task = bar.add_task(f"replaying under {label} ({rules.version})", total=len(history.events))
        return replay(
            history.events,
            rules,
            roster=roster,
            until=history.until,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


# -- output ----------------------------------------------------------------------------------------

_HEADINGS = ("met", "late", "breached", "rate", "warnings", "escalations", "kept", "missed", "repeat")


def _cells(line: Line | None) -> list[str]:
    if line is None:
        return ["-"] * len(_HEADINGS)
    return [
        str(line.met),
        str(line.met_late),
        str(line.breached),
        f"{line.breach_rate:.0%}",
        str(line.warnings),
        str(line.escalations),
        str(line.promises_kept),
        str(line.promises_missed),
        str(line.repeat_contacts),
    ]


def _summary(report: Report) -> str:
    period = (
        f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
        if report.start and report.end
        else "no events"
    )
    totals = report.totals
    breached = sum(r.breached for r in totals.rates if r.dimension == "target")
    settled = sum(r.settled for r in totals.rates if r.dimension == "target")
    escalations = ", ".join(f"level {k}: {v}" for k, v in totals.escalations.items()) or "none"
    return (
        f"{report.source}: {report.events} events on {report.tickets} tickets, {period}; "
        f"policy set {report.policy_version}\n"
        f"targets breached {breached} of {settled} settled; warnings {totals.warnings}; "
        f"escalations {escalations}; promises kept {totals.promises_kept}, missed "
        f"{totals.promises_missed}; repeat contacts {totals.repeat_contacts}; "
        f"rule errors {report.rule_errors}"
    )


def _print_one(report: Report, *, json_output: bool, csv_output: bool) -> None:
    if json_output:
        typer.echo(report.model_dump_json(indent=2))
        return
    if csv_output:
        typer.echo(as_csv([("policies", report)]), nl=False)
        return
    console = _console()
    console.print(_summary(report), markup=False, highlight=False)
    table = Table("", "name", *_HEADINGS, title="What the policies would have done")
    for line in report.lines:
        table.add_row(line.dimension.value, line.name, *_cells(line))
    console.print(table)


def _print_two(comparison: Comparison, *, json_output: bool, csv_output: bool) -> None:
    first, second = comparison.policies, comparison.against
    if json_output:
        typer.echo(comparison.model_dump_json(indent=2))
        return
    if csv_output:
        typer.echo(as_csv([("policies", first), ("against", second)]), nl=False)
        return
    console = _console()
    console.print("policies: " + _summary(first), markup=False, highlight=False)
    console.print("against:  " + _summary(second), markup=False, highlight=False)
    table = Table(
        "",
        "name",
        "breached",
        "against",
        "warnings",
        "against",
        "escalations",
        "against",
        "missed",
        "against",
        title="Side by side: --policies | --against",
    )
    for left, right in paired(first, second):
        line = left or right
        assert line is not None
        a, b = _cells(left), _cells(right)
        table.add_row(line.dimension.value, line.name, a[2], b[2], a[4], b[4], a[5], b[5], a[7], b[7])
    console.print(table)
    count = len(comparison.differences)
    console.print(f"{count} ticket{'s' if count != 1 else ''} whose outcome differs", highlight=False)
    for difference in comparison.differences[:SHOWN_DIFFERENCES]:
        console.print(f"  ticket {difference.ticket_id}:", highlight=False)
        console.print(f"    policies: {'; '.join(difference.policies) or '-'}", markup=False, highlight=False)
        console.print(f"    against:  {'; '.join(difference.against) or '-'}", markup=False, highlight=False)
    if count > SHOWN_DIFFERENCES:
        console.print(f"  ... and {count - SHOWN_DIFFERENCES} more (--json lists them all)", highlight=False)


def _console() -> Console:
    """stdout; at least 120 columns wide when it is not a terminal (a pipe, a file, a test)."""
    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console = Console(soft_wrap=True, width=max(console.width, 120))
    return console
