"""A Temporal frontend that accepts connections and never answers (a stuck load balancer, a
partition): deliveries waiting for the receiver's first connection share one bounded attempt and
are all answered 503 with Retry-After, over real HTTP on 127.0.0.1 with the fake Zendesk as the
helpdesk and the SDK's real connect (attack14 F7).

Before, each delivery waiting on the connect lock made its own attempt once the one before failed,
each the SDK's 30 s: the Nth of N concurrent deliveries was answered after N x 30 s (three: 30,
60 and 90 s), holding its connection and its in-flight slot all that time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from serviceflow_zendesk.adapter import aclose_clients
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from temporalio.client import Client
from zendesk_deliveries import created_envelope, signed_headers

from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import wait_until
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving

SECRET = "sf-hanging-temporal-secret"
CONNECT_TIMEOUT = 3.0
WITHIN = 20.0  # a bound on "answered": three serial SDK connects took 90 s


class Silent:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self.accepted = 0
        self.held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> Silent:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.held.append(writer)

    async def __aexit__(self, *exc: object) -> None:
        for writer in self.held:
            writer.close()
        self.server.close()


@pytest_asyncio.fixture
async def hanging() -> AsyncIterator[tuple[str, FakeZendesk, list[int]]]:
    """The receiver in front of a silent Temporal: (url, the fake Zendesk, connect attempts)."""
    attempts: list[int] = []
    with fake_zendesk_in_this_process(webhook_secret=SECRET) as zendesk:
        async with Silent() as silent:

            async def connect_to_silence() -> Client:
                attempts.append(1)
                return await connect(Settings(temporal_address=f"127.0.0.1:{silent.port}"), compress=False)

            receiver = Receiver(
                connect=connect_to_silence,
                task_queue="q",
                index_requester=False,
                limits=ReceiverLimits(connect_timeout=CONNECT_TIMEOUT),
            )
            port = free_port()
            async with serving(receiver, "127.0.0.1", port):
                yield f"http://127.0.0.1:{port}/webhooks/zendesk", zendesk, attempts
            await aclose_clients()


def envelope(ticket: dict[str, Any], n: int) -> bytes:
    return json.dumps(created_envelope(ticket, f"evt-hang-{ticket['id']}-{n}")).encode()


async def deliver(http: httpx.AsyncClient, url: str, body: bytes) -> httpx.Response:
    return await asyncio.wait_for(http.post(url, content=body, headers=signed_headers(SECRET, body)), WITHIN)


async def test_deliveries_waiting_for_a_silent_temporal_share_one_bounded_attempt(hanging) -> None:  # type: ignore[no-untyped-def]
    url, zendesk, attempts = hanging
    tickets = [await asyncio.to_thread(zendesk.add_ticket, f"Parcel {n}") for n in range(3)]
    async with httpx.AsyncClient(timeout=WITHIN + 5) as http:
        first = asyncio.create_task(deliver(http, url, envelope(tickets[0], 0)))
        # The first delivery is connecting: the others come while it does.
        await wait_until(lambda: attempts, WITHIN, "the first delivery's connect")
        others = [
            asyncio.create_task(deliver(http, url, envelope(t, n))) for n, t in enumerate(tickets[1:], 1)
        ]
        answers = await asyncio.gather(first, *others)
        assert [a.status_code for a in answers] == [503, 503, 503]
        assert all(a.json()["error"] == "temporal_unavailable" and a.headers["retry-after"] for a in answers)
        assert len(attempts) == 1  # one attempt for the three, not one after another
        later = await deliver(http, url, envelope(tickets[0], 9))  # after it failed: a new attempt
        assert later.status_code == 503 and len(attempts) == 2
