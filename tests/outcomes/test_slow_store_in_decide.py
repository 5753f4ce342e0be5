"""A store too slow for a decision to wait on (a table locked in PostgreSQL): the decide activity
stops waiting after its bound, and the next decisions do not wait on it at all until a write
succeeds apart from deciding (record_outcomes, which the workflow calls instead)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from postgres_support import postgres_server

from serviceflow.durable import activities as decide_activities
from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.messages import DecideRequest
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.engine.inputs import EventInput
from serviceflow.model import (
    Actor,
    ActorRole,
    Agent,
    CaseState,
    EventKind,
    Requester,
    Roster,
    Ticket,
    TicketEvent,
)
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.recording import record_request
from serviceflow.outcomes.store import OutcomeStore

POLICY = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: slow
fallback: {owner: group:desk}
---
apiVersion: serviceflow/v1
kind: Policy
name: p
owner:
  - {name: desk, pick: round_robin, from: [group:desk]}
targets:
  - {name: reply, type: first_response, within: 2h}
"""
ROSTER = Roster(agents=(Agent(id="ann", groups=("desk",)),))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def event(n: int, kind: EventKind) -> TicketEvent:
    at = START + timedelta(minutes=n)
    ticket = Ticket(id="1", vendor="demo", account="demo", requester=Requester(id="c1"),
                    created_at=START, updated_at=at)  # fmt: skip
    role = ActorRole.CUSTOMER if kind is EventKind.CREATED else ActorRole.AGENT
    return TicketEvent(id=f"e{n}", kind=kind, time=at, actor=Actor(id="ann", role=role), ticket=ticket)


@contextlib.contextmanager
def locked(url: str) -> Iterator[None]:
    """The outcome table locked by another session: every write waits until the block ends."""
    with psycopg.connect(url, autocommit=False) as other:
        other.execute("LOCK TABLE serviceflow_outcomes IN ACCESS EXCLUSIVE MODE")
        yield
        other.rollback()


async def test_a_slow_store_is_waited_on_once_then_tried_apart(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decide_activities, "RECORD_IN_DECIDE_SECONDS", 0.5)
    (tmp_path / "p.yaml").write_text(POLICY)
    activities = CaseActivities(PolicyStore([tmp_path]), ROSTER)
    store = OutcomeStore(database)
    store.open()
    activities.outcomes = outcomes = OutcomeActivities(store, attempts=1)

    def request(n: int, kind: EventKind, state: CaseState | None) -> DecideRequest:
        happened = event(n, kind)
        return DecideRequest(state=state, input=EventInput(event=happened), now=happened.time, record=True)

    opened = (await activities.decide(request(0, EventKind.CREATED, None))).state
    with locked(database):
        replied = request(10, EventKind.AGENT_REPLY, opened)  # the first response: a row to keep
        first = await activities.decide(replied)
        assert first.decided and not first.recorded  # waited its bound, then left it to the workflow
        assert outcomes.failing_since is not None
        second = await activities.decide(request(20, EventKind.AGENT_REPLY, first.state))
        assert second.decided and not second.recorded  # not waited on again
    apart = first.made()
    assert apart is not None
    result = await outcomes.record(record_request(opened, replied.input, first.state, apart))
    # It takes rows again. The write the decision stopped waiting on went on in its thread and
    # was kept once the lock went: this one, on the same keys, writes nothing twice.
    assert result.rows > 0 and result.failed is None and outcomes.failing_since is None
    kept = [row for row in store.read() if row.case_id == opened.case_id]
    assert len(kept) == 1 + result.rows  # and the opening decision's own (its assignment)
    third = await activities.decide(request(30, EventKind.AGENT_REPLY, second.state))
    assert third.recorded
