"""`make bench-check`: the quick benchmarks, compared with the ratios last recorded.

"Quick" is what runs in a minute or two on the 2-core machine, all of it ratios to a floor
measured in the same run, so that a busy machine moves both sides alike:

- bench_engine (300 tickets, 5 alternating rounds per backend, the median round): engine
  decisions/s over raw CEL evaluations/s of the same expressions, for cel-python and
  cel-expr-python;
- bench_cel (2 s per backend): serviceflow's CEL interface against cel-expr-python used raw;
- bench_ingest (1,200 events, 4 alternating rounds, the median round): webhooks through
  `serviceflow serve` against raw signal-with-start, and the raw client's CPU per
  signal-with-start over the receiver's CPU per webhook.

Every figure is a ratio where higher is better. The check fails (exit 1) when one falls more
than 20 % below its recorded value, or is no longer measured. ``--record`` writes the figures
measured now as the new record (benchmarks/baseline.json); benchmarks/RESULTS.md stays the human
record of every run. A record is kept per processor model: a ratio of pure Python (cel-python)
to compiled code (cel-expr) moves with the processor (0.076 on an AMD EPYC, 0.059 on an Intel
Xeon, for the same code), so a figure is compared only with one recorded on the same model, and
on a processor with no record the check fails and says to record one. bench_durable is not
quick (minutes per round) and is not checked here.

Run: .venv/bin/python benchmarks/check.py [--record] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from machine import cpu_model  # noqa: E402

BASELINE = HERE / "baseline.json"
TOLERANCE = 0.20
QUICK: list[tuple[str, list[str]]] = [
    ("bench_engine.py", ["--tickets", "300", "--rounds", "5", "--scenario-rounds", "0"]),
    ("bench_cel.py", ["--seconds", "2"]),
    ("bench_ingest.py", ["--events", "1200", "--rounds", "4"]),
]


@dataclass(frozen=True)
class Verdict:
    """One figure against its record."""

    name: str
    recorded: float | None
    measured: float | None
    tolerance: float

    @property
    def floor(self) -> float | None:
        return None if self.recorded is None else self.recorded * (1 - self.tolerance)

    @property
    def failed(self) -> bool:
        if self.recorded is None:
            return False  # new: nothing to compare with until it is recorded
        return self.measured is None or self.measured < self.recorded * (1 - self.tolerance)

    def describe(self) -> str:
        if self.recorded is None:
            return f"{self.name}: {self.measured:.3f} (new; not recorded yet)"
        if self.measured is None:
            return f"{self.name}: not measured (recorded {self.recorded:.3f})"
        change = self.measured / self.recorded - 1
        verdict = "FAIL" if self.failed else "ok"
        return (
            f"{self.name}: {self.measured:.3f} against {self.recorded:.3f} recorded ({change:+.0%}; "
            f"fails below {self.floor:.3f}) {verdict}"
        )


def compare(
    recorded: Mapping[str, float], measured: Mapping[str, float], tolerance: float = TOLERANCE
) -> list[Verdict]:
    """Every recorded figure against its measurement, then the figures not recorded yet."""
    verdicts = [Verdict(name, value, measured.get(name), tolerance) for name, value in recorded.items()]
    verdicts += [
        Verdict(name, None, value, tolerance) for name, value in measured.items() if name not in recorded
    ]
    return verdicts


def run_quick(python: str = sys.executable) -> tuple[dict[str, float], list[str]]:
    """Run the quick benchmarks; their ratios, and the machine lines they printed."""
    figures: dict[str, float] = {}
    machines: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for script, arguments in QUICK:
            out = Path(scratch) / f"{script}.json"
            print(f"$ {script} {' '.join(arguments)}", flush=True)
            subprocess.run([python, str(HERE / script), *arguments, "--json", str(out)], check=True)
            payload = json.loads(out.read_text())
            figures.update(payload["figures"])
            machines.append(f"{script}: {payload['machine']}")
    return figures, machines


def write_record(path: Path, figures: Mapping[str, float], machines: Sequence[str], cpu: str) -> None:
    """The figures measured now become the record the next checks on this ``cpu`` compare with;
    the records of other processors are kept."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    records = dict(stored.get("records", {}))
    records[cpu] = {"machines": list(machines), "figures": dict(figures)}
    record = {"tolerance": stored.get("tolerance", TOLERANCE), "records": records}
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def check_record(path: Path, figures: Mapping[str, float], cpu: str) -> tuple[int, list[str]]:
    """The exit code (0 when every figure recorded on this ``cpu`` holds, 1 otherwise) and the
    lines to print."""
    if not path.exists():
        return 1, [f"no record in {path}: run `benchmarks/check.py --record` first"]
    stored = json.loads(path.read_text())
    record = stored.get("records", {}).get(cpu)
    if record is None:
        known = ", ".join(sorted(stored.get("records", {}))) or "none"
        return 1, [
            f"no record for this processor ({cpu}) in {path} (recorded: {known}); ratios differ "
            "between processors: run `make bench-record` here once, then note the run in "
            "benchmarks/RESULTS.md"
        ]
    verdicts = compare(record["figures"], figures, stored.get("tolerance", TOLERANCE))
    lines = [verdict.describe() for verdict in verdicts]
    failed = [verdict.name for verdict in verdicts if verdict.failed]
    if failed:
        lines.append(f"bench-check: {len(failed)} fell more than 20 % below the record: {', '.join(failed)}")
        return 1, lines
    lines.append("bench-check: every figure within 20 % of its record")
    return 0, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--record", action="store_true", help="write the figures measured now as the record")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    args = parser.parse_args(argv)
    figures, machines = run_quick()
    cpu = cpu_model()
    if args.record:
        write_record(args.baseline, figures, machines, cpu)
        print(f"recorded {len(figures)} figures for {cpu} in {args.baseline}")
        return 0
    code, lines = check_record(args.baseline, figures, cpu)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
