"""``serviceflow worker`` and ``serviceflow dev``: run the durable shell."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from serviceflow.errors import PolicySetError, ServiceflowError

if TYPE_CHECKING:
    from serviceflow.durable.settings import Settings

console = Console(stderr=True, soft_wrap=True)  # log-like lines: never wrapped mid-line


def _settings(**overrides: Any) -> Settings:
    from serviceflow.durable.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def worker(
    address: Annotated[
        str | None, typer.Option(help="Temporal address [env SERVICEFLOW_TEMPORAL_ADDRESS].")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option(help="Namespace [env SERVICEFLOW_TEMPORAL_NAMESPACE].")
    ] = None,
    task_queue: Annotated[str | None, typer.Option(help="Task queue [env SERVICEFLOW_TASK_QUEUE].")] = None,
    policies: Annotated[
        list[Path] | None, typer.Option("--policies", help="Policy folders [env SERVICEFLOW_POLICIES].")
    ] = None,
) -> None:
    """Run a worker: case workflows and their activities, until SIGTERM or Ctrl-C.

    Reads SERVICEFLOW_* settings (Temporal address, namespace, task queue, TLS files or an API
    key for Temporal Cloud, the policies). Refuses to start on a broken policy set.
    """
    from serviceflow.durable.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(
        temporal_address=address, temporal_namespace=namespace, task_queue=task_queue, policies=policies
    )
    code = 0
    try:
        asyncio.run(run_worker(settings))
    except PolicySetError as exc:
        for problem in exc.problems:
            console.print(f"{problem.location}: {problem.rule}: {problem.message}", markup=False)
        console.print("error: the policy set is broken; the worker did not start", markup=False)
        code = 1
    except (ServiceflowError, RuntimeError) as exc:
        console.print(f"error: {exc}", markup=False)
        code = 1
    _exit(code)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8400,
    address: Annotated[
        str | None, typer.Option(help="Temporal address [env SERVICEFLOW_TEMPORAL_ADDRESS].")
    ] = None,
) -> None:
    """Run the webhook receiver: POST /webhooks/{vendor}, /healthz, /readyz, /metrics.

    Starts and answers /healthz even while Temporal is down; deliveries then get 503 with
    Retry-After, so the helpdesk retries them.
    """
    from serviceflow.receiver.server import run_receiver

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(temporal_address=address)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        console.print(f"webhook receiver on http://{host}:{port}/webhooks/{{vendor}}", markup=False)
        await run_receiver(settings, host, port, stop)

    try:
        asyncio.run(main())
    except ServiceflowError as exc:  # e.g. a vendor whose account is not configured
        console.print(f"error: {exc}; the receiver did not start", markup=False)
        _exit(1)
    _exit(0)


def dev(
    state_dir: Annotated[Path, typer.Option(help="Where the dev server keeps its SQLite file.")] = Path(
        ".serviceflow"
    ),
    port: Annotated[int, typer.Option(help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port.")] = 8233,
    webhook_port: Annotated[int, typer.Option(help="Webhook receiver port.")] = 8400,
    demo: Annotated[bool, typer.Option(help="Feed a stream of demo customers through the system.")] = True,
    helpdesk: Annotated[
        str,
        typer.Option(
            help="The demo helpdesk: 'zendesk' (the fake Zendesk of the Zendesk plugin; the default "
            "when it is installed), 'freshdesk' (the fake Freshdesk) or 'builtin' (actions written "
            "to a JSONL file)."
        ),
    ] = "auto",
    pace: Annotated[float, typer.Option(help="Stretch (>1) or shrink (<1) the demo story's timing.")] = 1.0,
) -> None:
    """Run the whole system on this machine: Temporal dev server, worker, webhook receiver and a
    demo helpdesk with a stream of customers.

    Reuses a Temporal server already listening on the port. Ctrl-C stops everything.
    """
    from serviceflow.durable.devserver import DevServer

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if helpdesk == "auto":
        helpdesk = "zendesk" if _installed("serviceflow_zendesk") else "builtin"
    if helpdesk not in ("zendesk", "freshdesk", "builtin"):
        console.print(f"error: --helpdesk is zendesk, freshdesk or builtin, not {helpdesk!r}", markup=False)
        _exit(2)
    if helpdesk != "builtin" and not _installed(f"serviceflow_{helpdesk}"):
        console.print(
            f"error: the fake {helpdesk.title()} comes with its plugin: pip install -e plugins/{helpdesk}",
            markup=False,
        )
        _exit(2)
    server = DevServer(state_dir=state_dir, port=port, ui_port=ui_port)
    code = 0
    try:
        asyncio.run(_dev(server, demo, webhook_port, helpdesk, pace))
    except KeyboardInterrupt:
        pass
    except PolicySetError as exc:
        for problem in exc.problems:
            console.print(f"{problem.location}: {problem.rule}: {problem.message}", markup=False)
        code = 1
    except ServiceflowError as exc:
        console.print(f"error: {exc}", markup=False)
        code = 1
    finally:
        server.stop()
        console.print("stopped", markup=False)
    _exit(code)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _say(text: str) -> None:
    from datetime import datetime

    console.print(f"{datetime.now():%H:%M:%S}  {text}", markup=False)


async def _dev(server, demo: bool, webhook_port: int, helpdesk: str, pace: float) -> None:  # type: ignore[no-untyped-def]
    from serviceflow.durable.worker import run_worker
    from serviceflow.receiver.server import receiver_for, serving

    await server.start()
    settings = _settings(temporal_address=server.address)
    desk = None
    if helpdesk in ("zendesk", "freshdesk"):
        if helpdesk == "zendesk":
            from serviceflow.demo.zendesk import DemoZendesk as Desk
        else:
            from serviceflow.demo.freshdesk import DemoFreshdesk as Desk  # type: ignore[assignment]

        desk = Desk().start()
        overrides = desk.configure(f"http://127.0.0.1:{webhook_port}")
        if "SERVICEFLOW_POLICIES" in os.environ:
            overrides.pop("policies")  # the user's own policies win over the demo's
        settings = settings.model_copy(update=overrides)
    else:
        os.environ.setdefault("SERVICEFLOW_DEMO_LOG", str(server.state_dir / "demo-actions.jsonl"))
        if settings.roster is None:
            builtin_roster = Path(__file__).resolve().parent.parent / "demo" / "builtin_roster.yaml"
            settings = settings.model_copy(update={"roster": builtin_roster})
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    worker_task = asyncio.create_task(run_worker(settings, stop=stop))
    reused = " (already running, reused)" if server.reused else ""
    console.print(f"Temporal dev server  {server.address}{reused}", markup=False)
    console.print(f"Temporal Web UI      {server.ui_url}", markup=False)
    console.print(f"task queue           {settings.task_queue}", markup=False)
    console.print(f"policies             {', '.join(map(str, settings.policies))}", markup=False)
    if desk is not None:
        console.print(f"demo helpdesk        fake {helpdesk.title()} at {desk.fake.base_url}", markup=False)
        console.print(f"roster               from the helpdesk, leads from {settings.roster}", markup=False)
    else:
        console.print(f"demo helpdesk log    {os.environ['SERVICEFLOW_DEMO_LOG']}", markup=False)
        console.print(f"roster               {settings.roster}", markup=False)
    receiving = serving(receiver_for(settings), "127.0.0.1", webhook_port)
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


def _exit(code: int) -> None:
    """Leave without the interpreter-exit crash of short Temporal processes (sdk-python #300)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
