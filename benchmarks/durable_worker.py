"""bench_durable's worker, in a process of its own so that its CPU and memory are its own.

``python benchmarks/durable_worker.py case|floor --address A --task-queue Q --root DIR --warm W
--cases N`` runs one worker (serviceflow's CaseWorkflow with its activities, or the floor's
workflow) and talks to bench_durable over stdin/stdout, one JSON object a line:

- prints ``{"ready": ...}`` once W warm-up cases (ids starting ``warm-``) have had their first
  action carried out, with the process's resident memory then and glibc's and pymalloc's
  figures (worker_memory.malloc_kib);
- prints ``{"open": ...}`` with the same once the N measured cases all have theirs (every case
  open and in the worker's cache), and after malloc_trim(0) with ``SERVICEFLOW_BENCH_TRIM=1``;
- prints ``{"done": true}`` once their escalations have all been carried out;
- on the line ``report`` from stdin prints ``{"report": ...}``: when each case's first action
  (the owner) and its escalation were carried out, how many actions of each type ran, the CPU by
  thread and the cyclic collector's work (worker_memory.Collector), warm-up's end to done;
- on ``exit`` stops the worker and exits.

With ``SERVICEFLOW_BENCH_PROFILE=FILE`` set, the worker runs under cProfile and writes its
statistics to FILE.KIND-PID on exit (for ``python -m pstats``; cProfile slows it, so CPU figures
of such a run are not comparable). With ``SERVICEFLOW_BENCH_PYSPY=FILE`` set, py-spy (installed
beside this Python) samples the worker from its warm-up's end to its last escalation (200/s,
non-blocking, the thread holding the GIL) and writes the folded stacks to FILE.KIND-PID.txt (py-spy's own
CPU is not the worker's, but its sampling slows the worker a little). With
``SERVICEFLOW_BENCH_TRACEMALLOC=FILE`` set, tracemalloc runs from the start and the Python memory
allocated between ``ready`` and ``open`` and still held is written to FILE.KIND-PID.txt, by file
and by line (see traced). ``--runner`` picks the workflow runner (workflow_runner: the sandbox's
share). Once started, the case's worker does what ``serviceflow worker`` does (settled: start-up's
objects frozen); ``SERVICEFLOW_BENCH_FREEZE`` and ``SERVICEFLOW_BENCH_ARENAS`` vary it (bench_durable's
``unfrozen``, ``floor-frozen``, ``arenas1`` and ``arenas2`` kinds).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_helpdesk import register_helpdesk  # noqa: E402
from floor_workflow import FloorActivities, FloorWorkflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner  # noqa: E402
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions  # noqa: E402
from worker_memory import Collector, limit_arenas, malloc_kib, rss_kib, trimmed  # noqa: E402

from serviceflow.model import Action  # noqa: E402


def thread_cpu() -> Counter[str]:
    """This process's CPU seconds so far by thread name (the SDK's Rust threads among them)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: Counter[str] = Counter()
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip().rstrip("0123456789_-")
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds[name or "?"] += (int(fields[11]) + int(fields[12])) / ticks
    return seconds


COLLECTOR = Collector()  # from the start: the warm-up's collections are left out by since()


class Recorder:
    """When each case's owner and escalation were carried out; prints the milestones."""

    def __init__(self, warm: int, cases: int) -> None:
        self.warm, self.cases = warm, cases
        self.assigned: dict[str, float] = {}
        self.escalated: dict[str, float] = {}
        self.types: Counter[str] = Counter()
        self.warmed = 0
        self.spy: subprocess.Popen[bytes] | None = None  # SERVICEFLOW_BENCH_PYSPY: see sampled()
        self.threads: Counter[str] = Counter()  # CPU seconds by thread name, ready to done
        self.collector: dict[str, list[float]] = {}  # the collector's work, ready to done

    def record(self, ticket_id: str, kind: str, at: float) -> None:
        self.types[kind] += 1
        if ticket_id.startswith("warm-"):
            if kind == "assign":
                self.warmed += 1
                if self.warmed == self.warm:
                    traced("ready")  # first: the snapshot it keeps is not counted in the open cases
                    say(ready=True, rss_kib=rss_kib(), malloc=malloc_kib(), source=source())
                    self.threads = thread_cpu()
                    self.collector = COLLECTOR.now()
                    self.spy = sampled() if os.environ.get("SERVICEFLOW_BENCH_PYSPY") else None
            return
        if kind == "assign" and ticket_id not in self.assigned:
            self.assigned[ticket_id] = at
            if len(self.assigned) == self.cases:
                say(open=True, rss_kib=rss_kib(), malloc=malloc_kib(), **trimmed())
                traced("open")
        elif kind == "escalate" and ticket_id not in self.escalated:
            self.escalated[ticket_id] = at
            if len(self.escalated) == self.cases:
                if self.spy is not None:
                    self.spy.send_signal(signal.SIGINT)
                    self.spy.wait(60)
                self.threads = thread_cpu() - self.threads
                self.collector = COLLECTOR.since(self.collector)
                say(done=True)

    def action(self, ticket_id: str, action: Action) -> None:
        """A case's action, carried out by the benchmark's helpdesk (vendor ``bench``)."""
        now = time.time()
        if action.type == "assign_owner":
            self.record(ticket_id, "assign", now)
        elif getattr(action, "escalation_level", None) == 1:
            self.record(ticket_id, "escalate", now)
        else:
            self.types[action.type] += 1


