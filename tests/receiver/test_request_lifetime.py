"""What a delivery leaves behind on a kept-alive connection, over real sockets on 127.0.0.1:

- its request (uvicorn's cycle, its scope and its body) is freed when it is answered, by
  reference counting alone: the scope's one-write ``respond`` (receiver/protocol.py) holds the
  cycle and the protocol weakly, where a strong reference made a cycle per request that kept the
  body until the cyclic collector ran;
- a declared body over the limit from a client awaiting ``100-continue`` is answered 413 and the
  connection closed, since that client may send no body (RFC 9110 10.1.1) and its next request
  would otherwise be read as this one's body.
"""

from __future__ import annotations

import asyncio
import gc
import os

import pytest

from serviceflow.fakes.server import free_port
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving

WITHIN = 15.0  # a generous bound on "answered" and "closed"
REQUESTS = 50


@pytest.fixture
def zendesk_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_WEBHOOK_SECRET", "a-secret")


async def answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    lines = head.split(b"\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")
    )
    return head + await asyncio.wait_for(reader.readexactly(length), WITHIN)


@pytest.mark.usefixtures("zendesk_account")
async def test_an_answered_request_and_its_body_are_freed_without_the_collector() -> None:
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    receiver = Receiver(connect=None, task_queue="q", limits=ReceiverLimits(max_body_bytes=100_000))
    body = os.urandom(32 * 1024)
    request = b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    port = free_port()
    async with serving(receiver, "127.0.0.1", port, parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        gc.collect()
        gc.disable()
        try:
            for _ in range(REQUESTS):  # unsigned: each answered 401 after its body was read whole
                writer.write(request)
                await writer.drain()
                assert (await answer(reader)).startswith(b"HTTP/1.1 401")
            # This server's requests only: another test's server in this process (pytest-xdist
            # runs many in one worker) may still hold its own current request.
            alive = [
                o
                for o in gc.get_objects()
                if isinstance(o, RequestResponseCycle) and o.scope.get("server", (None, None))[1] == port
            ]
            holding = [o for o in alive if o.body == body]
        finally:
            gc.enable()
        writer.close()
    # At most the connection's current request is still referenced (the protocol holds it).
    assert len(alive) <= 1, f"{len(alive)} answered requests kept alive by a reference cycle"
    assert len(holding) <= 1


@pytest.mark.usefixtures("zendesk_account")
@pytest.mark.parametrize("parser", ["httptools", "h11"])
async def test_a_too_large_body_awaiting_100_continue_is_refused_and_closed(parser: str) -> None:
    receiver = Receiver(connect=None, task_queue="q", limits=ReceiverLimits(max_body_bytes=1_000))
    port = free_port()
    async with serving(receiver, "127.0.0.1", port, parser=parser):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        await writer.drain()
        refused = await answer(reader)
        assert refused.startswith(b"HTTP/1.1 413")
        assert b"connection: close" in refused.lower()
        assert await asyncio.wait_for(reader.read(), WITHIN) == b""  # closed, not kept for a body
        writer.close()


@pytest.mark.usefixtures("zendesk_account")
async def test_a_too_large_declared_body_without_100_continue_keeps_the_connection_open() -> None:
    receiver = Receiver(connect=None, task_queue="q", limits=ReceiverLimits(max_body_bytes=1_000))
    port = free_port()
    big = b"x" * 5000
    async with serving(receiver, "127.0.0.1", port, parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + big)
        await writer.drain()
        refused = await answer(reader)
        assert refused.startswith(b"HTTP/1.1 413") and b"connection: close" not in refused.lower()
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # the same connection serves on
        await writer.drain()
        assert (await answer(reader)).startswith(b"HTTP/1.1 200")
        writer.close()
