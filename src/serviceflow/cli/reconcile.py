"""``serviceflow reconcile VENDOR:ACCOUNT [--backfill [--since 90d]]``.

Without ``--backfill``: the account's reconciler (started by the worker from
``SERVICEFLOW_RECONCILE``) sweeps at once, and its progress is shown. With ``--backfill``: every
open ticket changed since ``--since`` gets the case its history implies, with a progress bar;
pre-install breaches are listed and each owner gets one digest through the notification
channels; the past's outcomes (those breaches, targets met, first responses) go into the outcome
store ``serviceflow report`` reads (``SERVICEFLOW_OUTCOMES_URL``, as the worker). Resumable:
``--checkpoint`` keeps what was done; the same command again goes on.

Exit status: 0 done, 1 the helpdesk could not be read (the checkpoint is kept) or a refusal,
2 a usage error, 3 Temporal cannot be reached. docs/adoption.md, "Reconcile and backfill".
"""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from serviceflow.cli import boundary
from serviceflow.cli.boundary import EXIT_USAGE, CliError
from serviceflow.cli.options import CONNECTION, require_policy_paths, settings_options
from serviceflow.durable.settings import Settings

console = Console(width=None if sys.stdout.isatty() else 200, markup=False, emoji=False, highlight=False)
RECONCILE_SETTINGS = (
    *CONNECTION, "task_queue", "policies", "roster", "roster_from", "notify_url", "channels", "review_via",
)  # fmt: skip
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
#: The longest ``--since`` taken (a helpdesk's history past this is not a backfill's business).
MAX_SINCE = timedelta(days=3660)


