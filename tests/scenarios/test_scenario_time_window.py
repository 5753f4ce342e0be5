"""A scenario's time stays where a case's times can be (1970 up to 2100, as its start): a step that
would take it further is the scenario's error naming the step and the window, never a traceback
nor an OverflowError from far beyond (it said "advance: OverflowError: date value out of range"
once past the year 9999, and ran on silently from 2100 to there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
HEAD = """\
apiVersion: serviceflow/v1
kind: Scenario
name: s
start: 2026-03-02T09:00:00+01:00
tickets:
  - {id: "1", subject: x, tags: [billing], requester: {id: dana}}
steps:
"""
WINDOW = "a case's times lie from 1970-01-01 up to 2100-01-01; advance less or start earlier"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("scenarios"))
    (tmp_path / "policies" / "scenarios").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("steps", "line", "reached"),
    [
        ("  - advance: 87600h\n" * 9, 16, "2106-02-11T08:00:00+00:00"),  # ten years at a time
        ("  - at: 9999-12-31T23:30:00+00:00\n", 9, "9999-12-31T23:30:00+00:00"),
        ("  - at: 0001-01-01T00:30:00+01:00\n", 9, "0001-01-01T00:30:00+01:00"),
        ("  - at: 2099-12-31T22:00:00+00:00\n  - advance: 3 business days\n", 10, "2100-01-05T16:30"),
    ],
    ids=["advance", "at-9999", "at-year-1", "business-days"],
)
def test_a_step_past_the_window_names_the_step_and_the_window(
    project: Path, steps: str, line: int, reached: str
) -> None:
    path = project / "policies" / "scenarios" / "s.yaml"
    path.write_text(HEAD + "  - event: created\n" + steps)
    result = runner.invoke(app, ["policy", "test", str(path)])
    out = result.stdout + result.stderr
    assert result.exit_code == 1, out
    step = line - 7
    assert f"{path}:{line}:5: step {step}: error: time cannot reach {reached}" in out, out
    assert WINDOW in out and "Traceback" not in out and "OverflowError" not in out
