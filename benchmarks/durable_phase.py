"""bench_durable's kinds and its phases: one kind's run of N cases at R new tickets/s, against a
fresh worker process of its own (durable_worker.py), with this process the client
(signal-with-start, as the receiver); the policy set and roster the case workers read; the
figures a phase measures (``Phase``). Used by bench_durable.py, which runs the rounds and the
search and prints the comparison."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from floor_workflow import FloorEvent
from machine import cpu_seconds, percentile
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from serviceflow.durable.cases import deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

HERE = Path(__file__).resolve().parent
POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: bench
defaults: {{escalation: page}}
fallback: {{owner: group:triage}}
escalations:
  page:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: bench
owner:
  - {{name: desk, pick: round_robin, from: [group:frontline]}}
targets:
  - {{name: reply, type: first_response, within: {within}s}}
"""
ROSTER = (
    "agents:\n"
    + "".join(f"  - {{id: a{i}, groups: [frontline], lead: lead}}\n" for i in range(20))
    + "  - {id: lead, groups: [leads]}\n"
)
KINDS = ("case", "floor")
# Variants of serviceflow's case, run as more kinds in the same rounds (each a ratio of the floor):
# "before", the case of another checkout's src/ (--before DIR: PYTHONPATH on it, e.g. an export of
# main); "unrecorded", this code's case with the decide activity's outcome recording a no-op
# (recording off: no derive, no store; no local activity either on the outcomes-in-decide path).
# The sandbox's share, in the same run: "bare", the case without the sandbox, and "floor-bare", the
# floor without it (UnsandboxedWorkflowRunner, a reference only: serviceflow runs sandboxed);
# "passthrough" and "floor-passthrough", the case and the floor with their own modules passed
# through the sandbox as well (serviceflow's package, floor_workflow.py: nothing re-imported per
# workflow run; durable_worker.py's workflow_runner).
# The allocator and the collector (RESULTS.md, memory10): "arenas1" and "arenas2", the case with
# glibc's malloc arenas capped at 1 or 2 (mallopt M_ARENA_MAX; measured, not the product's);
# "unfrozen", the case without the gc.freeze() `serviceflow worker` makes once started (run_worker),
# "floor-frozen", the floor with it. SERVICEFLOW_BENCH_TRIM=1 in bench_durable's environment has
# every worker also measure its memory after malloc_trim(0) once all its cases are open.
VARIANTS = (
    "before", "unrecorded", "bare", "floor-bare", "passthrough", "floor-passthrough",
    "arenas1", "arenas2", "unfrozen", "floor-frozen",
)  # fmt: skip
ENV_OF = {
    "arenas1": {"SERVICEFLOW_BENCH_ARENAS": "1"},
    "arenas2": {"SERVICEFLOW_BENCH_ARENAS": "2"},
    "unfrozen": {"SERVICEFLOW_BENCH_FREEZE": "0"},
    "floor-frozen": {"SERVICEFLOW_BENCH_FREEZE": "1"},
}
RUNNER_OF = {
    "bare": "unsandboxed",
    "floor-bare": "unsandboxed",
    "passthrough": "passthrough",
    "floor-passthrough": "passthrough",
}


def workflow_of(kind: str) -> str:
    """The workflow a kind runs: "floor" (the floor's kinds) or "case" (serviceflow's)."""
    return "floor" if kind.startswith("floor") else "case"


AT_RISK = 0.75  # the policy set's default: the owner is warned at 75 % of a target
#: The longest line a worker prints: its report holds two times per case (810 cases at
#: 40.5/s overflowed asyncio's default 64 KiB line and stopped a --search on a fast machine).
REPORT_LINE_LIMIT = 64 * 1024 * 1024
WARM = 20  # warm-up cases per phase, not measured: imports, the sandbox, caches