def source() -> str:
    """Where this process's serviceflow package comes from (bench_durable's "before" kind)."""
    import serviceflow

    return str(Path(serviceflow.__file__).parents[2])


_SNAPSHOTS: dict[str, Any] = {}


def traced(moment: str) -> None:
    """SERVICEFLOW_BENCH_TRACEMALLOC=FILE: at ``ready`` a tracemalloc snapshot; at ``open`` the
    Python memory allocated since, by file and by line (what N open cases hold), to FILE.KIND-PID.txt."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return

    gc.collect()
    _SNAPSHOTS[moment] = tracemalloc.take_snapshot()
    if moment != "open" or "ready" not in _SNAPSHOTS:
        return
    out = Path(f"{os.environ['SERVICEFLOW_BENCH_TRACEMALLOC']}.{sys.argv[1]}-{os.getpid()}.txt")
    with out.open("w") as report:
        for key in ("filename", "lineno"):
            stats = _SNAPSHOTS["open"].compare_to(_SNAPSHOTS["ready"], key)
            total = sum(s.size_diff for s in stats)
            print(f"# by {key}: {total / 1024:.0f} KiB allocated and held since ready", file=report)
            for stat in stats[:60]:
                line = f"{stat.size_diff / 1024:10.1f} KiB {stat.count_diff:8d} blocks  {stat.traceback}"
                print(line, file=report)


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def build_worker(
    kind: str, client: Client, queue: str, root: Path, recorder: Recorder, cases: int, runner: str,
    cache: int | None = None, unrecorded: bool = False,
) -> Worker:  # fmt: skip
    """``cache``: the sticky cache's size (default: every case of the phase, and some);
    ``runner``: one of RUNNERS (workflow_runner)."""
    common: dict[str, Any] = {
        "task_queue": queue,
        "workflow_runner": workflow_runner(kind, runner),
        "max_cached_workflows": cases + recorder.warm + 100 if cache is None else cache,
        "max_concurrent_activities": 200,
    }
    if kind == "floor":
        floor = FloorActivities(recorder.record)
        return Worker(client, workflows=[FloorWorkflow], activities=[floor.decide, floor.act], **common)
    from prometheus_client import CollectorRegistry

    from serviceflow.durable.activities import CaseActivities
    from serviceflow.durable.policy_store import PolicyStore
    from serviceflow.durable.registration import worker_activities
    from serviceflow.durable.roster_source import load_roster_file
    from serviceflow.durable.workflows import CaseWorkflow
    from serviceflow.outcomes.activity import OutcomeActivities
    from serviceflow.outcomes.store import OutcomeStore

    register_helpdesk("bench", recorder.action)
    activities = CaseActivities(PolicyStore([root / "policies"]), load_roster_file(root / "roster.yaml"))
    # What `serviceflow worker` registers, the outcome store (SQLite, as by default) included.
    kind_of_outcomes = unrecorded_kind() if unrecorded else OutcomeActivities
    outcomes = kind_of_outcomes(
        OutcomeStore(f"sqlite:///{root}/outcomes-{queue}.sqlite3"), registry=CollectorRegistry()
    )
    return Worker(
        client,
        workflows=[CaseWorkflow],
        activities=worker_activities(activities, client, queue, outcomes, index_requester=False),
        **common,
    )


RUNNERS = ("sandboxed", "unsandboxed", "passthrough")


def workflow_runner(kind: str, runner: str) -> WorkflowRunner:
    """``sandboxed``: the case's as ``serviceflow worker`` runs it (durable/worker.py's
    WORKFLOW_RUNNER; the SDK's default in a checkout without it), the SDK's default for the floor;
    ``unsandboxed``: no sandbox (the reference for the sandbox's share); ``passthrough``: the
    sandbox with the workflow's own module passed through too (serviceflow's package, or the
    floor's module), so that nothing is re-imported per workflow run."""
    if runner == "unsandboxed":
        return UnsandboxedWorkflowRunner()
    if runner == "passthrough":
        own = "floor_workflow" if kind == "floor" else "serviceflow"
        return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(own))
    if kind == "floor":
        return SandboxedWorkflowRunner()
    from serviceflow.durable import worker

    configured: WorkflowRunner = getattr(worker, "WORKFLOW_RUNNER", SandboxedWorkflowRunner())
    return configured


