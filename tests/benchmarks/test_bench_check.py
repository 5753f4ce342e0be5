"""make bench-check's comparison, on fixed numbers: no benchmark runs and nothing is timed here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "check.py"
_spec = importlib.util.spec_from_file_location("serviceflow_bench_check", SCRIPT)
assert _spec is not None and _spec.loader is not None
check = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check  # dataclasses look their module up while the class is built
_spec.loader.exec_module(check)


def verdict(recorded: float | None, measured: float | None) -> object:
    (only,) = check.compare(
        {"x": recorded} if recorded is not None else {}, {"x": measured} if measured is not None else {}
    )
    return only


@pytest.mark.parametrize(
    ("recorded", "measured", "failed"),
    [
        (0.50, 0.50, False),  # unchanged
        (0.50, 0.65, False),  # better
        (0.50, 0.41, False),  # 18 % below: within the tolerance
        (0.50, 0.40, False),  # exactly 20 % below still holds
        (0.50, 0.39, True),  # 22 % below
        (2.00, 1.00, True),  # halved
    ],
)
def test_a_figure_fails_only_when_it_falls_more_than_20_percent(
    recorded: float, measured: float, failed: bool
) -> None:
    assert verdict(recorded, measured).failed is failed


def test_a_recorded_figure_no_longer_measured_fails() -> None:
    found = verdict(0.5, None)
    assert found.failed
    assert "not measured" in found.describe()


def test_a_new_figure_is_reported_but_does_not_fail() -> None:
    found = verdict(None, 0.3)
    assert not found.failed
    assert "new" in found.describe()


def test_every_recorded_figure_is_compared_and_new_ones_follow() -> None:
    verdicts = check.compare({"a": 1.0, "b": 1.0}, {"b": 0.5, "a": 0.9, "c": 2.0})
    assert [(v.name, v.failed) for v in verdicts] == [("a", False), ("b", True), ("c", False)]


def test_a_tolerance_can_be_set() -> None:
    (strict,) = check.compare({"a": 1.0}, {"a": 0.94}, tolerance=0.05)
    assert strict.failed


def test_record_then_check_round_trip(tmp_path: Path) -> None:
    record = tmp_path / "baseline.json"
    check.write_record(record, {"engine": 0.20, "ingest": 0.85}, ["bench_engine.py: a machine"], "CPU A")
    stored = json.loads(record.read_text())
    assert stored["records"]["CPU A"]["figures"] == {"engine": 0.20, "ingest": 0.85}
    assert stored["tolerance"] == pytest.approx(0.20)

    code, lines = check.check_record(record, {"engine": 0.19, "ingest": 0.80}, "CPU A")
    assert code == 0
    assert lines[-1] == "bench-check: every figure within 20 % of its record"

    code, lines = check.check_record(record, {"engine": 0.10, "ingest": 0.80}, "CPU A")
    assert code == 1
    assert "engine" in lines[-1] and "ingest" not in lines[-1]
    assert any(line.startswith("engine:") and line.endswith("FAIL") for line in lines)


def test_checking_without_a_record_fails_and_says_how_to_make_one(tmp_path: Path) -> None:
    code, lines = check.check_record(tmp_path / "missing.json", {"engine": 0.2}, "CPU A")
    assert code == 1
    assert "--record" in lines[0]


def test_a_figure_is_compared_only_with_a_record_of_the_same_processor(tmp_path: Path) -> None:
    record = tmp_path / "baseline.json"
    check.write_record(record, {"cel": 0.076}, ["bench_cel.py: A"], "CPU A")
    check.write_record(record, {"cel": 0.059}, ["bench_cel.py: B"], "CPU B")  # A's record is kept
    assert check.check_record(record, {"cel": 0.058}, "CPU B")[0] == 0
    assert check.check_record(record, {"cel": 0.058}, "CPU A")[0] == 1
    code, lines = check.check_record(record, {"cel": 0.058}, "CPU C")
    assert code == 1
    assert "CPU C" in lines[0] and "CPU A, CPU B" in lines[0] and "bench-record" in lines[0]


def test_the_shipped_record_is_kept_per_processor() -> None:
    stored = json.loads((SCRIPT.parent / "baseline.json").read_text())
    assert stored["records"] and all(r["figures"] for r in stored["records"].values())


def test_the_quick_benchmarks_exist_and_take_json() -> None:
    for script, _arguments in check.QUICK:
        source = (SCRIPT.parent / script).read_text()
        assert '"--json"' in source, script
