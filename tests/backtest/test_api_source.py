"""``serviceflow backtest zendesk:ACCOUNT --since 1d``: a helpdesk account read through its
registered adapter, here against the fake Zendesk on 127.0.0.1 (real HTTP, the adapter's own
settings from the environment)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from serviceflow_zendesk.adapter import aclose_clients
from serviceflow_zendesk.fake import FakeZendesk
from typer.testing import CliRunner

from serviceflow.backtest.sources import read_account, snapshot_events
from serviceflow.cli import app
from serviceflow.model import EventKind, TicketEvent, TicketStatus

HERE = Path(__file__).resolve().parent
runner = CliRunner()


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    fake = FakeZendesk().start()
    try:
        for name in ("SUBDOMAIN", "OAUTH_TOKEN"):
            monkeypatch.delenv(f"SERVICEFLOW_ZENDESK_{name}", raising=False)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_EMAIL", fake.email)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_API_TOKEN", fake.api_token)
        fake.incremental_lag = 0  # list what the test just made (Zendesk leaves out a minute)
        yield fake
    finally:
        fake.stop()


async def test_an_account_is_read_through_its_adapter_and_its_history(zendesk: FakeZendesk) -> None:
    """The adapter lists the changed tickets and reads each one's history (its audits); each
    event carries the ticket as it was then."""
    made = zendesk.add_ticket("Where is my order?")
    agent = zendesk.add_agent("Ada")
    zendesk.update_ticket(made["id"], {"comment": {"body": "On it", "public": True}}, actor_id=agent["id"])
    zendesk.update_ticket(made["id"], {"status": "solved"}, actor_id=agent["id"])
    other = zendesk.add_ticket("Refund please")
    said: list[str] = []
    try:
        source = await read_account("zendesk:127.0.0.1", timedelta(days=1), say=said.append)
    finally:
        await aclose_clients()
    by_ticket: dict[str, list[TicketEvent]] = {}
    for event in source.events:
        by_ticket.setdefault(event.ticket.id, []).append(event)
    assert set(by_ticket) == {str(made["id"]), str(other["id"])}
    history = by_ticket[str(made["id"])]
    kinds = [e.kind for e in history]
    assert kinds[0] is EventKind.CREATED and EventKind.AGENT_REPLY in kinds
    assert history[0].ticket.status is not TicketStatus.SOLVED  # rewound to its time
    assert history[-1].ticket.status is TicketStatus.SOLVED
    assert any("listed 2 tickets" in line for line in said)
    assert any("read the history of 2 of 2 tickets" in line for line in said)
    assert source.notes == []


def by_customer(zendesk: FakeZendesk, subject: str) -> dict[str, Any]:
    """A ticket the customer wrote in (its creating audit is theirs, not the API user's)."""
    customer = zendesk.add_user("Rita", email="rita@customer.example")
    payload = {
        "subject": subject,
        "comment": {"body": "Help", "public": True},
        "requester_id": customer["id"],
    }
    made: dict[str, Any] = zendesk.state.add_ticket(payload, actor_id=customer["id"])
    return made


def test_the_cli_backtests_an_account(zendesk: FakeZendesk) -> None:
    made = by_customer(zendesk, "Where is my order?")
    agent = zendesk.add_agent("Ada")
    zendesk.update_ticket(made["id"], {"comment": {"body": "On it", "public": True}}, actor_id=agent["id"])
    result = runner.invoke(
        app,
        ["backtest", "zendesk:127.0.0.1", "--since", "1d", "--policies", str(HERE / "policies-a"), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == "zendesk:127.0.0.1" and report["tickets"] == 1
    first = next(r for r in report["totals"]["rates"] if r["name"] == "support/first-response")
    assert (first["met"], first["breached"]) == (1, 0)  # the agent's reply, from the ticket's audits
    assert report["notes"] == []  # the adapter read the ticket's history


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
