"""Record the loops' signal histories as replay fixtures:
`.venv/bin/python tests/durable/make_loop_histories.py` (`--force` records them again).

On the time-skipping test server, with the workflow code of the day and stub activities (an
empty listing, an empty sweep page: the signals are what is recorded, not the helpdesk).
test_watcher_replay.py replays each with today's code. Recorded once and committed.

- watcher_signals.json: a QuarantineWatcher polls; ``configure`` sets its interval to 10 minutes
  (and a ``configure`` with a string, then one with no argument, are logged and ignored), then
  ``poll_now`` (once with an argument it does not take: logged, still acted on) polls at once
  each time; the third poll after the new interval.
- reconciler_signals.json: the same story for a Reconciler, with ``sweep_now``.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loop_fakes import POLLS, list_nothing, sweep_nothing  # noqa: E402
from temporalio.client import WorkflowHandle  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from serviceflow.durable.binaries import temporal_test_server  # noqa: E402
from serviceflow.durable.messages import WatchStart  # noqa: E402
from serviceflow.durable.quarantine import QuarantineWatcher  # noqa: E402
from serviceflow.durable.reconcile import Reconciler  # noqa: E402
from serviceflow.durable.reconcile_messages import ReconcileStart  # noqa: E402
from serviceflow.fakes.waiting import eventually, skip_time  # noqa: E402

NEW_INTERVAL = 600.0  # seconds: what ``configure`` sets


async def _polled(count: int) -> bool | None:
    return True if len(POLLS) >= count else None


async def story(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], now_signal: str) -> None:
    """The signals, each acted on before the next (every one of them in the history)."""
    await eventually(lambda: _polled(1), 30, "the first poll")
    await handle.signal("configure", NEW_INTERVAL)
    await handle.signal("configure", "ten minutes")  # logged, ignored
    await handle.signal("configure", args=[])  # logged, ignored
    await handle.signal(now_signal)
    await eventually(lambda: _polled(2), 30, f"{now_signal}")
    await handle.signal(now_signal, {"at": "once"})  # the argument logged, the signal acted on
    await eventually(lambda: _polled(3), 30, f"{now_signal} with an argument")
    await eventually(lambda: _skipped_until_polled(env, 4), 30, "the poll after the configured interval")


async def _skipped_until_polled(env: WorkflowEnvironment, count: int) -> bool | None:
    """Past the configured interval (again, if the timer had not started yet), then polled?"""
    await skip_time(env, timedelta(seconds=NEW_INTERVAL + 1))
    return await _polled(count)


async def record(  # type: ignore[no-untyped-def]
    env: WorkflowEnvironment, name: str, loop, start: Any, lister: Any, now_signal: str
) -> None:
    target = HERE / "loop_histories" / f"{name}.json"
    if target.exists() and "--force" not in sys.argv:
        print(f"kept {name} (use --force to record it again)")
        return
    POLLS.clear()
    queue = f"record-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[loop], activities=[lister]):
        handle = await env.client.start_workflow(loop.run, start, id=f"{name}-{queue}", task_queue=queue)
        await story(env, handle, now_signal)
        history = await handle.fetch_history()
        await handle.terminate("recorded")
    target.write_text(history.to_json())
    print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        watch = WatchStart(vendor="demo", account="demo", interval_seconds=3600)
        await record(env, "watcher_signals", QuarantineWatcher, watch, list_nothing, "poll_now")
        sweep = ReconcileStart(vendor="demo", account="demo", interval_seconds=3600)
        await record(env, "reconciler_signals", Reconciler, sweep, sweep_nothing, "sweep_now")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
