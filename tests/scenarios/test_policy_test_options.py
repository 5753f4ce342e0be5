"""`serviceflow policy test` says everything (issue 14, point 7): one scenario file, -x, JSON,
warnings, the rule errors behind a failure, typos in scenario keys, precise times."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
HEAD = "apiVersion: serviceflow/v1\nkind: Scenario\nname: {name}\nstart: 2026-03-02T09:00:00+01:00\n"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["policy", "test", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def policy_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "workflows", tmp_path / "workflows")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "policies"


def scenario(folder: Path, name: str, steps: str) -> Path:
    path = folder / "scenarios" / f"{name}.yaml"
    path.write_text(HEAD.format(name=name) + "steps:\n" + steps)
    return path


def test_one_scenario_file_runs_against_the_set_above_it(policy_copy: Path) -> None:
    code, out, err = run("policies/scenarios/refund-story.yaml")
    assert code == 0, out + err
    assert "refund-story PASSED" in out and "owners" not in out
    assert "rules no scenario exercised" not in out


def test_one_scenario_file_runs_though_another_files_scenario_is_broken(policy_copy: Path) -> None:
    """Only the file given must be valid (the policy set too); the whole folder still must."""
    scenario(policy_copy, "zz-broken", "  - evnt: created\n")
    code, out, err = run("policies/scenarios/refund-story.yaml")
    assert code == 0, out + err
    assert "refund-story PASSED" in out and "zz-broken" not in out + err
    code, _, err = run("policies/scenarios/zz-broken.yaml")
    assert code == 2 and "unknown step 'evnt'" in err
    code, _, err = run("policies")
    assert code == 2 and "zz-broken.yaml" in err and "nothing was run" in err


def test_a_file_outside_any_policy_set_says_why(tmp_path: Path) -> None:
    lone = tmp_path / "lone.yaml"
    lone.write_text(HEAD.format(name="lone") + "steps:\n  - event: created\n")
    code, _, err = run(str(lone))
    assert code == 2 and "no folder above it holds a PolicySet" in err


def test_exitfirst_stops_at_the_first_failure(policy_copy: Path) -> None:
    scenario(policy_copy, "aaa-fails", "  - event: created\n  - expect: {owner: nobody}\n")
    code, out, _ = run(str(policy_copy), "-x")
    assert code == 1
    assert "aaa-fails FAILED" in out and "PASSED" not in out
    assert "stopped at the first failure (-x)" in out


def test_json_format(policy_copy: Path) -> None:
    scenario(policy_copy, "aaa-fails", "  - event: created\n  - expect: {owner: nobody}\n")
    code, out, _ = run(str(policy_copy), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["failed"] == 1 and report["passed"] >= 9
    failed = next(s for s in report["scenarios"] if not s["passed"])
    assert failed["name"] == "aaa-fails"
    assert failed["failures"][0]["lines"] == ["owner: expected nobody, got group:triage"]
    assert failed["failures"][0]["location"].endswith("aaa-fails.yaml:7:5")


def test_a_typo_in_a_step_or_key_is_suggested(policy_copy: Path) -> None:
    scenario(policy_copy, "typos", "  - event: created\n  - expct: {owner: cat}\n")
    code, _, err = run(str(policy_copy))
    assert code == 2
    assert "unknown step 'expct' (did you mean 'expect'?)" in err
    scenario(policy_copy, "typos", "  - event: created\n  - expect: {ownr: cat}\n")
    code, _, err = run(str(policy_copy))
    assert code == 2 and "unknown key 'ownr' (did you mean 'owner'?)" in err
    scenario(policy_copy, "typos", "  - expect: {targets: {first-response: {stauts: running}}}\n")
    code, _, err = run(str(policy_copy))
    assert "unknown key 'stauts' (did you mean 'status'?)" in err


def test_rule_errors_are_shown_with_a_failure(policy_copy: Path) -> None:
    standard = policy_copy / "standard.yaml"
    standard.write_text(
        standard.read_text().replace(
            "    when: '\"vip\" in ticket.tags'", "    when: 'ticket.custom_fields.tier == \"vip\"'"
        )
    )
    scenario(policy_copy, "errors", "  - event: created\n  - expect: {owner: nobody}\n")
    code, out, _ = run(str(policy_copy), "-k", "errors")
    assert code == 1
    assert "rule errors since the previous expect:" in out
    assert "standard/vip-fixed-owner:" in out and "(used: false)" in out


def test_warnings_stop_a_run_unless_ignored(policy_copy: Path) -> None:
    (policy_copy / "trap.yaml").write_text(
        "apiVersion: serviceflow/v1\nkind: Policy\nname: trap\nmatch: 'false'\ntargets:\n"
        "  - {name: t, start: 'ticket.status == \"open\"', stop: 'ticket.status != \"new\"', within: 1h}\n"
    )
    code, _, err = run(str(policy_copy))
    assert code == 2 and "warning: stop holds whenever start does" in err
    assert "--ignore-warnings runs it" in err
    code, out, err = run(str(policy_copy), "--ignore-warnings", "-k", "owners")
    assert code == 0 and "owners PASSED" in out


def test_times_with_seconds_are_checked_to_the_second(policy_copy: Path) -> None:
    steps = (
        "  - event: created\n  - at: '14:01'\n"
        "  - expect: {targets: {first-response: {status: breached, breached_at: '14:00:00'}}}\n"
        "  - expect: {targets: {first-response: {breached_at: '14:00:30'}}}\n"
        "  - expect: {targets: {first-response: {breached_at: '14:00'}}}\n"
    )
    scenario(policy_copy, "seconds", steps)
    code, out, _ = run(str(policy_copy), "-k", "seconds")
    assert code == 1
    assert (
        "step 4 " in out and "breached_at expected Mon 2026-03-02 14:00:30, got Mon 2026-03-02 14:00" in out
    )
    assert "step 3 " not in out and "step 5 " not in out
