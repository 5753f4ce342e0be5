"""`serviceflow policy validate`: exact locations and messages for each kind of bad policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]

POLICY_HEAD = """\
apiVersion: serviceflow/v1
kind: Policy
name: p
"""


def run(*args: str) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["policy", "validate", *args])
    lines = [line for line in result.stdout.splitlines() if line]
    return result.exit_code, lines, result.stderr


def problems_for(write: Callable[..., Path], body: str) -> list[str]:
    folder = write({"p.yaml": POLICY_HEAD + body})
    code, lines, stderr = run(str(folder))
    assert code == 1, (lines, stderr)
    prefix = f"{folder / 'p.yaml'}:"
    return [line.removeprefix(prefix) for line in lines]


def test_shipped_policies_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, lines, _ = run()
    assert code == 0, lines
    assert re.fullmatch(
        r"ok: \d+ policies, 1 journey, \d+ CEL expressions in \d+ files "  # one: no plural
        r"\(policy set version [0-9a-f]{16}\)",
        lines[-1],
    )


def test_shipped_policies_by_explicit_path() -> None:
    code, lines, _ = run(str(REPO / "policies"), "--quiet")
    assert code == 0, lines
    assert lines == []


def test_cel_syntax_error(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "match: 'ticket.status == '\n")
    assert problems == ["4:25: p: syntax error: the expression ends too early"]


def test_unknown_field_with_suggestion(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, 'match: ticket.priorty == "high"\n')
    assert len(problems) == 1
    assert problems[0].startswith(
        "4:15: p: unknown field 'priorty' of ticket (did you mean 'priority'?); fields: id,"
    )


def test_unknown_variable_in_a_literal_block(write_policies: Callable[..., Path]) -> None:
    body = """\
targets:
  - name: reply
    within: 4h
    start: event.kind == "created"
    stop: |
      event.kind == "agent_reply" &&
        tickt.status == "open"
"""
    problems = problems_for(write_policies, body)
    assert problems == [
        "10:9: reply: unknown name 'tickt' (did you mean 'ticket'?); known here: case, event, now, ticket"
    ]


def test_enum_value_that_can_never_match(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, 'match: ticket.status in ["open", "solvd"]\n')
    assert problems == [
        "4:34: p: 'solvd' is never a value here (did you mean 'solved'?); "
        "values: new, open, pending, on_hold, solved, closed"
    ]


def test_condition_that_is_not_boolean(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "match: ticket.subject\n")
    assert problems == ["4:8: p: match must yield a bool, but this yields a string"]


def test_dynamic_result_type_is_checked_on_a_sample_ticket(
    write_policies: Callable[..., Path],
) -> None:
    body = """\
targets:
  - name: t
    type: resolution
    within: 'ticket.priority == "high" ? ticket.created_at : ticket.updated_at'
"""
    problems = problems_for(write_policies, body)
    assert problems == ["7:14: t: within must yield a duration, but this yields a timestamp"]


def test_duplicate_rule_name(write_policies: Callable[..., Path]) -> None:
    body = """\
owner:
  - name: desk
    from: [group:a]
targets:
  - name: desk
    type: resolution
    within: 1h
"""
    problems = problems_for(write_policies, body)
    assert problems == [
        "8:11: desk: duplicate rule name 'desk' (first at line 5); rule names must be unique within a policy"
    ]


def test_duplicate_policy_name_across_files(write_policies: Callable[..., Path]) -> None:
    folder = write_policies({"a.yaml": POLICY_HEAD, "b.yaml": POLICY_HEAD})
    code, lines, _ = run(str(folder))
    assert code == 1
    assert lines == [
        f"{folder / 'b.yaml'}:3:7: p: duplicate policy name 'p' (also at {folder / 'a.yaml'}:3:7)"
    ]


def test_yaml_error(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "match: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith("5:1: yaml: YAML error: ")


def test_duplicate_yaml_key(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "match: 'true'\nmatch: 'false'\n")
    assert problems == ["5:1: yaml: duplicate key 'match' (first at line 4)"]


def test_unknown_key_with_suggestion(write_policies: Callable[..., Path]) -> None:
    body = """\
targets:
  - name: t
    type: resolution
    within: 1h
    withn: 2h
"""
    problems = problems_for(write_policies, body)
    assert problems == [
        "8:5: t: unknown key 'withn' (did you mean 'within'?); allowed here: name, type, when, "
        "within, within_from, calendar, start, stop, pause, at_risk, escalation"
    ]


def test_missing_required_key(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "targets:\n  - name: t\n    type: resolution\n")
    assert problems == ["5:5: t: missing required key 'within'"]


def test_custom_target_needs_start_and_stop(write_policies: Callable[..., Path]) -> None:
    problems = problems_for(write_policies, "targets:\n  - name: t\n    within: 1h\n")
    assert problems == [
        "5:5: t: targets: a custom target needs both start and stop; or set type: "
        "first_response, next_response or resolution for their defaults"
    ]


def test_bad_duration_literal(write_policies: Callable[..., Path]) -> None:
    body = "targets:\n  - name: t\n    type: resolution\n    within: 4 hourz\n"
    problems = problems_for(write_policies, body)
    assert problems == [
        "7:13: t: '4 hourz': unknown unit 'hourz'; use w, d, h, m, s (or words), "
        "or 'business hours' / 'business days'"
    ]


def test_unknown_calendar_and_escalation(write_policies: Callable[..., Path]) -> None:
    body = """\
