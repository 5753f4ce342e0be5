"""`serviceflow policy test`: pass, fail with a readable diff, select, report, refuse bad input."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
#: The shipped scenarios: one per file in policies/scenarios.
SHIPPED = len(list((REPO / "policies" / "scenarios").glob("*.yaml")))


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["policy", "test", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A copy of the shipped policies and journeys, to change freely."""
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "workflows", tmp_path / "workflows")
    return tmp_path / "policies"


def test_shipped_scenarios_pass() -> None:
    code, out, err = run(str(REPO / "policies"))
    assert code == 0, out + err
    assert "refund-story PASSED" in out
    assert "FAILED" not in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("==========") and " passed in " in summary


def test_every_shipped_rule_is_exercised() -> None:
    code, out, _ = run(str(REPO / "policies"))
    assert code == 0
    assert "rules no scenario exercised" not in out


def test_a_wrong_expectation_fails_with_a_diff(policy_copy: Path) -> None:
    story = policy_copy / "scenarios" / "refund-story.yaml"
    text = story.read_text()
    wrong = text.replace(
        "- {type: notify, to: [ann, lee], level: 1, at: 2026-03-09T10:05:00+01:00, rule: refund}",
        "- {type: notify, to: [ann, lee], level: 1, at: 2026-03-06T10:05:00+01:00, rule: refund}",
    )
    assert wrong != text
    story.write_text(wrong)
    code, out, _ = run(str(policy_copy))
    assert code == 1
    assert "refund-story FAILED" in out
    assert "actions differ (- expected, + actual):" in out
    assert "  - notify at=2026-03-06 10:05:00+01:00 to=['ann', 'lee'] level=1 rule=refund" in out
    assert (
        "  + Mon 2026-03-09 10:05 [1042] notify to=['ann', 'lee'] level=1 "
        "'Breached: refund on ticket 1042' (standard/refund)" in out
    )
    assert f"1 failed, {SHIPPED - 1} passed" in out.splitlines()[-1]


def test_a_wrong_owner_is_reported_with_its_step_and_location(policy_copy: Path) -> None:
    owners = policy_copy / "scenarios" / "owners.yaml"
    owners.write_text(owners.read_text().replace("      owner: bob\n", "      owner: cy\n"))
    code, out, _ = run(str(policy_copy), "-k", "owners")
    assert code == 1
    assert f"{owners}:51:5: step 11 (expect at Mon 2026-03-02 10:00 CET):" in out
    assert "    owner: expected cy, got bob" in out


def test_a_failure_before_any_at_step_is_reported_in_the_policy_sets_zone(policy_copy: Path) -> None:
    """The clock holds UTC; a failure's time is printed as the scenario's people read it, also
    where no ``at:`` step has set a local time yet (the start, and times reached by ``advance``)."""
    owners = policy_copy / "scenarios" / "owners.yaml"
    text = owners.read_text()
    first = "    repeat: 2                       # the helpdesk delivered the webhook twice\n"
    assert first in text
    owners.write_text(text.replace(first, first + '  - expect: {ticket: "1", owner: bob}\n', 1))
    code, out, _ = run(str(policy_copy), "-k", "owners")
    assert code == 1
    assert f"{owners}:28:5: step 2 (expect at Mon 2026-03-02 09:00 CET):" in out
    assert "    owner: expected bob, got cy" in out


def test_keyword_selects_scenarios() -> None:
    code, out, _ = run(str(REPO / "policies"), "-k", "refund-story")
    assert code == 0
    assert "refund-story PASSED" in out and "owners" not in out
    assert f"{SHIPPED - 1} deselected" in out
    code, out, _ = run(str(REPO / "policies"), "-k", "not refund-story")
    assert code == 0 and "refund-story" not in out


def test_junit_xml(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    code, _, _ = run(str(REPO / "policies"), "--junit-xml", str(report))
    assert code == 0
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite"
    assert int(suite.get("tests", "0")) >= 6 and suite.get("failures") == "0"
    assert {c.get("name") for c in suite.iter("testcase")} >= {"refund-story", "owners"}


def test_unexercised_rules_are_listed(policy_copy: Path) -> None:
    (policy_copy / "scenarios" / "authority.yaml").unlink()
    code, out, _ = run(str(policy_copy))
    assert code == 0
    assert "rules no scenario exercised (3):" in out
    assert "  standard/small-refund" in out and "  standard/goodwill-credit" in out


def test_invalid_policy_is_a_usage_error(policy_copy: Path) -> None:
    standard = policy_copy / "standard.yaml"
    standard.write_text(standard.read_text().replace("ticket.channel", "ticket.chanel"))
    code, out, err = run(str(policy_copy))
    assert code == 2
    assert "unknown field 'chanel' of ticket" in err
    assert "nothing was run" in err


def test_invalid_scenario_is_a_usage_error(policy_copy: Path) -> None:
    (policy_copy / "scenarios" / "bad.yaml").write_text(
        "apiVersion: serviceflow/v1\nkind: Scenario\nname: bad\nstart: 2026-03-02T09:00:00Z\n"
        "steps:\n  - advance: 1h\n    expect: {owner: x}\n"
    )
    code, _, err = run(str(policy_copy))
    assert code == 2
    assert "bad.yaml:6:5: bad: a step is exactly one of" in err


def test_a_broken_step_fails_the_scenario(policy_copy: Path) -> None:
    (policy_copy / "scenarios" / "backwards.yaml").write_text(
        "apiVersion: serviceflow/v1\nkind: Scenario\nname: backwards\n"
        "start: 2026-03-02T09:00:00+01:00\nsteps:\n  - event: created\n"
        "  - at: 2026-03-01T09:00:00+01:00\n"
    )
    code, out, _ = run(str(policy_copy), "-k", "backwards")
    assert code == 1
    assert "step 2: error: time cannot go back" in out


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err
