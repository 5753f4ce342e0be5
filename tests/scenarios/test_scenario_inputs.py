"""Whatever a scenario file says, `policy test` answers with the scenario file, the step and the
field, never a traceback nor a pydantic dump, and never runs for ever or walks the disk (attack
findings on main, 2026-12-04)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
HEAD = """\
apiVersion: serviceflow/v1
kind: Scenario
name: s
start: {start}
roster:
  agents:
    - {{id: ann, groups: [billing, triage, frontline], lead: lee}}
    - {{id: lee, groups: [leads]}}
tickets:
  - {{id: {ticket}, subject: x, tags: [billing], requester: {{id: dana}}}}
steps:
  - event: created
"""
START = "2026-03-02T09:00:00+01:00"
INVALID = 2  # the scenario itself is invalid: nothing was run
FAILED = 1  # a step failed at run time


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("scenarios"))
    (tmp_path / "policies" / "scenarios").mkdir()
    return tmp_path


def scenario(project: Path, steps: str, *, start: str = START, ticket: str = '"1"') -> Path:
    path = project / "policies" / "scenarios" / "s.yaml"
    path.write_text(HEAD.format(start=start, ticket=ticket) + steps)
    return path


def policy_test(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["policy", "test", str(path)])
    return result.exit_code, result.stdout + result.stderr


def assert_readable(out: str) -> None:
    assert "Traceback" not in out and "input_value" not in out and "errors.pydantic.dev" not in out
    assert "unexpectedly" not in out


@pytest.mark.parametrize(
    ("steps", "code", "message"),
    [
        ("  - at: '25:61'\n", FAILED, "13:5: step 2: error: at: '25:61' is not a time of day"),
        (
            "  - expect: {targets: {first-response: {due: '99:99'}}}\n",
            FAILED,
            "step 2: error: targets.first-response: due: '99:99' is not a time of day",
        ),
        ("  - approve: {approval: nope}\n", FAILED, "step 2: error: approve: by: missing required key"),
        ("    set: {nope: 1}\n", FAILED, "step 1: error: bad ticket change: set.nope: unknown key"),
        (
            "    set: {status: exploded}\n",
            FAILED,
            "step 1: error: bad ticket change: set.status: Input should be 'new'",
        ),
        ('    id: "a\\0"\n', INVALID, "13:9: s: steps.0.id: an event id is 1 to 512 characters"),
        (
            "    repeat: 1000000000\n",
            INVALID,
            "13:13: s: steps.0.repeat: Input should be less than or equal to 100",
        ),
        (
            "  - change_policies: {path: ../../../../..}\n",
            FAILED,
            "step 2: error: change_policies.path: '../../../../..' leaves the scenario's project",
        ),
        (
            "  - change_policies: {path: /}\n",
            FAILED,
            "step 2: error: change_policies.path: '/' must be relative to the scenario file",
        ),
    ],
)
def test_a_bad_step_names_the_file_step_and_field(project: Path, steps: str, code: int, message: str) -> None:
    path = scenario(project, steps)
    got, out = policy_test(path)
    assert got == code, out
    assert f"{path}:" in out and message in out, out
    assert_readable(out)


OUTSIDE_START = "4:8: s: start: a time must lie from 1970-01-01 up to 2100-01-01"
BAD_TICKET = "10:10: s: tickets.0.id: a ticket id is 1 to 128 ASCII letters"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start", "0001-01-01T00:00:00+00:00", OUTSIDE_START),
        ("start", "1969-12-31T23:00:00+00:00", OUTSIDE_START),
        ("start", "9999-12-31T23:00:00+00:00", OUTSIDE_START),
        ("ticket", '"a:b"', BAD_TICKET),  # it would break a case id
        ("ticket", '"a\\0"', BAD_TICKET),
    ],
)
def test_a_start_or_ticket_id_outside_the_model_is_invalid(
    project: Path, field: str, value: str, message: str
) -> None:
    path = scenario(project, "", **{field: value})
    code, out = policy_test(path)
    assert code == INVALID
    assert f"{path}:{message}" in out
    assert_readable(out)


def test_a_change_to_a_sibling_folder_of_the_project_is_allowed(project: Path) -> None:
    shutil.copytree(project / "policies", project / "policies-v2", ignore=shutil.ignore_patterns("scenarios"))
    path = scenario(project, "  - change_policies: {path: ../../policies-v2}\n")
    code, out = policy_test(path)
    assert code == 0, out


def test_advancing_past_the_model_window_is_a_step_error(project: Path) -> None:
    path = scenario(
        project, "  - advance: 3000d\n  - event: agent_reply\n", start="2099-12-01T00:00:00+00:00"
    )
    code, out = policy_test(path)
    assert code == FAILED, out
    assert "step 2: error: time cannot reach 2108-02-18T00:00:00+00:00: a case's times lie from" in out
    assert_readable(out)


def test_a_scenario_without_tickets_is_invalid_not_a_traceback(project: Path) -> None:
    path = scenario(project, "")
    path.write_text(
        HEAD.split("tickets:")[0].format(start=START) + "tickets: []\nsteps:\n  - event: created\n"
    )
    code, out = policy_test(path)
    assert code == INVALID, out
    assert f"{path}:9:10: s: tickets: List should have at least 1 item after validation, not 0" in out
    assert_readable(out)


step_values = st.one_of(
    st.text(max_size=12),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.none(),
    st.lists(st.text(max_size=4), max_size=3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["at", "advance", "approve", "remedy", "promise", "reassign", "event"]),
    value=step_values,
)
def test_any_step_value_gives_a_readable_answer(project: Path, kind: str, value: object) -> None:
    import json

    path = scenario(project, f"  - {kind}: {json.dumps(value)}\n")
    code, out = policy_test(path)
    assert code in (0, FAILED, INVALID), out
    assert_readable(out)
