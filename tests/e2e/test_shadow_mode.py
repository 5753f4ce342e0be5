"""Shadow mode, end to end on both fake helpdesks (issue 13 point 3): every case is decided and
timed as usual, but no write reaches the helpdesk, each action recorded as what it would have
done; switching the worker to live needs no case restart and does not replay what was shadowed:
from the switch on, the helpdesk gets exactly the calls a live run gets.

Real parts: the time-skipping Temporal test server, a worker in this process with the real
Zendesk and Freshdesk plugins, each talking HTTP to its fake on 127.0.0.1. Reads (the roster,
the full ticket) do reach the fake in shadow mode: a read changes nothing a person sees.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry
from serviceflow_freshdesk.adapter import aclose_clients as close_freshdesk
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_zendesk.adapter import aclose_clients as close_zendesk
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import ELSEWHERE, plugin_settings
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.adapters import adapter_for
from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.cases import deliver
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.settings import Mode
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.waiting import eventually, skip_time
from serviceflow.model import Actor, ActorRole, CaseState, EventKind, Ticket, TicketEvent
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.store import OutcomeStore

ACCOUNT = "127.0.0.1"  # each fake's host: the plugin's account when no name is configured
POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: shadow
defaults: {escalation: quick}
fallback: {owner: group:frontline}
escalations:
  quick:
    levels:
      - notify: [owner]
---
apiVersion: serviceflow/v1
kind: Policy
name: shadow
owner:
  - {name: desk, pick: round_robin, from: [group:frontline]}
targets:
  - {name: reply, type: first_response, within: 1h}
"""
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


class Desk:
    """One fake helpdesk, an agent group, a customer, and each ticket it opens."""

    vendor: str
    fake: Any

    def writes(self) -> list[tuple[str, str]]:
        """Every write the fake answered, as (method, path with ids as {id})."""
        return [
            (c.method, re.sub(r"/\d+", "/{id}", c.path.removesuffix(".json")))
            for c in self.fake.call_log.snapshot()
            if c.method in WRITES
        ]

    def open_ticket(self) -> str:
        raise NotImplementedError


class Zendesk(Desk):
    vendor = "zendesk"

    def __init__(self, fake: FakeZendesk, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = fake
        group = fake.add_group("frontline")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[group["id"]])
        self.customer = fake.add_user("Dana Smith", email="dana@customer.example")["id"]
        for name in ELSEWHERE:
            monkeypatch.delenv(name, raising=False)
        for name, value in plugin_settings(fake, webhook_secret="unused").items():
            monkeypatch.setenv(name, value)

    def open_ticket(self) -> str:
        ticket, _audit, _change = self.fake.state.create_ticket(
            {
                "subject": "Charged twice",
                "comment": {"body": "Refund please.", "public": True},
                "requester_id": self.customer,
            },
            actor_id=self.customer,
            system_fields={
                "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
                "recipient": "manager@shop.example",
            },
        )  # fmt: skip  (as an email to the manager arrives: recipient is Zendesk's, not the API's)
        return str(ticket["id"])


class Freshdesk(Desk):
    vendor = "freshdesk"

    def __init__(self, fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = fake
        group = fake.add_group("frontline")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[group["id"]])
        self.customer = fake.add_contact("Dana Smith", email="dana@customer.example")["id"]
        for name in ("DOMAIN", "CUSTOM_STATUSES", "ON_HOLD_STATUS", "WEBHOOK_HEADER"):
            monkeypatch.delenv(f"SERVICEFLOW_FRESHDESK_{name}", raising=False)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_API_KEY", fake.api_key)

    def open_ticket(self) -> str:
        ticket = self.fake.add_ticket(
            "Charged twice", requester_id=self.customer, priority=3, to_emails=["manager@shop.example"]
        )
        return str(ticket["id"])


@pytest.fixture(params=["zendesk", "freshdesk"])
def desk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    if request.param == "zendesk":
        with FakeZendesk() as zendesk:
            yield Zendesk(zendesk, monkeypatch)
    else:
        with FakeFreshdesk() as freshdesk:
            yield Freshdesk(freshdesk, monkeypatch)


@pytest_asyncio.fixture
async def closing() -> AsyncIterator[None]:
    yield
    await close_zendesk()
    await close_freshdesk()


@asynccontextmanager
async def worker(env: WorkflowEnvironment, vendor: str, policies: Path, queue: str, mode: Mode):  # type: ignore[no-untyped-def]
    """A worker on ``queue`` in ``mode``, with the roster read from the helpdesk, registering what
    ``serviceflow worker`` does (its outcome store beside the policies)."""
    roster = await adapter_for(vendor).load_roster(ACCOUNT)
    activities = CaseActivities(PolicyStore([policies]), roster, notifier=Notifier(), mode=lambda: mode)
    store = OutcomeStore(f"sqlite:///{policies}/outcomes.sqlite3")
    outcomes = OutcomeActivities(store, shadow=mode is Mode.SHADOW, registry=CollectorRegistry())
    async with Worker(
        env.client,
        task_queue=queue,
        # No sticky cache: a worker that stops (the switch) leaves no task on its own sticky
        # queue, which the test server would wait on (a real server moves it after 5 s). Every
        # workflow task then replays the case's history: a case whose history did not replay
        # (a query answered during the read of the full ticket, before "patches-at-run-start":
        # tests/durable/test_query_during_read.py) stopped there, and the wait for its first
        # actions timed out.
        max_cached_workflows=0,
        workflows=[CaseWorkflow],
        activities=worker_activities(activities, env.client, queue, outcomes, index_requester=False),
    ):
        yield