targets:
  - name: t
    type: resolution
    within: 2 business hours
    calendar: offce
    escalation: nope
"""
    problems = problems_for(write_policies, body)
    assert problems == [
        "8:15: t: unknown calendar 'offce' (did you mean 'office'?); the PolicySet's calendars: office",
        "9:17: t: unknown escalation 'nope'; the PolicySet's escalations: standard",
    ]


def test_business_time_needs_a_calendar(write_policies: Callable[..., Path]) -> None:
    folder = write_policies(
        {
            "set.yaml": """\
                apiVersion: serviceflow/v1
                kind: PolicySet
                name: s
                fallback: {owner: group:triage}
                """,
            "p.yaml": POLICY_HEAD + "targets:\n  - {name: t, type: resolution, within: 5 business days}\n",
        },
        with_set=False,
    )
    code, lines, _ = run(str(folder))
    assert code == 1
    assert lines == [
        f"{folder / 'p.yaml'}:5:41: t: '5 business days' counts business time but no calendar "
        "applies: set 'calendar:' here or on the policy, or defaults.calendar in the PolicySet"
    ]


def test_bad_recipient_and_pool(write_policies: Callable[..., Path]) -> None:
    body = (
        "owner:\n  - name: o\n    from: [teamx]\n"
        "authority:\n  grant: [{name: g, when: 'true'}]\n  approver: boss\n"
    )
    problems = problems_for(write_policies, body)
    assert problems == [
        "6:12: o: from: 'teamx' is not valid: a pool is group:NAME or agent:ID",
        "9:13: authority: approver: 'boss' is not valid: a recipient is owner, owner.lead, "
        "owner.manager, group:NAME or agent:ID",
    ]


def test_wrong_api_version_and_unknown_kind(write_policies: Callable[..., Path]) -> None:
    folder = write_policies(
        {
            "a.yaml": "apiVersion: serviceflow/v2\nkind: Policy\nname: a\n",
            "b.yaml": "apiVersion: serviceflow/v1\nkind: Poilcy\nname: b\n",
        }
    )
    code, lines, _ = run(str(folder))
    assert code == 1
    assert lines == [
        f"{folder / 'a.yaml'}:1:13: a: apiVersion must be serviceflow/v1, not 'serviceflow/v2'",
        f"{folder / 'b.yaml'}:2:7: b: unknown kind 'Poilcy'; known kinds: PolicySet, Policy, "
        "Journey, Scenario",
    ]


def test_every_problem_is_reported_in_one_run(write_policies: Callable[..., Path]) -> None:
    body = """\
match: ticket.priorty == "high"
targets:
  - name: t
    within: 1h
    withn: 2h
    start: 'true'
    stop: event.knd == "agent_reply"
"""
    problems = problems_for(write_policies, body)
    assert [p.split(": ")[0] for p in problems] == ["4:15", "8:5", "10:17"]


def test_a_set_without_policyset_document(write_policies: Callable[..., Path]) -> None:
    folder = write_policies({"p.yaml": POLICY_HEAD}, with_set=False)
    code, lines, _ = run(str(folder))
    assert code == 1
    assert lines == [
        f"{folder / 'p.yaml'}:2:7: p: no PolicySet document: add one (kind: PolicySet) "
        "with at least a fallback owner"
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, lines, stderr = run(str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such file or directory" in stderr


def test_empty_directory_is_a_problem(tmp_path: Path) -> None:
    code, lines, _ = run(str(tmp_path))
    assert code == 1
    assert lines == [f"{tmp_path}:1:1: -: no policy files (*.yaml) found in {tmp_path}"]


def test_summary_counts_problems_and_files(write_policies: Callable[..., Path]) -> None:
    folder = write_policies({"p.yaml": POLICY_HEAD + "match: ticket.x\n"})
    result = runner.invoke(app, ["policy", "validate", str(folder)])
    assert result.exit_code == 1
    assert "1 problem in 1 of 2 files" in result.stderr


def test_scenario_documents_are_left_to_policy_test(write_policies: Callable[..., Path]) -> None:
    folder = write_policies({"s.yaml": "apiVersion: serviceflow/v1\nkind: Scenario\nname: s\n"})
    code, lines, _ = run(str(folder))
    assert code == 0, lines


@pytest.mark.parametrize("args", [["--help"], ["policy", "--help"], ["policy", "validate", "--help"]])
def test_help_reads_well(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage:" in result.output
    if args == ["policy", "validate", "--help"]:
        assert "file:line:col" in result.output


def test_no_path_at_all_says_so() -> None:
    from serviceflow.policy.loader import validate

    report = validate([])
    assert [p.message for p in report.problems] == [
        "no policy files (*.yaml): no policy folder or file was given (name one, e.g. policies)"
    ]
