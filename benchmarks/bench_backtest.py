"""Backtest throughput: 100,000 events of a generated history through ``serviceflow backtest``'s
reader and replay, printing events/s (goal: 100k events in under a minute on this machine).

The history is the test suite's deterministic month (tests/backtest/month.py) scaled up: about
3 events per ticket (created, first reply, solved; promise notes and payments on some), a first
reply after 0.5 to 6.5 hours, so warnings, breaches and escalation levels all fire. It is written
as serviceflow event lines, read back through the file reader (JSON parse and validation), then
replayed under the policy set (the shipped one by default) with the test roster.

Run: .venv/bin/python benchmarks/bench_backtest.py [--events 100000] [--policies DIR ...]
     [--backend celpy|cel-expr] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "backtest"))

import month  # noqa: E402
from machine import describe  # noqa: E402

from serviceflow.backtest.replay import replay  # noqa: E402
from serviceflow.backtest.report import build_report  # noqa: E402
from serviceflow.backtest.sources import read_file  # noqa: E402
from serviceflow.cel import CelEnvironment, backend_named  # noqa: E402
from serviceflow.durable.roster_source import load_roster_file  # noqa: E402
from serviceflow.engine.rules import Rules  # noqa: E402
from serviceflow.policy import load_policy_set  # noqa: E402

EVENTS_PER_TICKET = 3.06  # the month's mix: measured over 600 tickets (1,836 events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--policies", type=Path, nargs="*", default=[REPO / "policies", REPO / "workflows"])
    parser.add_argument("--backend", choices=["celpy", "cel-expr"], default="celpy")
    parser.add_argument("--profile", action="store_true", help="print the 30 costliest functions")
    args = parser.parse_args()

    print(describe())
    tickets = int(args.events / EVENTS_PER_TICKET) + 1
    plans = month.plan_month(days=30, per_day=tickets // 30 + 1)
    environment = CelEnvironment(backend=backend_named(args.backend))
    rules = Rules(load_policy_set(args.policies), environment)
    roster = load_roster_file(REPO / "tests" / "backtest" / "roster.yaml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.jsonl"
        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            for line in month.neutral_lines(plans):
                out.write(line + "\n")
        written = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        history = read_file(path)
        read, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    events = history.events[: args.events]
    profiler = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    result = replay(events, rules, roster=roster)
    if profiler is not None:
        profiler.disable()
    replayed, replay_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    report = build_report(result, source="bench")
    reported, report_cpu = time.perf_counter() - started, time.process_time() - cpu
    count = len(events)
    total = read * count / len(history.events) + replayed + reported
    print(
        f"{count:,} events on {len(result.cases):,} tickets, policy set {rules.version} ({args.backend}); "
        f"{result.decisions:,} decisions ({result.wake_ups:,} wake-ups), "
        f"{len(result.outcomes):,} outcome rows"
    )
    print(
        f"generate+write {written:.1f} s; read {read:.1f} s ({len(history.events) / read:,.0f} events/s; "
        f"CPU {read_cpu:.1f} s)"
    )
    print(
        f"replay {replayed:.1f} s ({count / replayed:,.0f} events/s; CPU {replay_cpu:.1f} s, "
        f"{count / replay_cpu:,.0f} events per CPU second); report {reported:.1f} s (CPU {report_cpu:.1f} s)"
    )
    cpu_total = read_cpu * count / len(history.events) + replay_cpu + report_cpu
    print(
        f"read+replay+report: {total:.1f} s, {count / total:,.0f} events/s "
        f"({'meets' if total < 60 else 'misses'} the goal of {count:,} events in under 60 s); "
        f"CPU {cpu_total:.1f} s, {count / cpu_total:,.0f} events per CPU second (what a quiet core would do)"
    )
    breached = sum(r.breached for r in report.totals.rates if r.dimension == "target")
    totals = report.totals
    print(f"(breaches {breached:,}, warnings {totals.warnings:,}, escalations {totals.escalations})")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
