"""What deliver() sends: the start argument converted once is the converter's own bytes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic_core import to_json
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.contrib.pydantic import PydanticPayloadConverter, ToJsonOptions, pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    PayloadConverter,
    SerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment

from serviceflow.durable import cases
from serviceflow.durable.cases import deliver
from serviceflow.durable.messages import CaseStart
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent


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


@pytest.mark.asyncio(loop_scope="session")
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


def kept(converter: PayloadConverter, workflow_id: str = "demo:demo:1") -> Payload:
    value = cases._case_start(converter, "default", workflow_id)
    assert isinstance(value, RawValue)
    return value.payload


def test_the_start_argument_is_converted_by_each_client_s_own_converter() -> None:
    other = DataConverter().payload_converter  # the SDK's default: another converter, other bytes
    mine = pydantic_data_converter.payload_converter
    assert kept(mine) == mine.to_payloads([CaseStart()])[0]
    assert kept(other) == other.to_payloads([CaseStart()])[0]
    assert kept(mine) != kept(other)


def test_each_start_gets_its_own_copy_so_a_codec_encoding_in_place_spoils_no_later_start() -> None:
    mine = pydantic_data_converter.payload_converter
    first = kept(mine)
    assert kept(mine) is not first
    first.data = bytes(b ^ 0x5A for b in first.data)  # what a codec encoding in place does
    first.metadata["encoding"] = b"binary/xor"
    assert mine.from_payloads([kept(mine)], [CaseStart]) == [CaseStart()]


class StampsTheWorkflow(CompositePayloadConverter):
    """A converter whose bytes depend on the workflow (as an encrypting one keyed by workflow)."""

    def __init__(self, workflow_id: str | None = None) -> None:
        super().__init__(*DefaultPayloadConverter.default_encoding_payload_converters)
        self.workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> StampsTheWorkflow:
        assert isinstance(context, WorkflowSerializationContext)
        return StampsTheWorkflow(context.workflow_id)


def test_a_converter_that_depends_on_the_workflow_converts_each_start_itself() -> None:
    # The SDK's client converts the argument with the workflow's context: so must we.
    assert cases._case_start(StampsTheWorkflow(), "default", "demo:demo:1") == CaseStart()


def odd_texts_event(ticket_id: str, event_id: str, kind: EventKind = EventKind.CREATED) -> TicketEvent:
    event = new_ticket_event()
    ticket = event.ticket.model_copy(
        update={"id": ticket_id, "subject": 'Ünïcode "quoted" \\ \u2028 😀 </script>'}
    )
    return event.model_copy(update={"id": event_id, "kind": kind, "ticket": ticket})


@pytest.mark.asyncio(loop_scope="session")
async def test_a_pre_encoded_event_is_signalled_as_the_converter_would_make_it(
    env: WorkflowEnvironment,
) -> None:
    # What the receiver does: the JSON of its checks is the payload, for signal-with-start and for
    # the plain signal to a running case alike; the history holds the converter's own bytes.
    ticket_id, running = uuid.uuid4().hex[:10], cases.RunningCases()
    sent = [odd_texts_event(ticket_id, "e1"), odd_texts_event(ticket_id, "e2", EventKind.CUSTOMER_MESSAGE)]
    for event in sent:
        await deliver(
            env.client, event, "q-pre", index_requester=False, running=running, encoded=to_json(event)
        )
    history = await env.client.get_workflow_handle(sent[0].ticket.key).fetch_history()
    signals = [
        e.workflow_execution_signaled_event_attributes
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    converter = pydantic_data_converter.payload_converter
    assert isinstance(
        cases.event_arg(env.client.data_converter.payload_converter, "default", sent[1], to_json(sent[1])),
        RawValue,
    )
    assert [list(s.input.payloads) for s in signals] == [converter.to_payloads([e]) for e in sent]
    assert [converter.from_payloads(s.input.payloads, [TicketEvent])[0] for s in signals] == sent


class OptionedPydantic(PydanticPayloadConverter):
    """A pydantic converter with options of its own (a subclass, as the SDK's docs suggest)."""

    def __init__(self) -> None:
        super().__init__(ToJsonOptions(exclude_unset=True))


def test_only_the_pydantic_data_converter_s_own_converter_takes_the_event_s_json_as_its_payload() -> None:
    event = odd_texts_event("7", "e7")
    encoded = to_json(event)
    mine = pydantic_data_converter.payload_converter
    value = cases.event_arg(mine, "default", event, encoded)
    assert isinstance(value, RawValue) and [value.payload] == mine.to_payloads([event])
    for other in (DataConverter().payload_converter, OptionedPydantic(), StampsTheWorkflow()):
        assert cases.event_arg(other, "default", event, encoded) is event
    assert cases.event_arg(mine, "default", event, None) is event
