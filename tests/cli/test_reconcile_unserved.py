"""``serviceflow reconcile VENDOR:ACCOUNT`` (sweep now) when the account's reconciler runs on a
task queue no worker serves (the worker that started it is down, or runs on another queue): one
line naming the queue and what to start, at once, against a real Temporal dev server, as a
process (attack14 F3). Before, the command waited about 30 s for the query Temporal cannot
deliver and said "error: Temporal refused: Timeout expired (CANCELLED)" (or "h2 protocol error:
http2 error (CANCELLED)")."""

from __future__ import annotations

from pathlib import Path

from lab_support import cli, dev_server, lab_environment

from serviceflow.durable.devserver import DevServer
from serviceflow.durable.reconcile import reconciler_id
from serviceflow.durable.reconcile_messages import ReconcileStartInput
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect

NOBODY = "reconcile-nobody-serves"


async def test_a_reconciler_nobody_serves_is_named_with_its_queue(
    dev_server: DevServer, tmp_path: Path
) -> None:
    client = await connect(Settings(temporal_address=dev_server.address))
    await client.start_workflow(
        "Reconciler",
        ReconcileStartInput(vendor="demo", account="desk"),
        id=reconciler_id("demo", "desk"),
        task_queue=NOBODY,
    )
    done = cli("reconcile", "demo:desk", env=lab_environment(dev_server, tmp_path, "other"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: the reconciler of demo:desk runs on task queue {NOBODY}, which no worker serves: start "
        f"`serviceflow worker` with SERVICEFLOW_TASK_QUEUE={NOBODY} and demo:desk in SERVICEFLOW_RECONCILE"
    ]
    assert "CANCELLED" not in done.stderr and "Traceback" not in done.stderr


async def test_an_ended_reconciler_is_no_reconciler(dev_server: DevServer, tmp_path: Path) -> None:
    client = await connect(Settings(temporal_address=dev_server.address))
    handle = await client.start_workflow(
        "Reconciler",
        ReconcileStartInput(vendor="demo", account="gone"),
        id=reconciler_id("demo", "gone"),
        task_queue=NOBODY,
    )
    await handle.terminate("the test ends it")
    done = cli("reconcile", "demo:gone", env=lab_environment(dev_server, tmp_path, NOBODY), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: no reconciler runs for demo:gone: add it to SERVICEFLOW_RECONCILE and (re)start the worker, "
        "or run with --backfill"
    ]


__all__ = ["dev_server"]  # a fixture, used by name
