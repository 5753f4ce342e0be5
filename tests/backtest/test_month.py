"""A generated month of tickets, backtested: the breach counts match the ones counted by hand
from the plan (``month.py``), in every format the backtest reads, and ``--against`` shows what a
second policy set changes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import month
import pytest
from typer.testing import CliRunner

from serviceflow.backtest.replay import replay
from serviceflow.backtest.report import build_report
from serviceflow.backtest.sources import read_file
from serviceflow.cli import app
from serviceflow.durable.roster_source import load_roster_file
from serviceflow.engine.rules import Rules
from serviceflow.outcomes.tally import Dimension
from serviceflow.policy import load_policy_set

HERE = Path(__file__).resolve().parent
POLICIES_A, POLICIES_B, ROSTER = HERE / "policies-a", HERE / "policies-b", HERE / "roster.yaml"
runner = CliRunner()

PLANS = month.plan_month()
END = max(p.created + max(p.solved, p.first_reply + timedelta(days=1) if p.paid else p.solved) for p in PLANS)


def hours(plan: month.Plan) -> float:
    return plan.first_reply.total_seconds() / 3600


# -- the expectation, by hand from the plan ------------------------------------------------------
# 600 tickets (30 days x 20); 12 are repeat contacts (i % 50 == 49), answered in 1 h.
# First response within 4 h (A) / 6 h (B): breached when the first reply took longer.
# A: i % 7 in {4, 5, 6} (4.5, 5.5, 6.5 h): 256 such i in 0..599, 4 of them repeat contacts
# (249, 299, 349, 599) -> 252. B: i % 7 == 6: 85, one a repeat contact (349) -> 84.
EXPECTED_A_FIRST_RESPONSE_BREACHED = 252
EXPECTED_B_FIRST_RESPONSE_BREACHED = 84
# Resolution within 48 h: solved after 50.5 h when i % 10 == 0 -> 60 (both sets).
EXPECTED_RESOLUTION_BREACHED = 60
# Warnings at 75 %: first response warned after 3 h (A: i % 7 in {3..6}: 342, 6 repeat contacts
# -> 336), resolution after 36 h (60), refund promises after 54 h unless paid at 24 h (12 unpaid).
EXPECTED_A_WARNINGS = 336 + 60 + 12
# Escalations: level 1 on every breach; level 2 two hours later: first replies after 6 h (84)
# and every resolution breach (solved 2.5 h after it). Promise misses: their due (72 h after the
# note) before the history ends: 11 of the 12 unpaid (ticket 575's is due after the last event).
EXPECTED_PROMISES_MISSED = 11
EXPECTED_A_LEVEL_1 = (
    EXPECTED_A_FIRST_RESPONSE_BREACHED + EXPECTED_RESOLUTION_BREACHED + EXPECTED_PROMISES_MISSED
)
EXPECTED_A_LEVEL_2 = 84 + 60


def test_the_hand_counts_follow_from_the_plan() -> None:
    """The constants above, recounted from the plan (so the plan and the comments agree)."""
    assert len(PLANS) == 600 and sum(p.repeat_of is not None for p in PLANS) == 12
    assert sum(hours(p) > 4 for p in PLANS) == EXPECTED_A_FIRST_RESPONSE_BREACHED
    assert sum(hours(p) > 6 for p in PLANS) == EXPECTED_B_FIRST_RESPONSE_BREACHED
    assert sum(p.solved > timedelta(hours=48) for p in PLANS) == EXPECTED_RESOLUTION_BREACHED
    unpaid = [p for p in PLANS if p.promise and not p.paid]
    assert (
        sum(p.created + p.first_reply + timedelta(hours=72) <= END for p in unpaid)
        == EXPECTED_PROMISES_MISSED
    )
    assert sum(hours(p) > 3 for p in PLANS) + 60 + len(unpaid) == EXPECTED_A_WARNINGS


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("month")
    writers: dict[str, Callable[[list[month.Plan]], Iterator[str]]] = {
        "serviceflow": month.neutral_lines,
        "zendesk": month.zendesk_lines,
        "freshdesk": month.freshdesk_lines,
    }
    found = {}
    for name, write in writers.items():
        path = folder / f"{name}.jsonl"
        path.write_text("\n".join(write(PLANS)) + "\n", encoding="utf-8")
        found[name] = path
    return found


@pytest.fixture(scope="module")
def rules_a() -> Rules:
    return Rules(load_policy_set([POLICIES_A]))


@pytest.mark.parametrize("fmt", ["serviceflow", "zendesk", "freshdesk"])
def test_breach_counts_match_the_hand_computed_ones(fmt: str, files: dict[str, Path], rules_a: Rules) -> None:
    history = read_file(files[fmt])
    result = replay(history.events, rules_a, roster=load_roster_file(ROSTER))
    report = build_report(result, source=fmt)
    rates = {r.name: r for r in report.totals.rates_by(Dimension.TARGET)}
    assert rates["support/first-response"].breached == EXPECTED_A_FIRST_RESPONSE_BREACHED
    assert rates["support/first-response"].settled == 600
    assert rates["support/resolution"].breached == EXPECTED_RESOLUTION_BREACHED
    assert report.totals.warnings == EXPECTED_A_WARNINGS
    assert report.totals.escalations == {1: EXPECTED_A_LEVEL_1, 2: EXPECTED_A_LEVEL_2}
    assert (report.totals.promises_kept, report.totals.promises_missed) == (12, EXPECTED_PROMISES_MISSED)
    assert report.tickets == 600 and report.rule_errors == 0
    # Repeat contacts: 12 tickets joined their customer's open case, each counted once (both
    # cases it links find it, under one key).
    assert report.totals.repeat_contacts == 12


def test_the_cli_reports_per_target_team_and_agent(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app,
        [
            "backtest",
            str(files["serviceflow"]),
            "--policies",
            str(POLICIES_A),
            "--roster",
            str(ROSTER),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    lines = {(line["dimension"], line["name"]): line for line in report["lines"]}
    first = lines[("target", "support/first-response")]
    assert (first["breached"], first["met"]) == (EXPECTED_A_FIRST_RESPONSE_BREACHED, 600 - 252)
    refund = lines[("target", "support/refund")]
    assert (refund["promises_kept"], refund["promises_missed"]) == (12, EXPECTED_PROMISES_MISSED)
    agents = [line for (dimension, _), line in lines.items() if dimension == "agent"]
    assert {line["name"] for line in agents} == {"a1", "a2", "a3"}  # round robin over the frontline
    assert sum(line["breached"] for line in agents) == 252 + 60
    assert ("team", "(none)") in lines
    assert lines[("policy", "support")]["breached"] == 252 + 60
    text = runner.invoke(
        app, ["backtest", str(files["serviceflow"]), "--policies", str(POLICIES_A), "--roster", str(ROSTER)]
    )
    assert text.exit_code == 0, text.output
    assert "600 tickets" in text.stdout and "targets breached 312 of 1200 settled" in text.stdout
    assert "support/first-response" in text.stdout and "What the policies would have done" in text.stdout


def test_against_shows_the_two_sets_and_the_tickets_that_differ(files: dict[str, Path]) -> None:
    args = ["backtest", str(files["zendesk"]), "--policies", str(POLICIES_A), "--roster", str(ROSTER)]
    result = runner.invoke(app, [*args, "--against", str(POLICIES_B), "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    a = {r["name"]: r for r in comparison["policies"]["totals"]["rates"] if r["dimension"] == "target"}
    b = {r["name"]: r for r in comparison["against"]["totals"]["rates"] if r["dimension"] == "target"}
    assert a["support/first-response"]["breached"] == EXPECTED_A_FIRST_RESPONSE_BREACHED
    assert b["support/first-response"]["breached"] == EXPECTED_B_FIRST_RESPONSE_BREACHED
    # The tickets that differ: every first reply after 3 h (repeat contacts excepted): warned
    # under A only (3.5 h), breached under A only (4.5 h; 5.5 h is warned under both), or
    # escalated to level 2 under A only (6.5 h: A's level 2 fires at 6 h, B's would at 8 h).
    expected = {p.ticket_id for p in PLANS if hours(p) > 3}
    assert {d["ticket_id"] for d in comparison["differences"]} == expected
    one = next(d for d in comparison["differences"] if d["ticket_id"] == "1004")  # 4.5 h
    assert "support/first-response breached" in one["policies"]
    assert "support/first-response met" in one["against"]
    text = runner.invoke(app, [*args, "--against", str(POLICIES_B)])
    assert text.exit_code == 0, text.output
    assert f"{len(expected)} tickets whose outcome differs" in text.stdout
    assert "ticket 1004:" in text.stdout and "Side by side" in text.stdout


def test_csv_has_a_row_per_line_of_each_set(files: dict[str, Path]) -> None:
    args = ["backtest", str(files["freshdesk"]), "--policies", str(POLICIES_A), "--roster", str(ROSTER)]
    result = runner.invoke(app, [*args, "--against", str(POLICIES_B), "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    found = {(r["policy_set"], r["name"]): r for r in rows if r["dimension"] == "target"}
    assert found[("policies", "support/first-response")]["breached"] == str(
        EXPECTED_A_FIRST_RESPONSE_BREACHED
    )
    assert found[("against", "support/first-response")]["breached"] == str(EXPECTED_B_FIRST_RESPONSE_BREACHED)
