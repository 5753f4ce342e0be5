"""The receiver's answers go out in one transport write (head with body), and nothing is held
back: a HEAD's answer, a ``100 Continue``, pipelined requests, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from hostile_support import configure_plugins, known_identities
from temporalio.client import Client

from serviceflow.fakes.server import free_port
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.protocol import OneWrite
from serviceflow.receiver.server import serving

WITHIN = 15.0  # a generous bound, so a loaded machine never fails the test


class Recorded(asyncio.Transport):
    """A transport that keeps what is written to it (asyncio's interface, nothing of ours)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


async def test_a_head_goes_out_with_the_body_written_next() -> None:
    sent = Recorded()
    transport = OneWrite(sent, asyncio.get_running_loop())
    transport.write(HEAD)
    assert sent.writes == []
    transport.write(b"{}")
    assert sent.writes == [HEAD + b"{}"]
    await asyncio.sleep(0)  # the loop's turn finds nothing held
    assert sent.writes == [HEAD + b"{}"]


async def test_a_head_without_a_body_goes_out_alone_on_the_loops_next_turn() -> None:
    sent = Recorded()
    transport = OneWrite(sent, asyncio.get_running_loop())
    transport.write(HEAD)
    await asyncio.sleep(0)
    assert sent.writes == [HEAD]


async def test_close_sends_a_held_head_first_and_continue_is_never_held() -> None:
    sent = Recorded()
    transport = OneWrite(sent, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert sent.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    transport.write(HEAD)
    assert transport.get_write_buffer_size() == len(HEAD)
    transport.close()
    assert sent.writes[-1] == HEAD and sent.closed
    transport.flush()  # nothing is written to a closed transport
    assert len(sent.writes) == 2


@pytest_asyncio.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[], Any]]:
    """(host, port) of a receiver on httptools whose Temporal is never there."""
    configure_plugins(monkeypatch)

    async def connect() -> Client:
        raise RuntimeError("Temporal is not there")

    receiver = Receiver(connect=connect, task_queue="one-write", identities=known_identities())
    port = free_port()
    async with serving(receiver, "127.0.0.1", port, parser="httptools"):
        yield lambda: asyncio.open_connection("127.0.0.1", port)


async def answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    lines = head.lower().split(b"\r\n")
    length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")), 0)
    return head, await asyncio.wait_for(reader.readexactly(length), WITHIN)


async def test_a_head_request_is_answered_without_a_body(served) -> None:  # type: ignore[no-untyped-def]
    reader, writer = await served()
    writer.write(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    assert head.startswith(b"HTTP/1.1 200")
    head, body = await answer(reader)  # the pipelined GET's answer comes next, whole
    assert head.startswith(b"HTTP/1.1 200") and body == b'{"status":"ok"}'
    writer.close()


async def test_a_client_that_expects_100_continue_gets_it_before_sending_the_body(served) -> None:  # type: ignore[no-untyped-def]
    reader, writer = await served()
    writer.write(
        b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"content-type: application/json\r\ncontent-length: 2\r\n\r\n"
    )
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"{}")
    head, body = await answer(reader)
    assert head.startswith(b"HTTP/1.1 401") and b"missing_signature" in body
    writer.close()
