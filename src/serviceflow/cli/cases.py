"""``serviceflow case list`` and ``serviceflow case show``: cases as Temporal holds them."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from serviceflow.cli.run import _exit, _settings
from serviceflow.model import QUARANTINE_PREFIX, CaseState, TargetStatus, TicketKind

app = typer.Typer(help="Look at cases: owners, deadlines, breaches, decisions.", no_args_is_help=True)
# Piped into a file or another program, rows are not cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)


def _left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "paused"
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}h{rest // 60:02d}m"


@app.command(name="list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help="Include closed cases.")] = False,
    address: Annotated[str | None, typer.Option(help="Temporal address.")] = None,
) -> None:
    """The cases and review tasks (quarantined mail), their owner, the next deadline with time
    left, and breaches."""
    from serviceflow.durable.cases import list_cases
    from serviceflow.durable.worker import connect

    async def run() -> None:
        client = await connect(_settings(temporal_address=address))
        cases = await list_cases(client, include_closed=all_)
        now = datetime.now(UTC)
        table = Table("case", "kind", "status", "owner", "next deadline", "time left", "breaches")
        for case in cases:
            state = case.state
            running = [t for t in (state.targets if state else ()) if t.status is TargetStatus.RUNNING]
            nearest = min(running, key=lambda t: t.due_at or now, default=None)
            kind = "review" if QUARANTINE_PREFIX in case.case_id else "ticket"
            table.add_row(
                case.case_id,
                kind,
                case.status,
                (state.owner if state else None) or "-",
                f"{nearest.name} {nearest.due_at:%Y-%m-%d %H:%M}" if nearest and nearest.due_at else "-",
                _left(nearest.due_at, now) if nearest else "-",
                str(sum(1 for t in state.targets if t.breached_at)) if state else "-",
            )
        console.print(table)

    _run(run())


@app.command(name="show")
def show_command(
    case_id: Annotated[str, typer.Argument(help="vendor:account:ticket, e.g. zendesk:acme:1042")],
    address: Annotated[str | None, typer.Option(help="Temporal address.")] = None,
) -> None:
    """One case: owner and its history, every deadline with time left, and the decision log."""
    from serviceflow.durable.cases import read_case
    from serviceflow.durable.worker import connect

    async def run() -> None:
        client = await connect(_settings(temporal_address=address))
        state = await read_case(client, case_id)
        if state is None:
            console.print(f"case {case_id} has not decided anything yet")
            return
        _print_case(state)

    _run(run())


def _print_case(state: CaseState) -> None:
    now = datetime.now(UTC)
    console.print(f"[bold]{state.case_id}[/bold]  {state.ticket.subject!r}  owner: {state.owner or '-'}")
    if state.ticket.kind is TicketKind.QUARANTINED:
        fields = state.ticket.custom_fields
        sender = state.ticket.requester.email or state.ticket.requester.id
        cause = fields.get("cause") or "no cause given"
        expires = fields.get("expires_at", "-")
        console.print(f"  review of quarantined mail from {sender} ({cause}); deleted at {expires}")
    for change in state.ownership:
        console.print(f"  owner {change.owner} since {change.time:%Y-%m-%d %H:%M}: {change.reason}")
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
            _left(target.due_at, now) if target.open else "-",
            f"{len(target.pauses)}x {int(paused // 60)}m" if target.pauses else "-",
            f"{target.breached_at:%Y-%m-%d %H:%M}" if target.breached_at else "-",
            str(target.level),
            f"{stopped:%Y-%m-%d %H:%M}" if stopped else "-",
            target.outcome.value + (f": {target.cancel_reason}" if target.cancel_reason else ""),
        )
    console.print(targets)
    log = Table("time", "input", "policy version", "actions", "errors")
    for decision in state.decisions:
        log.add_row(
            f"{decision.time:%Y-%m-%d %H:%M}",
            decision.input,
            decision.policy_version,
            "\n".join(f"{a.type} ({a.policy}/{a.rule}): {a.reason}" for a in decision.actions) or "-",
            "\n".join(decision.errors) or "-",
        )
    console.print(log)


def _run(coroutine) -> None:  # type: ignore[no-untyped-def]
    code = 0
    try:
        asyncio.run(coroutine)
    except RuntimeError as exc:
        Console(stderr=True).print(f"error: {exc}", markup=False)
        code = 1
    _exit(code)
