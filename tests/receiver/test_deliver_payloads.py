"""What deliver() sends: the start argument converted once is the converter's own bytes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from serviceflow.durable import cases
from serviceflow.durable.cases import deliver
from serviceflow.durable.messages import CaseStart
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

pytestmark = pytest.mark.asyncio(loop_scope="session")


def new_ticket_event() -> TicketEvent:
    now = datetime.now(UTC)
    ticket = Ticket(
        id=uuid.uuid4().hex[:10], vendor="demo", account="demo", subject="Charged twice",
        requester=Requester(id="dana"), created_at=now, updated_at=now,
    )  # fmt: skip
    return TicketEvent(
        id="e1", kind=EventKind.CREATED, time=now, actor=Actor(role=ActorRole.CUSTOMER, id="dana"),
        ticket=ticket,
    )  # fmt: skip


async def test_the_start_argument_and_signal_are_what_the_converter_makes(env: WorkflowEnvironment) -> None:
    event = new_ticket_event()
    case_id = await deliver(env.client, event, f"q-{uuid.uuid4().hex[:6]}", index_requester=False)
    history = await env.client.get_workflow_handle(case_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    signalled = next(e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes"))
    converter = pydantic_data_converter.payload_converter
    assert list(started.input.payloads) == converter.to_payloads([CaseStart()])
    assert converter.from_payloads(started.input.payloads, [CaseStart]) == [CaseStart()]
    signal = signalled.workflow_execution_signaled_event_attributes
    assert converter.from_payloads(signal.input.payloads, [TicketEvent]) == [event]


def test_the_start_argument_is_converted_by_each_client_s_own_converter() -> None:
    other = DataConverter().payload_converter  # the SDK's default: another converter, other bytes
    mine = pydantic_data_converter.payload_converter
    assert cases._case_start(mine).payload == mine.to_payloads([CaseStart()])[0]
    assert cases._case_start(other).payload == other.to_payloads([CaseStart()])[0]
    assert cases._case_start(mine) is cases._case_start(mine)  # converted once
