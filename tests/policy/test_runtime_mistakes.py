"""`policy validate` catches what would only fail at run time, on every ticket (issue 14, point 5):
each of these passed validation before and failed or misbehaved on the first ticket."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()
HEAD = "apiVersion: serviceflow/v1\nkind: Policy\nname: p\n"


def validate(write: Callable[..., Path], body: str, *extra: str) -> tuple[int, str]:
    folder = write({"p.yaml": HEAD + body})
    result = runner.invoke(app, ["policy", "validate", str(folder), *extra])
    return result.exit_code, result.stdout + result.stderr


def target(within: str = "1h", **fields: str) -> str:
    lines = ["targets:", "  - name: t", "    type: first_response", f"    within: {within}"]
    lines += [f"    {key}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (target("'duration(\"30mins\")'"), 'duration("30mins"): not a duration'),
        (target("99999999999 days"), "longer than 10 years"),
        (target("'duration(\"999999h\")'"), "longer than 10 years"),
        ("match: ticket.priority > 2\n", "cannot compare one of low, normal, high, urgent with a int"),
        ("match: ticket.status == 3\n", "cannot compare one of new, open"),
        ("match: 'ticket.subject.matches(\"(refund\")'\n", "not a regular expression in RE2 syntax"),
        ("match: 'timestamp(\"yesterday\") < now'\n", 'timestamp("yesterday"): not a timestamp'),
        ("match: 'ticket.tags.all(a, ticket.tags.all(b, ticket.tags.all(c, a == b)))'\n", "nested 3 deep"),
        ("match: 'ticket.tags.exists(t, t in [" + ", ".join(['"x"'] * 1001) + "])'\n", "at most 1000"),
        ("match: '" + "(" * 3000 + "true" + ")" * 3000 + "'\n", "nested too deeply"),
        ("match: '" + " && ".join(["true"] * 1500) + "'\n", "nested too deeply or is too long"),
        (target(calendar="'\"vip\" in ticket.tags ? \"gold\" : \"office\"'"), "'gold' is not a calendar"),
    ],
    ids=[
        "bad-duration", "literal-over-10y", "cel-over-10y", "enum-vs-int", "enum-eq-int", "regex",
        "timestamp", "macro-depth", "list-size", "deep-nesting", "long-chain", "unknown-calendar",
    ],
)  # fmt: skip
def test_a_runtime_mistake_is_a_problem(write_policies: Callable[..., Path], body: str, message: str) -> None:
    code, out = validate(write_policies, body)
    assert code == 1, out
    assert message in out
    assert "Traceback" not in out and "RecursionError" not in out


def test_servicenow_traps_are_warnings(write_policies: Callable[..., Path]) -> None:
    body = (
        "targets:\n"
        "  - {name: never-runs, within: 1h,\n"
        "     start: 'ticket.status == \"open\"', stop: 'ticket.status != \"new\"'}\n"
        "  - name: never-counts\n"
        '    start: event.kind == "created" && ticket.status == "new"\n'
        '    stop: event.kind == "agent_reply"\n'
        '    pause: ticket.status in ["new", "open"]\n'
        "    within: 1h\n"
    )
    code, out = validate(write_policies, body)
    assert code == 1
    assert "never-runs: warning: stop holds whenever start does" in out
    assert "never-counts: warning: pause holds whenever start does" in out
    code, out = validate(write_policies, body, "--ignore-warnings")
    assert code == 0 and "ok:" in out


def test_an_enum_ordered_as_text_is_a_warning(write_policies: Callable[..., Path]) -> None:
    code, out = validate(write_policies, 'match: ticket.priority >= "high"\n')
    assert code == 1 and "warning: an order comparison of low, normal, high, urgent compares text" in out


def test_shipped_policies_have_no_warnings() -> None:
    repo = Path(__file__).resolve().parents[2]
    result = runner.invoke(app, ["policy", "validate", str(repo / "policies")])
    assert result.exit_code == 0 and "warning" not in result.stdout + result.stderr