async def open_case(env: WorkflowEnvironment, desk: Desk, queue: str) -> WorkflowHandle[Any, Any]:
    """The customer's email as its webhook gives it: a new ticket (the rest is read)."""
    now = await env.get_current_time()
    ticket_id = desk.open_ticket()
    ticket = Ticket.model_validate(
        {"id": ticket_id, "vendor": desk.vendor, "account": ACCOUNT, "subject": "Charged twice",
         "requester": {"id": str(desk.customer)}, "created_at": now, "updated_at": now}
    )  # fmt: skip
    created = TicketEvent(
        id=f"{desk.vendor}-{ticket_id}-created", kind=EventKind.CREATED, time=now,
        actor=Actor(role=ActorRole.CUSTOMER, id=str(desk.customer)), ticket=ticket,
    )  # fmt: skip
    case_id = await deliver(env.client, created, queue, index_requester=False)
    return env.client.get_workflow_handle(case_id)


async def skip(env: WorkflowEnvironment, *, hours: int) -> None:
    """Skip time ten minutes at a time: one long skip over the cases' HTTP activities can
    outlast the test server's RPC deadline."""
    for _ in range(hours * 6):
        await skip_time(env, timedelta(minutes=10))


async def first_decided(handle: WorkflowHandle[Any, Any]) -> CaseState:
    async def done() -> CaseState | None:
        state = await handle.query(CaseWorkflow.case_state, result_type=CaseState)
        return state if state is not None and state.actions_done else None

    state: CaseState = await eventually(done, 90, "the case's first actions carried out")
    return state


async def escalated(handle: WorkflowHandle[Any, Any]) -> CaseState:
    async def done() -> CaseState | None:
        state = await handle.query(CaseWorkflow.case_state, result_type=CaseState)
        return state if any("/escalate/" in a.key for a in state.actions_done) else None

    state: CaseState = await eventually(done, 90, "the breach's escalation carried out")
    return state


async def test_shadow_writes_nothing_and_the_switch_to_live_replays_nothing(
    env: WorkflowEnvironment, desk: Desk, tmp_path: Path, closing: None
) -> None:
    (tmp_path / "p.yaml").write_text(POLICIES)

    # A live run, for comparison: what the helpdesk gets once the case has opened.
    live_queue = f"live-{uuid.uuid4()}"
    async with worker(env, desk.vendor, tmp_path, live_queue, Mode.LIVE):
        live = await open_case(env, desk, live_queue)
        opened = await first_decided(live)
        assert all(not a.outcome.startswith("shadow") for a in opened.actions_done)
        at_open = len(desk.writes())
        assert at_open > 0  # the owner was assigned in the helpdesk
        await skip(env, hours=2)  # the first response breaches: the owner is told
        await escalated(live)
        live_after_open = desk.writes()[at_open:]
        await live.terminate("compared")
    assert live_after_open, "the live run's escalation wrote nothing"

    # The same case in shadow mode: decided and timed, nothing written.
    before = len(desk.writes())
    queue = f"shadow-{uuid.uuid4()}"
    async with worker(env, desk.vendor, tmp_path, queue, Mode.SHADOW):
        shadowed = await open_case(env, desk, queue)
        state = await first_decided(shadowed)
        assert state.owner is not None and state.targets  # decided and timed as usual
        assert state.ticket_read is not None and state.ticket_read.startswith("read")
        # The full ticket, read from the helpdesk (a read is no write): what no webhook carried.
        assert state.ticket.recipient == "manager@shop.example"
        assert state.ticket.requester.email == "dana@customer.example"
        assert state.ticket.requester.name == "Dana Smith"
        assert [a.type for a in state.actions_done] == [a.type for a in opened.actions_done]
        assert all(a.outcome.startswith("shadow: would have ") for a in state.actions_done)
        assert desk.writes()[before:] == []
    # The switch: a live worker on the same task queue; the case runs on, not restarted.
    async with worker(env, desk.vendor, tmp_path, queue, Mode.LIVE):
        await skip(env, hours=2)
        state = await escalated(shadowed)
        assert desk.writes()[before:] == live_after_open  # the same calls as the live run's
        shadow_keys = {a.key for a in state.actions_done if a.outcome.startswith("shadow")}
        assert shadow_keys and all("/escalate/" not in k for k in shadow_keys)
        assert [a.key for a in state.actions_done].count(next(iter(shadow_keys))) == 1  # not replayed
        await shadowed.terminate("done")
