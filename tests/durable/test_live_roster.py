"""Round robin and least-loaded in a worker: the roster learns each agent's load from the
decisions the worker makes, since helpdesks tell who can own cases but not how busy they are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.messages import DecideRequest
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.engine.inputs import EventInput
from serviceflow.model import Actor, ActorRole, Agent, EventKind, Requester, Roster, Ticket, TicketEvent

POLICY = """apiVersion: serviceflow/v1
kind: Policy
name: p
owner:
  - {{name: desk, pick: {pick}, from: [group:desk]}}
"""
ROSTER = Roster(agents=(Agent(id="ann", groups=("desk",)), Agent(id="bob", groups=("desk",))))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def created(n: int, *, status: str = "new") -> TicketEvent:
    at = START + timedelta(minutes=n)
    ticket = Ticket(
        id=str(n), vendor="demo", account="demo", requester=Requester(id=f"c{n}"),
        status=status, created_at=at, updated_at=at,
    )  # fmt: skip
    kind = EventKind.CREATED if status == "new" else EventKind.STATUS_CHANGED
    return TicketEvent(
        id=f"e{n}-{status}", kind=kind, time=at, actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket
    )


async def decide(activities: CaseActivities, event: TicketEvent, state=None):  # type: ignore[no-untyped-def]
    request = DecideRequest(state=state, input=EventInput(event=event), now=event.time)
    return (await activities.decide(request)).state


async def test_round_robin_takes_turns(write_policies: Callable[..., Path]) -> None:
    store = PolicyStore([write_policies({"p.yaml": POLICY.format(pick="round_robin")})])
    activities = CaseActivities(store, ROSTER)
    owners = [(await decide(activities, created(n))).owner for n in range(4)]
    assert owners == ["ann", "bob", "ann", "bob"]


async def test_least_loaded_counts_open_cases_and_forgets_closed_ones(
    write_policies: Callable[..., Path],
) -> None:
    store = PolicyStore([write_policies({"p.yaml": POLICY.format(pick="least_loaded")})])
    activities = CaseActivities(store, ROSTER)

    def load(agent: str) -> int:
        found = activities.roster.agent(agent)
        assert found is not None
        return found.open_cases

    first = await decide(activities, created(1))
    assert first.owner == "ann" and (load("ann"), load("bob")) == (1, 0)
    assert (await decide(activities, created(2))).owner == "bob"
    assert (load("ann"), load("bob")) == (1, 1)
    closed = await decide(activities, created(1, status="closed"), first)
    assert closed.closed_at is not None and (load("ann"), load("bob")) == (0, 1)
    assert (await decide(activities, created(3))).owner == "ann"
    activities.roster = ROSTER  # a refresh from the helpdesk keeps what was counted
    assert (load("ann"), load("bob")) == (1, 1)