@dataclass
class Phase:
    """One kind's run of N cases at R new tickets/s."""

    kind: str
    cases: int
    rate: float
    within: float
    sending: float = 0.0
    worker_cpu: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    rss_ready_kib: int = 0
    rss_open_kib: int = 0
    malloc_ready: dict[str, int] = field(default_factory=dict)  # worker_memory.malloc_kib
    malloc_open: dict[str, int] = field(default_factory=dict)
    trimmed: dict[str, Any] = field(default_factory=dict)  # SERVICEFLOW_BENCH_TRIM: after malloc_trim(0)
    lateness: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    types: dict[str, int] = field(default_factory=dict)
    threads: dict[str, float] = field(default_factory=dict)  # the worker's CPU seconds by thread name
    collector: dict[str, list[float]] = field(default_factory=dict)  # by generation: runs, CPU s
    history: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where the worker's serviceflow package was imported from

    @property
    def complete(self) -> bool:
        return len(self.lateness) == self.cases

    def p99(self) -> float:
        return percentile(self.lateness, 0.99) if self.complete else math.inf

    def kib_per_case(self) -> float:
        return (self.rss_open_kib - self.rss_ready_kib) / self.cases if self.rss_open_kib else math.nan

    def collector_line(self) -> str:
        """The worker's cyclic collector, warm-up's end to the last escalation: CPU per case in
        it, and its collections by generation (young, middle, full)."""
        if not self.collector:
            return ""
        runs = "/".join(f"{self.collector[g][0]:.0f}" for g in ("0", "1", "2"))
        cpu = sum(seconds for _, seconds in self.collector.values()) / self.cases * 1000
        full = self.collector["2"][1] / self.cases * 1000
        return f"; in the collector {cpu:.2f} ms per case ({full:.2f} in full collections; runs {runs})"

    def malloc_line(self) -> str:
        """glibc's malloc per open case (in use, free in its arenas), its arenas, and after
        malloc_trim(0) when measured; "" without glibc's figures."""
        ready, opened = self.malloc_ready, self.malloc_open
        if not ready or not opened:
            return ""
        used, free = ((opened[k] - ready[k]) / self.cases for k in ("used", "free"))
        line = f"; malloc per open case: {used:.1f} KiB in use, {free:.1f} free, {opened['arenas']} arenas"
        if "py_used" in opened and "py_used" in ready:
            python = (opened["py_used"] - ready["py_used"]) / self.cases
            line += f"; pymalloc {python:.1f} KiB in use ({opened['py_arenas']} arenas of 1 MiB)"
        if "traced_large" in opened and "traced_large" in ready:  # tracemalloc: malloc's Python share
            traced, large, tracing = (
                (opened[k] - ready[k]) / self.cases for k in ("traced", "traced_large", "tracing")
            )
            rest = used - large - tracing
            line += (
                f"; Python's heap {traced:.1f} KiB ({large:.1f} of it in malloc); malloc not Python's "
                f"nor tracemalloc's ({tracing:.1f}): {rest:.1f} KiB"
            )
        if self.trimmed:
            rss = (self.trimmed["rss_kib"] - self.rss_ready_kib) / self.cases
            line += f"; after malloc_trim(0) ({self.trimmed['cpu_ms']:.0f} ms): {rss:.1f} KiB per open case"
        return line


