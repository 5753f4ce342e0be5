"""A Freshdesk ticket backfilled from its history over HTTP: the pause (pending) that only its
status history shows (``include=stats``) moves its resolution target, as it would have had
serviceflow always run. Without the status history the ticket reads as open all along and the
target breaches before install."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from serviceflow_freshdesk.adapter import FreshdeskAdapter
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.settings import FreshdeskSettings

from serviceflow.adapters.rewind import rewind
from serviceflow.durable.backfill import replay
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.engine.inputs import Context
from serviceflow.model import Agent, EventKind, Group, Roster, TicketStatus

NOW = datetime.now(UTC).replace(microsecond=0)
POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: paused
defaults: {escalation: quick}
fallback: {owner: group:Frontline}
escalations:
  quick:
    levels:
      - notify: [owner]
---
apiVersion: serviceflow/v1
kind: Policy
name: desk
targets:
  - {name: reply, type: first_response, within: 2h}
  - {name: resolve, type: resolution, within: 8h, pause: ticket.status == "pending"}
"""


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def past() -> Iterator[tuple[FakeFreshdesk, Clock]]:
    clock = Clock()
    with FakeFreshdesk(webhook_retry_delays=(0.0,), clock=clock) as fake:
        yield fake, clock


async def test_a_pause_only_the_status_history_shows_moves_the_target(
    past: tuple[FakeFreshdesk, Clock], tmp_path: Path
) -> None:
    fake, clock = past
    ann = fake.add_agent("Ann", email="ann@shop.example")
    clock.at = NOW - timedelta(hours=10)
    ticket = fake.add_ticket("Wrong size", email="casey@example.com", created_at=clock.at.isoformat())
    clock.at = NOW - timedelta(hours=9)  # asked, and waiting on the customer: pending for 7 h
    fake.agent_reply(ticket["id"], "Which size?", actor_id=ann["id"])
    fake.update_ticket(ticket["id"], {"status": 3, "responder_id": ann["id"]}, actor_id=ann["id"])
    clock.at = NOW - timedelta(hours=2)  # the customer answers; open again
    fake.customer_reply(ticket["id"], "Size M, please.")
    fake.update_ticket(ticket["id"], {"status": 2}, actor_id=ann["id"])
    clock.at = NOW - timedelta(hours=1)
    fake.add_note(ticket["id"], "Exchange sent to the warehouse.", actor_id=ann["id"])
    clock.at = NOW
    settings = FreshdeskSettings(
        _env_file=None,  # type: ignore[call-arg]
        domain=None, base_url=fake.base_url, api_key=fake.api_key, webhook_secret="s",
        custom_statuses={}, on_hold_status=None,
    )  # fmt: skip
    adapter = FreshdeskAdapter(settings)
    try:
        identity = await adapter.whoami("127.0.0.1")
        history = await adapter.ticket_history("127.0.0.1", str(ticket["id"]), identity=identity)
    finally:
        await adapter.aclose()
    statuses = [(e.time, e.changes) for e in history.events if e.kind is EventKind.STATUS_CHANGED]
    assert statuses == [
        (NOW - timedelta(hours=9), {"status": "open"}),  # to pending, at pending_since
        (NOW - timedelta(hours=2), {"status": "pending"}),  # open again, at status_updated_at
    ]
    events = rewind(history.events[-1].ticket, history.events)
    assert [e.ticket.status for e in events if e.kind is EventKind.CUSTOMER_MESSAGE] == [TicketStatus.PENDING]
    (tmp_path / "p.yaml").write_text(POLICIES)
    rules = PolicyStore([tmp_path]).current()
    roster = Roster(
        agents=(Agent(id=str(ann["id"]), name="Ann", groups=("g1",)),),
        groups=(Group(id="g1", name="Frontline"),),
    )
    done = replay(events, NOW, rules, Context(roster=roster))
    assert done is not None
    targets = {t.name: t for t in done.state.targets}
    assert targets["reply"].met_at == NOW - timedelta(hours=9)
    resolve = targets["resolve"]
    # 8 h of open time: 1 h before the pause, 7 h paused, so due 5 h from now; not breached.
    assert resolve.breached_at is None and resolve.due_at == NOW + timedelta(hours=5)
    assert done.breaches == []