def parse_since(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``, ``30m``, ``45s`` as a duration.

    Raises:
        CliError: anything else, or more than ten years.
    """
    match = re.fullmatch(r"\s*(\d{1,7})\s*([smhdw])\s*", text)
    if not match:
        raise CliError(f"--since {text!r} is not a duration such as 90d, 12h, 2w or 30m", code=EXIT_USAGE)
    span = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    if span > MAX_SINCE or span <= timedelta(0):
        raise CliError(f"--since {text!r} must be more than 0 and at most 3660d", code=EXIT_USAGE)
    return span


def parse_account(text: str) -> tuple[str, str]:
    vendor, _, account = text.partition(":")
    if not vendor or not account:
        raise CliError(f"{text!r} is not VENDOR:ACCOUNT (e.g. zendesk:acme)", code=EXIT_USAGE)
    return vendor, account


@settings_options(*RECONCILE_SETTINGS)
def reconcile(
    settings: Settings,
    target: Annotated[
        str, typer.Argument(metavar="VENDOR:ACCOUNT", help="The helpdesk account, e.g. zendesk:acme.")
    ],
    backfill: Annotated[
        bool, typer.Option("--backfill", help="Bring every open ticket under a case built from its history.")
    ] = False,
    since: Annotated[
        str, typer.Option("--since", help="With --backfill: tickets changed within this long (90d, 12h, 2w).")
    ] = "90d",
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="With --backfill: the progress file (resume by running again); "
            "default .serviceflow-backfill-VENDOR-ACCOUNT.json here.",
        ),
    ] = None,
    digest: Annotated[
        bool,
        typer.Option(
            "--digest/--no-digest",
            help="With --backfill: send each owner one digest of pre-install breaches.",
        ),
    ] = True,
) -> None:
    """Repair lost webhooks now, or backfill an account at install (docs/adoption.md)."""
    try:
        vendor, account = parse_account(target)
        span = parse_since(since)
        if backfill:
            require_policy_paths(settings.policies)
    except CliError as exc:
        boundary.fail(exc)
    if backfill:
        path = checkpoint or Path(f".serviceflow-backfill-{vendor}-{account}.json".replace("/", "_"))
        boundary.run(
            _backfill(settings, vendor, account, span, path, digest), address=settings.temporal_address
        )
    boundary.run(_sweep_now(settings, vendor, account), address=settings.temporal_address)


async def _connect(settings: Settings) -> Any:
    from serviceflow.durable.worker import connect

    return await asyncio.wait_for(connect(settings), boundary.CONNECT_TIMEOUT_SECONDS)


async def _sweep_now(settings: Settings, vendor: str, account: str) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    from serviceflow.cli.case_reading import QUERY_TIMEOUT, served_queues
    from serviceflow.durable.reconcile import Reconciler, reconciler_id

    client = await _connect(settings)
    handle = client.get_workflow_handle(reconciler_id(vendor, account))
    try:
        await handle.signal(Reconciler.sweep_now)
        # A query only a worker answers: with none on the queue Temporal fails it after ~30 s
        # as "Timeout expired (CANCELLED)" (attack14 F3). The queue's pollers say so at once.
        queue = (await handle.describe()).task_queue or ""
        if not (await served_queues(client, {queue})).get(queue):
            raise CliError(
                f"the reconciler of {vendor}:{account} runs on task queue {queue}, which no worker "
                f"serves: start `serviceflow worker` with SERVICEFLOW_TASK_QUEUE={queue} and "
                f"{vendor}:{account} in SERVICEFLOW_RECONCILE"
            )
        progress = await handle.query(Reconciler.progress, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(
                f"no reconciler runs for {vendor}:{account}: add it to SERVICEFLOW_RECONCILE and (re)start "
                f"the worker, or run with --backfill"
            ) from None
        raise
    table = Table("sweeps", "deferred", *sorted(progress.totals))
    table.add_row(
        str(progress.sweeps),
        str(progress.deferred),
        *(str(progress.totals[k]) for k in sorted(progress.totals)),
    )
    console.print(f"{vendor}:{account}: sweeping now")
    console.print(table)


async def _backfill(
    settings: Settings, vendor: str, account: str, span: timedelta, path: Path, digest: bool
) -> None:
    from serviceflow.adapters.registry import registry
    from serviceflow.durable.backfill_checkpoint import summary
    from serviceflow.durable.backfill_run import Backfill
    from serviceflow.durable.backfill_run import Progress as Told
    from serviceflow.durable.notifier import Notifier
    from serviceflow.durable.policy_store import PolicyStore
    from serviceflow.durable.roster_source import RosterSource
    from serviceflow.outcomes.settings import OutcomeSettings, shadow_mode
    from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

    try:  # the store the worker writes, so that `serviceflow report` counts the past too
        outcomes = OutcomeStore(OutcomeSettings().outcomes_url)
    except (OutcomeStoreError, ValueError) as exc:
        raise CliError(str(exc).splitlines()[0], code=EXIT_USAGE) from None
    adapter = registry().get(vendor)
    if adapter is None:
        raise CliError(
            f"no installed plugin serves {vendor!r}; `serviceflow plugins` lists what is installed"
        )
    rules = PolicyStore(settings.policies).current()
    roster = await RosterSource(settings.roster, settings.roster_from).refresh()
    client = await _connect(settings)
    now = datetime.now(UTC)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(f"backfill {vendor}:{account}", total=None)

        def ticket(ticket_id: str, outcome: str) -> None:
            bar.update(
                task, advance=1, description=f"backfill {vendor}:{account}: ticket {ticket_id}: {outcome}"
            )

        def waiting(message: str) -> None:
            bar.console.print(message, markup=False)

        run = Backfill(
            client=client,
            task_queue=settings.task_queue,
            adapter=adapter,
            account=account,
            rules=rules,
            roster=roster,
            checkpoint_path=path,
            now=now,
            notifier=Notifier.from_settings(settings) if digest else None,
            outcomes=outcomes,
            shadow=shadow_mode(),
            progress=Told(ticket=ticket, waiting=waiting),
        )
        done = await run.run(now - span)
        bar.update(task, total=len(done.done), completed=len(done.done))
    table = Table("done", "tickets")
    for kind, count in sorted(summary(done).items()):
        table.add_row(kind, str(count))
    console.print(table)
    if done.breaches:
        breaches = Table("case", "owner", "target", "breached before install")
        for breach in done.breaches:
            breaches.add_row(
                breach.case_id, breach.owner or "-", breach.target, f"{breach.breached_at:%Y-%m-%d %H:%M}"
            )
        console.print(breaches)
        sent = ", ".join(done.digests_sent) or "none (--no-digest)"
        console.print(f"one digest per owner: {sent}")
    console.print(f"checkpoint: {path}")