def unrecorded_kind() -> Any:
    """OutcomeActivities whose recording answers at once: the case with recording off."""
    from serviceflow.outcomes.activity import OutcomeActivities
    from serviceflow.outcomes.recording import RecordRequest, RecordResult

    class UnrecordedOutcomes(OutcomeActivities):
        async def record(self, request: RecordRequest) -> RecordResult:
            return RecordResult(rows=0, written=0)

    return UnrecordedOutcomes


def capped_arenas() -> None:
    """Before the first client: ``SERVICEFLOW_BENCH_ARENAS=N`` caps glibc's malloc arenas at N
    (the ``arenas1`` and ``arenas2`` kinds: measured, and not taken into the product, RESULTS.md
    memory10)."""
    if os.environ.get("SERVICEFLOW_BENCH_ARENAS"):
        limit_arenas(int(os.environ["SERVICEFLOW_BENCH_ARENAS"]))


def settled(kind: str) -> None:
    """Once the worker has started, what ``serviceflow worker`` does then (run_worker's
    freeze_startup: start-up's objects out of the collector's full collections), for the case's
    kinds; the floor (raw Temporal) not, unless ``SERVICEFLOW_BENCH_FREEZE`` says otherwise (``0``:
    not frozen, ``1``: frozen; the ``unfrozen`` and ``floor-frozen`` kinds)."""
    wanted = os.environ.get("SERVICEFLOW_BENCH_FREEZE")
    if kind == "floor" and wanted == "1":  # the same two calls, without importing serviceflow's worker
        gc.collect()
        gc.freeze()
    elif kind == "case" and wanted != "0":
        from serviceflow.durable import worker

        freeze = getattr(worker, "freeze_startup", None)  # a "before" checkout may not have it
        if freeze is not None:
            freeze()


async def main(args: argparse.Namespace) -> None:
    capped_arenas()
    if args.kind == "floor":
        client = await Client.connect(args.address)  # the default data converter
    else:
        from serviceflow.durable.settings import Settings
        from serviceflow.durable.worker import connect

        client = await connect(Settings(temporal_address=args.address, task_queue=args.task_queue))
    recorder = Recorder(args.warm, args.cases)
    worker = build_worker(
        args.kind,
        client,
        args.task_queue,
        Path(args.root),
        recorder,
        args.cases,
        "unsandboxed" if args.unsandboxed else args.runner,
        args.cache,
        args.unrecorded,
    )
    async with worker:
        settled(args.kind)
        while True:
            line = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if line == "report":
                say(report={"assigned": recorder.assigned, "escalated": recorder.escalated,
                            "types": dict(recorder.types), "rss_kib": rss_kib(),
                            "threads": dict(recorder.threads), "collector": recorder.collector})  # fmt: skip
            elif line in ("exit", ""):
                break


def profiled(args: argparse.Namespace) -> None:
    """main() under cProfile, its statistics written before the process exits."""
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:
        asyncio.run(main(args))
    finally:
        profile.disable()
        profile.dump_stats(f"{os.environ['SERVICEFLOW_BENCH_PROFILE']}.{args.kind}-{os.getpid()}")


def sampled() -> subprocess.Popen[bytes]:
    """py-spy recording this process until it is sent SIGINT (SERVICEFLOW_BENCH_PYSPY)."""
    out = f"{os.environ['SERVICEFLOW_BENCH_PYSPY']}.{sys.argv[1]}-{os.getpid()}.txt"
    spy = Path(sys.executable).parent / "py-spy"
    command = [str(spy), "record", "--nonblocking", "--gil", "-r", "200", "--threads", "-f", "raw"]
    return subprocess.Popen([*command, "-o", out, "--pid", str(os.getpid())], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["case", "floor"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--root", required=True, help="where bench_durable wrote the policies and roster")
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--unsandboxed", action="store_true", help="the workflow runner without the sandbox")
    parser.add_argument("--runner", choices=RUNNERS, default="sandboxed", help="see workflow_runner")
    parser.add_argument(
        "--cache", type=int, default=None, help="the sticky cache's size (default: all cases)"
    )
    parser.add_argument(
        "--unrecorded", action="store_true", help="outcome recording a no-op (no derive, no store)"
    )
    if os.environ.get("SERVICEFLOW_BENCH_TRACEMALLOC"):
        import tracemalloc

        tracemalloc.start(int(os.environ.get("SERVICEFLOW_BENCH_TRACEMALLOC_FRAMES", "1")))
    if os.environ.get("SERVICEFLOW_BENCH_PROFILE"):
        profiled(parser.parse_args())
    else:
        asyncio.run(main(parser.parse_args()))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