class Bench:
    """The dev server, a client per kind, and the files the case workers read."""

    def __init__(self, root: Path, server: DevServer, clients: dict[str, Client]) -> None:
        self.root, self.server, self.clients = root, server, clients
        self.phases = 0
        self.unsandboxed = False
        self.cache: int | None = None  # the workers' sticky cache (None: every case of a phase)
        self.before: Path | None = None  # the "before" kind's checkout (--before)

    def server_cpu(self) -> float:
        return cpu_seconds(self.server.process.pid) if self.server.process else 0.0

    async def open_case(self, kind: str, queue: str, ticket_id: str, due: datetime, within: float) -> None:
        if workflow_of(kind) == "floor":
            warn_at = due.timestamp() - (1 - AT_RISK) * within
            await self.clients["floor"].start_workflow(
                "Floor", id=f"floor-{ticket_id}", task_queue=queue,
                start_signal="event", start_signal_args=[FloorEvent(ticket_id, warn_at, due.timestamp())],
            )  # fmt: skip
            return
        now = datetime.now(UTC)
        ticket = Ticket(
            id=ticket_id, vendor="bench", account="bench", subject="Help",
            requester=Requester(id=f"c{ticket_id}"), created_at=now, updated_at=now,
        )  # fmt: skip
        event = TicketEvent(
            id=f"created-{ticket_id}", kind=EventKind.CREATED, time=now,
            actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket,
        )  # fmt: skip
        await deliver(self.clients["case"], event, queue)

    async def history(self, kind: str, ticket_id: str) -> dict[str, Any]:
        """One case's history: its events by type, and its size in bytes."""
        workflow_id = f"floor-{ticket_id}" if workflow_of(kind) == "floor" else f"bench:bench:{ticket_id}"
        client = self.clients[workflow_of(kind)]
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        types: dict[str, int] = {}
        for event in history.events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
            types[name] = types.get(name, 0) + 1
        return {"events": len(history.events), "bytes": sum(e.ByteSize() for e in history.events),
                "types": types}  # fmt: skip

    async def phase(self, kind: str, cases: int, rate: float, within: float) -> Phase:
        """A fresh worker process for ``kind``; N cases at ``rate``, each due ``within`` s after
        it opens; waits for every escalation (at most ``within`` + 60 s after the last case)."""
        self.phases += 1
        tag = f"p{self.phases}"
        queue = f"bench-{kind}-{tag}"
        (self.root / "policies" / "bench.yaml").write_text(POLICIES.format(within=f"{within:g}"))
        env = dict(os.environ)
        # Bytecode, as an installed package has it (pip compiles on install): without it the
        # sandbox compiles the workflow's module from source for every workflow instance it makes.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.root / "pycache")
        if kind == "before" and self.before is not None:
            env["PYTHONPATH"] = str(self.before / "src")
        env.update(ENV_OF.get(kind, {}))
        worker = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "durable_worker.py"), workflow_of(kind),
            "--address", self.server.address, "--runner", RUNNER_OF.get(kind, "sandboxed"),
            "--task-queue", queue, "--root", str(self.root), "--warm", str(WARM), "--cases", str(cases),
            *(["--unsandboxed"] if self.unsandboxed else []),
            *(["--cache", str(self.cache)] if self.cache is not None else []),
            *(["--unrecorded"] if kind == "unrecorded" else []),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
            limit=REPORT_LINE_LIMIT,
        )  # fmt: skip
        assert worker.stdin is not None and worker.stdout is not None
        result = Phase(kind, cases, rate, within)

        async def expect(key: str, timeout: float) -> dict[str, Any] | None:
            assert worker.stdout is not None
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                try:
                    line = await asyncio.wait_for(worker.stdout.readline(), left)
                except TimeoutError:
                    return None
                if not line:
                    raise RuntimeError(f"the {kind} worker exited")
                try:
                    message: dict[str, Any] = json.loads(line)
                except ValueError:  # a log line of the worker's (an SDK warning): not the protocol's
                    print(f"  [{kind} worker] {line.decode(errors='replace').rstrip()}", file=sys.stderr)
                    continue
                if key in message:
                    return message
                if "open" in message:
                    result.rss_open_kib = message["rss_kib"]
                    result.malloc_open = message.get("malloc", {})
                    result.trimmed = message.get("trimmed", {})
            return None

        try:
            # Warm-ups breach during the phase for both kinds (a case's deadline is its policy's).
            warm_due = datetime.now(UTC) + timedelta(seconds=within)
            await asyncio.gather(
                *(self.open_case(kind, queue, f"warm-{tag}-{n}", warm_due, within) for n in range(WARM))
            )
            ready = await expect("ready", 120)
            if ready is None:
                raise RuntimeError(f"the {kind} worker never warmed up")
            result.rss_ready_kib = ready["rss_kib"]
            result.malloc_ready = ready.get("malloc", {})
            result.source = ready.get("source", "")
            server_cpu, worker_cpu, own_cpu = self.server_cpu(), cpu_seconds(worker.pid), time.process_time()
            sent: dict[str, float] = {}
            due: dict[str, float] = {}
            started = time.monotonic()
            deliveries = []
            for n in range(cases):
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))  # pacing
                ticket_id = f"{tag}-{n}"
                sent[ticket_id] = time.time()
                deadline = datetime.now(UTC) + timedelta(seconds=within)
                due[ticket_id] = deadline.timestamp()
                # Each opening goes on while the next is sent, as concurrent webhooks would.
                deliveries.append(
                    asyncio.create_task(self.open_case(kind, queue, ticket_id, deadline, within))
                )
            await asyncio.gather(*deliveries)
            result.sending = time.monotonic() - started
            await expect("done", within + 60)
            result.server_cpu = self.server_cpu() - server_cpu
            result.worker_cpu = cpu_seconds(worker.pid) - worker_cpu
            result.client_cpu = time.process_time() - own_cpu
            worker.stdin.write(b"report\n")
            report = (await expect("report", 60) or {}).get("report", {})
            result.lateness = [at - due[t] for t, at in report.get("escalated", {}).items()]
            result.latency = [at - sent[t] for t, at in report.get("assigned", {}).items()]
            result.types = report.get("types", {})
            result.threads = report.get("threads", {})
            result.collector = report.get("collector", {})
            result.history = await self.history(kind, f"{tag}-0")
        finally:
            if worker.returncode is None:
                worker.stdin.write(b"exit\n")
                try:
                    await asyncio.wait_for(worker.wait(), 60)
                except TimeoutError:
                    worker.kill()
                    await worker.wait()
        return result
