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
from typer.testing import CliRunner

from serviceflow.backtest.sources import read_account, snapshot_events
from serviceflow.cli import app
from serviceflow.model import EventKind, TicketStatus

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


async def test_an_account_is_read_through_its_adapter(zendesk: FakeZendesk) -> None:
    hours_ago = datetime.now(UTC) - timedelta(hours=6)
    open_one = zendesk.add_ticket("Where is my order?", created_at=hours_ago.isoformat())
    solved = zendesk.add_ticket("Refund please", created_at=hours_ago.isoformat())
    zendesk.update_ticket(solved["id"], {"status": "solved"})
    said: list[str] = []
    try:
        source = await read_account("zendesk:127.0.0.1", timedelta(days=1), say=said.append)
    finally:
        await aclose_clients()
    by_ticket = {}
    for event in source.events:
        by_ticket.setdefault(event.ticket.id, []).append(event)
    assert set(by_ticket) == {str(open_one["id"]), str(solved["id"])}
    assert [e.kind for e in by_ticket[str(solved["id"])]] == [EventKind.CREATED, EventKind.STATUS_CHANGED]
    assert by_ticket[str(solved["id"])][-1].ticket.status is TicketStatus.SOLVED
    assert [e.kind for e in by_ticket[str(open_one["id"])]] == [EventKind.CREATED]
    assert any("listed 2 tickets" in line for line in said)
    # The adapter offers no history read (yet): the source says what the replay cannot see.
    assert any("offers no history read" in note for note in source.notes)


def test_the_cli_backtests_an_account(zendesk: FakeZendesk) -> None:
    zendesk.add_ticket("Where is my order?", created_at=(datetime.now(UTC) - timedelta(hours=6)).isoformat())
    result = runner.invoke(
        app,
        ["backtest", "zendesk:127.0.0.1", "--since", "1d", "--policies", str(HERE / "policies-a"), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == "zendesk:127.0.0.1" and report["tickets"] == 1
    first = next(r for r in report["totals"]["rates"] if r["name"] == "support/first-response")
    assert first["breached"] == 1  # six hours unanswered: the 4 h target breached
    assert any("offers no history read" in note for note in report["notes"])


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
