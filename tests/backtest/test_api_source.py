"""``serviceflow backtest zendesk:ACCOUNT --since 1d``: a helpdesk account read through its
registered adapter, here against the fake Zendesk on 127.0.0.1 (real HTTP, the adapter's own
settings from the environment)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from serviceflow_zendesk.adapter import aclose_clients
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from typer.testing import CliRunner

from serviceflow.backtest.sources import read_account, snapshot_events
from serviceflow.cli import app
from serviceflow.model import ActorRole, EventKind, TicketStatus

HERE = Path(__file__).resolve().parent
runner = CliRunner()


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    with fake_zendesk_in_this_process() as fake:
        fake.incremental_lag = 0  # list what the test just made (Zendesk leaves out a minute)
        yield fake


def customer_ticket(zendesk: FakeZendesk, subject: str, created_at: datetime) -> int:
    """A ticket a customer wrote in (its creation audit is the customer's, not the API user's)."""
    customer = zendesk.add_user(f"Customer of {subject}", email=f"{len(zendesk.users())}@example.com")
    ticket = zendesk.state.add_ticket(
        {"subject": subject, "comment": {"body": "Please help.", "public": True},
         "requester_id": customer["id"], "created_at": created_at.isoformat()},
        actor_id=customer["id"],
    )  # fmt: skip
    return int(ticket["id"])


async def test_an_account_is_read_through_its_adapter(zendesk: FakeZendesk) -> None:
    hours_ago = datetime.now(UTC) - timedelta(hours=6)
    open_one = customer_ticket(zendesk, "Where is my order?", hours_ago)
    solved = customer_ticket(zendesk, "Refund please", hours_ago)
    agent = zendesk.add_agent("Ann Agent")
    zendesk.update_ticket(solved, {"status": "solved"}, actor_id=agent["id"])
    said: list[str] = []
    try:
        source = await read_account("zendesk:127.0.0.1", timedelta(days=1), say=said.append)
    finally:
        await aclose_clients()
    by_ticket = {}
    for event in source.events:
        by_ticket.setdefault(event.ticket.id, []).append(event)
    assert set(by_ticket) == {str(open_one), str(solved)}
    created, solving = by_ticket[str(solved)]
    assert (created.kind, solving.kind) == (EventKind.CREATED, EventKind.STATUS_CHANGED)
    # Read from the ticket's audits (the adapter's ticket_history) and worked back: the creation
    # carries the ticket as it was then, the customer's; the solve is the agent's.
    assert created.ticket.status is not TicketStatus.SOLVED and created.actor.role is ActorRole.CUSTOMER
    assert solving.ticket.status is TicketStatus.SOLVED and solving.actor.id == str(agent["id"])
    assert [e.kind for e in by_ticket[str(open_one)]] == [EventKind.CREATED]
    assert any("listed 2 tickets" in line for line in said)
    assert not any("offers no history read" in note for note in source.notes), source.notes


def test_the_cli_backtests_an_account(zendesk: FakeZendesk) -> None:
    customer_ticket(zendesk, "Where is my order?", datetime.now(UTC) - timedelta(hours=6))
    result = runner.invoke(
        app,
        ["backtest", "zendesk:127.0.0.1", "--since", "1d", "--policies", str(HERE / "policies-a"), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == "zendesk:127.0.0.1" and report["tickets"] == 1
    first = next(r for r in report["totals"]["rates"] if r["name"] == "support/first-response")
    assert first["breached"] == 1  # six hours unanswered: the 4 h target breached


def test_a_ticket_serviceflow_itself_created_meets_no_target(zendesk: FakeZendesk) -> None:
    """A ticket the API user opened is serviceflow's own write: the replay opens no target for it."""
    zendesk.add_ticket(
        "Made by the integration", created_at=(datetime.now(UTC) - timedelta(hours=6)).isoformat()
    )
    result = runner.invoke(
        app,
        ["backtest", "zendesk:127.0.0.1", "--since", "1d", "--policies", str(HERE / "policies-a"), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert not any(r["name"] == "support/first-response" and r["breached"] for r in report["totals"]["rates"])


def test_a_snapshot_of_a_new_ticket_is_only_its_creation() -> None:
    from month import Plan, _ticket

    plan = Plan(
        0,
        datetime(2026, 11, 2, 8, tzinfo=UTC),
        "c0",
        timedelta(hours=1),
        timedelta(hours=2),
        False,
        False,
        None,
    )
    events = snapshot_events(_ticket(plan, plan.created, TicketStatus.NEW))
    assert [e.kind for e in events] == [EventKind.CREATED]
