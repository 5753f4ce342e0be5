"""``serviceflow worker`` and ``serviceflow dev``: run the durable shell."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from serviceflow.cli import boundary
from serviceflow.cli.options import CONNECTION, LOGGING, settings_options
from serviceflow.durable.settings import Mode, Settings
from serviceflow.errors import ServiceflowError

console = Console(
    stderr=True, soft_wrap=True, emoji=False, highlight=False
)  # log-like lines: never wrapped mid-line


def _settings(**overrides: Any) -> Settings:
    from serviceflow.cli.options import load_settings

    return load_settings(**overrides)


RECEIVER_LIMITS = tuple(name for name in Settings.model_fields if name.startswith("receiver_"))
TRACING = tuple(name for name in Settings.model_fields if name.startswith("otel_"))
WORKER_SETTINGS = (
    *CONNECTION, "task_queue", "mode", "policies", "roster", "roster_from", "roster_refresh", "notify_url",
    "channels", "review_via", "quarantine_watch", "quarantine_interval", "reconcile",
    "reconcile_interval", "reconcile_lookback", "reconcile_settle", "metrics_port",
    "metrics_host", "temporal_metrics_port", *LOGGING, *TRACING,
)  # fmt: skip
SERVE_SETTINGS = (
    *CONNECTION, "task_queue", "policies", "temporal_metrics_port", "metrics_host", *RECEIVER_LIMITS,
    *LOGGING, *TRACING,
)  # fmt: skip
SDK_METRICS = "the SDK's metrics (SERVICEFLOW_TEMPORAL_METRICS_PORT)"


SHADOW_HELP = (
    "Shadow mode (SERVICEFLOW_MODE=shadow): decide and record every action as what it would have done; "
    "send nothing."
)


@settings_options(*WORKER_SETTINGS)
def worker(
    settings: Settings,
    shadow: Annotated[bool, typer.Option("--shadow", help=SHADOW_HELP)] = False,
) -> None:
    """Run a worker: case workflows and their activities, until SIGTERM or Ctrl-C.

    Every option has its SERVICEFLOW_* variable (and .env); an option given wins. Refuses to
    start on a broken policy set. Exit status: 0 stopped, 1 failed (a broken policy set), 2 an
    invalid setting, 3 Temporal cannot be reached.
    """
    from serviceflow.durable.worker import run_worker
    from serviceflow.logs import configure_logging

    if shadow:
        settings = settings.model_copy(update={"mode": Mode.SHADOW})

    _plugin_settings_valid()
    _accounts_named(settings)
    _ports_free(
        (settings.metrics_host, settings.metrics_port, "the worker's metrics (SERVICEFLOW_METRICS_PORT)"),
        (settings.metrics_host, settings.temporal_metrics_port, SDK_METRICS),
    )
    _policies_exist(settings)
    configure_logging(settings.log_format, settings.log_level)
    boundary.run(_flushing_spans(run_worker(settings)), address=settings.temporal_address)


async def _flushing_spans(work: Coroutine[Any, Any, None]) -> None:
    """Run the command, then send the spans still queued: the process leaves by ``os._exit``."""
    from serviceflow import tracing

    try:
        await work
    finally:
        await tracing.shutdown()


def _plugin_settings_valid() -> None:
    """Every loaded plugin's settings are valid, or each invalid variable is named (exit 2):
    its adapter reads them only when first used, in an activity or a delivery (attack14 F2)."""
    from serviceflow.cli.settings_catalog import plugin_setting_problems

    problems = plugin_setting_problems()
    if problems:
        boundary.fail(boundary.CliError("\n".join(problems), code=boundary.EXIT_USAGE))


def _accounts_named(settings: Settings) -> None:
    """Every helpdesk account the worker is to watch, reconcile or read its roster from is
    ``vendor:account`` of an installed plugin, or each is named (exit 2): one not so was
    "failed unexpectedly ... a bug" after the worker started, or logged and skipped (attack14 F12)."""
    from serviceflow.adapters.registry import registry

    installed = sorted(registry().vendors())
    named = [("SERVICEFLOW_QUARANTINE_WATCH", e) for e in settings.quarantine_watch]
    named += [("SERVICEFLOW_RECONCILE", e) for e in settings.reconcile]
    named += [("SERVICEFLOW_ROSTER_FROM", settings.roster_from)] if settings.roster_from else []
    problems = []
    for variable, entry in named:
        vendor, _, account = entry.partition(":")
        if not vendor.strip() or not account.strip():
            problems.append(f"error: {variable}: {entry!r} is not vendor:account (e.g. zendesk:acme)")
        elif vendor not in installed:
            problems.append(
                f"error: {variable}: no installed plugin serves {vendor!r} in {entry!r} "
                f"(installed: {', '.join(installed) or 'none'})"
            )
    if problems:
        boundary.fail(boundary.CliError("\n".join(problems), code=boundary.EXIT_USAGE))


def _policies_exist(settings: Settings) -> None:
    from serviceflow.cli.options import require_policy_paths

    try:
        require_policy_paths(settings.policies)
    except boundary.CliError as error:
        boundary.fail(error)


def _ports_free(*wanted: tuple[str, int | None, str]) -> None:
    """Every port the command will listen on is free, or one line says which is not."""
    try:
        for host, port, what in wanted:
            boundary.ensure_free(host, port, what)
    except boundary.CliError as error:
        boundary.fail(error)


@settings_options(*SERVE_SETTINGS)
def serve(
    settings: Settings,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8400,
) -> None:
    """Run the webhook receiver: POST /webhooks/{vendor}, /healthz, /readyz, /metrics.

    Starts and answers /healthz even while Temporal is down; deliveries then get 503 with
    Retry-After, so the helpdesk retries them.
    """
    from serviceflow.logs import configure_logging
    from serviceflow.receiver.server import run_receiver

    _plugin_settings_valid()
    _ports_free(
        (host, port, "the webhook receiver (--port)"),
        (settings.metrics_host, settings.temporal_metrics_port, SDK_METRICS),
    )
    configure_logging(settings.log_format, settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        console.print(f"webhook receiver on http://{host}:{port}/webhooks/{{vendor}}", markup=False)
        await run_receiver(settings, host, port, stop)

    boundary.run(_flushing_spans(main()), address=settings.temporal_address)


def dev(
    state_dir: Annotated[Path, typer.Option(help="Where the dev server keeps its SQLite file.")] = Path(
        ".serviceflow"
    ),
    port: Annotated[int, typer.Option(help="Temporal frontend port.", min=1, max=65535)] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port.", min=1, max=65535)] = 8233,
    webhook_port: Annotated[int, typer.Option(help="Webhook receiver port.", min=1, max=65535)] = 8400,
    demo: Annotated[bool, typer.Option(help="Feed a stream of demo customers through the system.")] = True,
    helpdesk: Annotated[
        str,
        typer.Option(
            help="The demo helpdesk: the vendor of an installed plugin that offers one (its fake "
            "helpdesk; `serviceflow plugins` lists them, the default is the most preferred), or "
            "'builtin' (actions written to a JSONL file)."
        ),
    ] = "auto",
    pace: Annotated[float, typer.Option(help="Stretch (>1) or shrink (<1) the demo story's timing.")] = 1.0,
    shadow: Annotated[bool, typer.Option("--shadow", help=SHADOW_HELP)] = False,
) -> None:
    """Run the whole system on this machine: Temporal dev server, worker, webhook receiver and a
    demo helpdesk with a stream of customers.

    Reuses a Temporal server already listening on the port. Ctrl-C stops everything.
    """
    from serviceflow.durable.devserver import DevServer
    from serviceflow.logs import configure_logging

    configure_logging("text", logging.WARNING)
    from serviceflow.demo.helpdesks import resolve

    if not math.isfinite(pace) or pace <= 0:  # nan and -1 ran the story (attack14 F11)
        boundary.fail(boundary.CliError(f"--pace must be a number above 0, not {pace}", code=2))
    if state_dir.exists() and not state_dir.is_dir():
        boundary.fail(boundary.CliError(f"--state-dir {state_dir} is a file; give a folder", code=2))

    try:
        helpdesk = resolve(helpdesk)
    except ServiceflowError as exc:
        console.print(f"error: {exc}", markup=False)
        boundary.leave(2)
    _ports_free(("127.0.0.1", webhook_port, "the webhook receiver (--webhook-port)"))
    server = DevServer(state_dir=state_dir, port=port, ui_port=ui_port)
    code = 0
    try:
        asyncio.run(_dev(server, demo, webhook_port, helpdesk, pace, shadow))
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        error = boundary.explain(exc, server.address) or boundary.unexpected(exc)
        for line in str(error).splitlines():
            console.print(line if line.startswith("error:") else f"error: {line}", markup=False)
        code = error.code
    finally:
        server.stop()
        console.print("stopped", markup=False)
    boundary.leave(code)


def _say(text: str) -> None:
    from datetime import datetime

    console.print(f"{datetime.now():%H:%M:%S}  {text}", markup=False)


async def _dev(  # type: ignore[no-untyped-def]
    server, demo: bool, webhook_port: int, helpdesk: str, pace: float, shadow: bool = False
) -> None:
    from serviceflow.demo.helpdesks import demo_helpdesk
    from serviceflow.demo.story import WEBHOOK_SECRET, demo_account, demo_settings
    from serviceflow.durable.devserver import end_demo_runs
    from serviceflow.durable.worker import connect, run_worker
    from serviceflow.receiver.server import receiver_for, serving

    await server.start()
    # Every run has a task queue of its own; earlier runs' cases are ended (see end_demo_runs).
    settings = _settings(temporal_address=server.address, task_queue=demo_account())
    client = await connect(settings)
    ended = await end_demo_runs(client, "an earlier serviceflow dev run ended", keep=settings.task_queue)
    if ended:
        console.print(f"ended {len(ended)} cases and watchers of earlier demo runs", markup=False)
    desk = demo_helpdesk(helpdesk)
    if desk is not None:
        desk.start()
        desk.connect(f"http://127.0.0.1:{webhook_port}", WEBHOOK_SECRET)
        overrides = demo_settings(desk.vendor, desk.account)
        if "SERVICEFLOW_POLICIES" in os.environ:
            overrides.pop("policies")  # the user's own policies win over the demo's
        settings = settings.model_copy(update=overrides)
    else:
        os.environ.setdefault("SERVICEFLOW_DEMO_LOG", str(server.state_dir / "demo-actions.jsonl"))
        if settings.roster is None:
            builtin_roster = Path(__file__).resolve().parent.parent / "demo" / "builtin_roster.yaml"
            settings = settings.model_copy(update={"roster": builtin_roster})
    if shadow:
        settings = settings.model_copy(update={"mode": Mode.SHADOW})
    await _save_names(settings, server.state_dir)
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    worker_task = asyncio.create_task(run_worker(settings, stop=stop))
    reused = " (already running, reused)" if server.reused else ""
    console.print(f"Temporal dev server  {server.address}{reused}", markup=False)
    console.print(f"Temporal Web UI      {server.ui_url}", markup=False)
    console.print(f"task queue           {settings.task_queue}", markup=False)
    console.print(f"policies             {', '.join(map(str, settings.policies))}", markup=False)
    if settings.mode is Mode.SHADOW:
        console.print("mode                 shadow: nothing is written to the helpdesk or sent", markup=False)
    if desk is not None:
        console.print(f"demo helpdesk        {desk.where}", markup=False)
        console.print(f"roster               from the helpdesk, leads from {settings.roster}", markup=False)
    else:
        console.print(f"demo helpdesk log    {os.environ['SERVICEFLOW_DEMO_LOG']}", markup=False)
        console.print(f"roster               {settings.roster}", markup=False)
    receiving = serving(receiver_for(settings, require_account=desk is not None), "127.0.0.1", webhook_port)
    await receiving.__aenter__()
    console.print(f"webhook receiver     http://127.0.0.1:{webhook_port}/webhooks/{{vendor}}", markup=False)
    try:
        if demo and desk is not None:
            from serviceflow.demo.story import Narrator, tell_story

            background.append(asyncio.create_task(Narrator(desk, _say).run(stop)))
            background.append(asyncio.create_task(tell_story(desk, _say, pace)))
            console.print(
                "demo customers are writing in; watch here and in the Web UI (Ctrl-C stops)", markup=False
            )
        elif demo:
            from serviceflow.demo.builtin import feed_demo_tickets

            await feed_demo_tickets(settings)
            console.print("demo tickets sent; watch them in the Web UI (Ctrl-C stops)", markup=False)
        await worker_task
    finally:
        stop.set()
        for task in background:
            task.cancel()
        await receiving.__aexit__(None, None, None)
        if desk is not None:
            desk.stop()
        await _end_this_run(client, settings.task_queue)
        from serviceflow import tracing

        await tracing.shutdown()


async def _save_names(settings: Settings, state_dir: Path) -> None:
    """Leave the demo's names for ``case list`` in another terminal (cli/names.py)."""
    from serviceflow.cli.names import save_dev_names
    from serviceflow.durable.roster_source import RosterSource

    roster = await RosterSource(settings.roster, settings.roster_from).refresh()
    save_dev_names(roster, state_dir / "names.json")


async def _end_this_run(client: Any, task_queue: str) -> None:
    """The demo's cases end with it: nothing serves them once its worker and helpdesk are gone."""
    from serviceflow.durable.devserver import end_demo_runs

    try:
        ended = await asyncio.wait_for(
            end_demo_runs(client, "the serviceflow dev run ended", only=task_queue), 15
        )
    except Exception as exc:  # the server is going away too; the next run ends what is left
        console.print(f"could not end this run's cases ({exc}); the next run will", markup=False)
        return
    console.print(f"ended this run's {len(ended)} cases and watchers", markup=False)
