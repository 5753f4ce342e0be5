"""``serviceflow case list`` and ``serviceflow case show``: cases as Temporal holds them.

Both name people (owners, recipients) by the roster the CLI can read (``cli/names.py``), list
cases that no worker can answer for with the reason instead of failing, and print JSON with
``--json``. Exit status: 0 shown, 1 an unknown case or one that cannot be read, 2 an invalid
setting, 3 Temporal cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from serviceflow.cli import boundary
from serviceflow.cli.case_reading import CaseRow
from serviceflow.cli.names import Names
from serviceflow.cli.options import CONNECTION, settings_options
from serviceflow.durable.settings import Settings
from serviceflow.model import CaseState, Notify, TargetStatus, TicketKind

app = typer.Typer(help="Look at cases: owners, deadlines, breaches, decisions.", no_args_is_help=True)
# Piped into a file or another program, rows are not cut to 80 columns.
# Ids, subjects and names are shown as they are: no markup, no :emoji: codes (``nope:x:1``).
console = Console(width=None if sys.stdout.isatty() else 200, markup=False, emoji=False, highlight=False)

CASE_SETTINGS = (*CONNECTION, "roster", "roster_from")
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def time_left(due: datetime | None, now: datetime) -> str:
    """``2h05m`` left, ``-0h30m`` past due; under a minute in seconds (``45s``), never ``0h00m``."""
    if due is None:
        return "paused"
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    if abs(seconds) < 60:
        return f"{sign}{abs(seconds)}s"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}h{rest // 60:02d}m"


async def _connect(settings: Settings) -> Any:
    from serviceflow.durable.worker import connect

    return await asyncio.wait_for(connect(settings), boundary.CONNECT_TIMEOUT_SECONDS)


@app.command(name="list")
@settings_options(*CASE_SETTINGS)
def list_command(
    settings: Settings,
    all_: Annotated[bool, typer.Option("--all", help="Include closed cases.")] = False,
    as_json: AsJson = False,
) -> None:
    """The cases and review tasks (quarantined mail), their owner, the next deadline with time
    left, and breaches. Cases no worker serves are listed with the reason."""
    from serviceflow.cli.case_reading import list_rows
    from serviceflow.cli.names import load_names

    async def run() -> None:
        client = await _connect(settings)
        rows = await list_rows(client, include_closed=all_)
        names = await load_names(settings)
        if as_json:
            typer.echo(json.dumps([_row_json(row, names) for row in rows], indent=2))
        else:
            console.print(_rows_table(rows, names))
            _print_unserved(rows)
        for note in names.notes:
            boundary.errors.print(f"note: {note}", markup=False)

    boundary.run(run(), address=settings.temporal_address)


def _nearest(state: CaseState | None, now: datetime) -> Any:
    running = [t for t in (state.targets if state else ()) if t.status is TargetStatus.RUNNING]
    return min(running, key=lambda t: t.due_at or now, default=None)


def _rows_table(rows: list[CaseRow], names: Names) -> Table:
    now = datetime.now(UTC)
    table = Table("case", "kind", "status", "owner", "next deadline", "time left", "breaches")
    for row in rows:
        state = row.state
        nearest = _nearest(state, now)
        table.add_row(
            row.case_id,
            row.kind,
            row.status if row.problem is None else f"{row.status} (unread)",
            names.of(state.owner) if state else "-",
            f"{nearest.name} {nearest.due_at:%Y-%m-%d %H:%M}" if nearest and nearest.due_at else "-",
            time_left(nearest.due_at, now) if nearest else "-",
            str(sum(1 for t in state.targets if t.breached_at)) if state else "-",
        )
    return table


def _print_unserved(rows: list[CaseRow]) -> None:
    """One line per reason a case could not be read (a queue nobody serves, a timeout)."""
    problems: dict[str, int] = {}
    for row in rows:
        if row.problem:
            problems[row.problem] = problems.get(row.problem, 0) + 1
    for problem, count in problems.items():
        noun = "case" if count == 1 else "cases"
        boundary.errors.print(f"note: {count} {noun} not read: {problem}", markup=False)


def _row_json(row: CaseRow, names: Names) -> dict[str, Any]:
    state = row.state
    nearest = _nearest(state, datetime.now(UTC))
    owner = state.owner if state else None
    return {
        "case": row.case_id,
        "kind": row.kind,
        "status": row.status,
        "task_queue": row.task_queue,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "owner": {"id": owner, "name": names.of(owner)} if owner else None,
        "next_deadline": (
            {"target": nearest.name, "due_at": nearest.due_at.isoformat() if nearest.due_at else None}
            if nearest
            else None
        ),
        "breaches": sum(1 for t in state.targets if t.breached_at) if state else None,
        "problem": row.problem,
    }


@app.command(name="show")
@settings_options(*CASE_SETTINGS)
def show_command(
    settings: Settings,
    case_id: Annotated[str, typer.Argument(help="vendor:account:ticket, e.g. zendesk:acme:1042")],
    as_json: AsJson = False,
) -> None:
    """One case: owner and its history, every deadline with time left, and the decision log."""
    from serviceflow.cli.case_reading import show_row
    from serviceflow.cli.names import load_names

    if not case_id.strip():  # Temporal's "WorkflowId is not set on request" said nothing of ids
        boundary.fail(
            boundary.CliError(
                "give a case id: vendor:account:ticket (`serviceflow case list` lists them)",
                code=boundary.EXIT_USAGE,
            )
        )

    async def run() -> None:
        client = await _connect(settings)
        row = await show_row(client, case_id)
        names = await load_names(settings)
        if as_json:
            typer.echo(json.dumps(_case_json(row, names), indent=2))
        elif row.state is None:
            console.print(f"case {case_id} has not decided anything yet")
        else:
            _print_case(row.state, names)

    boundary.run(run(), address=settings.temporal_address)


def _case_json(row: CaseRow, names: Names) -> dict[str, Any]:
    state = row.state
    people = _people_of(state) if state else set()
    return {
        "case": row.case_id,
        "status": row.status,
        "task_queue": row.task_queue,
        "names": {key: names.of(key) for key in sorted(people)},
        "state": state.model_dump(mode="json") if state else None,
    }


def _people_of(state: CaseState) -> set[str]:
    found = {state.owner} if state.owner else set()
    found |= {change.owner for change in state.ownership}
    for decision in state.decisions:
        for action in decision.actions:
            if isinstance(action, Notify):
                found |= set(action.recipients)
    return found


def _print_case(state: CaseState, names: Names | None = None) -> None:
    names = names or Names()
    now = datetime.now(UTC)
    console.print(
        Text.assemble((state.case_id, "bold"), f"  {state.ticket.subject!r}  owner: {names.of(state.owner)}")
    )
    if state.ticket.kind is TicketKind.QUARANTINED:
        fields = state.ticket.custom_fields
        sender = state.ticket.requester.email or state.ticket.requester.id
        cause = fields.get("cause") or "no cause given"
        expires = fields.get("expires_at", "-")
        console.print(f"  review of quarantined mail from {sender} ({cause}); deleted at {expires}")
    for change in state.ownership:
        console.print(f"  owner {names.of(change.owner)} since {change.time:%Y-%m-%d %H:%M}: {change.reason}")
    # Each start (or re-arm) of a target is an SLA cycle of its own: its start, pauses, stop, outcome.
    columns = ("deadline", "cycle", "kind", "status", "started", "due", "time left", "paused")
    targets = Table(*columns, "breached", "level", "stopped", "outcome")
    for target in state.targets:
        status = target.status.value + (" (ladder held)" if target.ladder_held_at else "")
        paused = sum(((p.end or now) - p.start).total_seconds() for p in target.pauses)
        stopped = target.stopped_at
        targets.add_row(
            f"{target.policy}/{target.name}",
            str(target.cycle),
            target.kind.value,
            status,
            f"{target.started_at:%Y-%m-%d %H:%M}",
            f"{target.due_at:%Y-%m-%d %H:%M}" if target.due_at else "-",
            time_left(target.due_at, now) if target.open else "-",
            f"{len(target.pauses)}x {int(paused // 60)}m" if target.pauses else "-",
            f"{target.breached_at:%Y-%m-%d %H:%M}" if target.breached_at else "-",
            str(target.level),
            f"{stopped:%Y-%m-%d %H:%M}" if stopped else "-",
            target.outcome.value + (f": {target.cancel_reason}" if target.cancel_reason else ""),
        )
    console.print(targets)
    console.print(_decision_log(state, names))


def _decision_log(state: CaseState, names: Names) -> Table:
    log = Table("time", "input", "policy version", "actions", "errors")
    for decision in state.decisions:
        log.add_row(
            f"{decision.time:%Y-%m-%d %H:%M}",
            decision.input,
            decision.policy_version,
            "\n".join(action_line(a, names) for a in decision.actions) or "-",
            "\n".join(decision.errors) or "-",
        )
    return log


def action_line(action: Any, names: Names) -> str:
    """``notify to Lee Lead (standard/first-response): ...``: a notification's people come before
    its reason (after it they read as the reason's: "only the owner is warned ... to Ada")."""
    told = ""
    if isinstance(action, Notify):
        told = " to " + (", ".join(names.of(r) for r in action.recipients) or "(no one named)")
    return f"{action.type}{told} ({action.policy}/{action.rule}): {action.reason}"
