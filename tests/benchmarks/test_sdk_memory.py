"""benchmarks/bench_sdk_memory.py runs to its end on the real dev server and prints a figure per
kind for each of its two passes (a smoke run of a few workflows: the figures themselves are
measured in benchmarks/RESULTS.md, never asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sdk_memory.py"
KINDS = ("nothing", "timer", "1 local activity", "5 local activities", "5 of 2 KiB", "15 local activities")


def test_every_kind_is_measured_twice() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--workflows", "3", "--warm", "1"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("resident memory per open cached workflow", 1)[1]
    for kind in KINDS:
        assert re.search(rf"^  {re.escape(kind)} +-?\d+\.\d / -?\d+\.\d KiB$", summary, re.M), summary
