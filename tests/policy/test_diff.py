"""`serviceflow policy diff OLD NEW`: the rules that changed, and what a change would do to running
cases (the what-if behind --live, here over cases decided in-process)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.engine.whatif import what_if
from serviceflow.model import Actor, ActorRole, Agent, EventKind, Requester, Roster, Ticket, TicketEvent
from serviceflow.policy import load_policy_set

runner = CliRunner()
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
REPO = Path(__file__).resolve().parents[2]


def changed_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "workflows", tmp_path / "workflows")
    standard = tmp_path / "policies" / "standard.yaml"
    standard.write_text(standard.read_text().replace("within: 8 business hours", "within: 4 business hours"))
    policy_set = tmp_path / "policies" / "policyset.yaml"
    policy_set.write_text(
        policy_set.read_text().replace("after: 4 business hours", "after: 1 business hours")
    )
    (tmp_path / "policies" / "urgent.yaml").unlink()
    return tmp_path / "policies"


def test_diff_lists_changed_rules(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "diff", str(REPO / "policies"), str(changed_copy(tmp_path))])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "~ ladder standard: changed (levels)",
        "~ policy standard/next-response: changed (within)",
        "- policy urgent: removed",
        "- policy urgent/urgent-first-response: removed",
        "4 changes (on_change: open_cases)",
    ]
    same = runner.invoke(app, ["policy", "diff", str(REPO / "policies"), str(REPO / "policies")])
    assert same.exit_code == 0 and same.stdout.strip() == "0 changes (on_change: open_cases)"


def test_what_if_lists_the_cases_a_change_would_touch(tmp_path: Path) -> None:
    old = Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))
    new = Rules(load_policy_set([changed_copy(tmp_path), tmp_path / "workflows"]))
    context = Context(
        roster=Roster(agents=(Agent(id="ann", groups=("frontline",), lead="lee"), Agent(id="lee")))
    )
    ticket = Ticket(
        id="9", vendor="demo", account="demo", subject="Site down", priority="urgent", channel="email",
        requester=Requester(id="c9"), created_at=MONDAY, updated_at=MONDAY,
    )  # fmt: skip
    created = TicketEvent(
        id="e1", kind=EventKind.CREATED, time=MONDAY, actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket
    )
    state = decide(None, EventInput(event=created), MONDAY, old, context).state
    state = decide(
        state, WakeUp(), MONDAY.replace(hour=9, minute=40), old, context
    ).state  # urgent target breached
    changes = what_if([state], old, new, MONDAY.replace(hour=9, minute=45), context)
    assert [c.case_id for c in changes] == ["demo:demo:9"]
    assert any(
        line.startswith("urgent/urgent-first-response: breached -> cancelled (its rule is not in policy set")
        for line in changes[0].changes
    ), changes[0].changes
    assert what_if([state], old, old, MONDAY.replace(hour=9, minute=45), context) == []
