"""Pipelined requests and the head and framing bounds on httptools, over real sockets on 127.0.0.1
(attack11's F1, F3 and F4; receiver/protocol.py):

- a client that pipelines many requests without reading its answers gets at most MAX_PIPELINED
  requests (and what one piece of PIECE_BYTES holds) queued on the server, where uvicorn queued
  every request of every read (37,845 cycles on 5 connections, 1 GB), and then every answer, in
  order, once it reads;
- a valid request pipelined behind others in the same read is not refused for their bytes;
- a head over 16 KiB, or chunked framing over its bound, is refused when it arrives in one read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest

from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.protocol import MAX_PIPELINED, PIECE_BYTES
from serviceflow.receiver.server import serving_app

WITHIN = 20.0
#: Body bytes each path's request has had so far.
RECEIVED: dict[str, int] = {}


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Echoes the path, after reading the whole body, with a 1 KiB padding (answers fill the
    server's write buffer soon, so its writing pauses while the client does not read)."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        RECEIVED[scope["path"]] = size
        if not message.get("more_body"):
            break
    body = scope["path"].encode() + b" %d " % size + b"." * 1024
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


class Longest(deque[Any]):
    """The protocol's pipeline, remembering its greatest length."""

    longest = 0

    def appendleft(self, item: Any) -> None:
        super().appendleft(item)
        self.longest = max(self.longest, len(self))


async def until(condition: Callable[[], Any], what: str) -> Any:
    async def check() -> Any:
        return condition()

    return await eventually(check, WITHIN, what)


async def answers(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    got = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        got.append((await asyncio.wait_for(reader.readexactly(length), WITHIN)).split(b" ")[0])
    return got


async def serve(body: Callable[[Any, asyncio.StreamReader, asyncio.StreamWriter], Any]) -> None:
    RECEIVED.clear()
    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        protocol = await until(lambda: next(iter(server.server_state.connections), None), "the connection")
        try:
            await body(protocol, reader, writer)
        finally:
            writer.close()


def get(number: int) -> bytes:
    return b"GET /%05d HTTP/1.1\r\nHost: x\r\n\r\n" % number


async def test_pipelined_requests_queue_at_most_a_bound_and_all_are_answered_in_order() -> None:
    requests = 3000  # 96 KB in one write: a read or two, each queued whole on uvicorn

    async def body(protocol: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol.pipeline = pipeline = Longest()
        writer.write(b"".join(get(number) for number in range(requests)))
        await writer.drain()
        # Not read: the server's writing pauses, its answers wait, and what it queued stays.
        done = lambda: protocol.flow.write_paused or protocol.server_state.total_requests == requests  # noqa: E731
        await until(done, "the server's writing paused or all answered")
        bound = MAX_PIPELINED + PIECE_BYTES // len(get(0)) + 1
        assert 0 < pipeline.longest <= bound, (pipeline.longest, bound)
        assert await answers(reader, requests) == [b"/%05d" % number for number in range(requests)]
        assert pipeline.longest <= bound, (pipeline.longest, bound)

    await serve(body)


async def test_a_head_split_by_a_read_then_many_small_requests_are_all_answered() -> None:
    """attack11's pipe431: the second read's 600 requests were counted as the split head's bytes."""

    async def body(protocol: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(get(0) + get(1)[:10])
        assert await answers(reader, 1) == [b"/00000"]  # the first read was taken alone
        writer.write(get(1)[10:] + b"".join(get(n) for n in range(2, 602)) + get(602)[:10])
        assert await answers(reader, 601) == [b"/%05d" % n for n in range(1, 602)]
        writer.write(get(602)[10:])
        assert await answers(reader, 1) == [b"/00602"]

    await serve(body)


def post(body: bytes) -> bytes:
    return b"POST /p%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(body), len(body)) + body


async def test_a_request_behind_a_large_body_in_the_same_read_is_answered() -> None:
    """attack11's pipe400: the 300 KB body's bytes in that read were counted as the next one's
    framing (400 "chunked framing over its bound")."""
    first, second = post(b"a" * 300_000), post(b"b" * 100)

    async def body(protocol: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(first[:200_000])
        head = len(first) - 300_000
        await until(lambda: RECEIVED.get("/p300000", 0) == 200_000 - head, "the first write read")
        writer.write(first[200_000:] + second[:-50])
        assert await answers(reader, 1) == [b"/p300000"]
        await until(lambda: RECEIVED.get("/p100") == 50, "the second write read")
        writer.write(second[-50:])
        assert await answers(reader, 1) == [b"/p100"]

    await serve(body)


async def refused(request: bytes, log: logging.Handler | None = None) -> bytes:
    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools"):
        if log is not None:  # uvicorn's own lines (its config, set at start) stop at "uvicorn"
            logging.getLogger("uvicorn.error").addHandler(log)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)  # one write: on 127.0.0.1 one read, or a few of up to 256 KiB
        try:
            await writer.drain()
            received = await asyncio.wait_for(reader.read(), WITHIN)  # until the server closes
        except ConnectionError:
            received = b"reset"
        writer.close()
        logging.getLogger("uvicorn.error").removeHandler(log)  # type: ignore[arg-type]
    return received


HEAD = b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    "extra",
    [
        b"X-A: " + b"a" * 120_000 + b"\r\n",
        b"X-A: " + b"a" * 17_000 + b"\r\n",
        b"".join(b"X%d:a\r\n" % i for i in range(10_000)),
    ],
    ids=["one-120-KB-header", "one-17-KB-header", "10000-headers"],
)
async def test_a_head_over_16_kib_in_one_read_is_refused_431(
    extra: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        received = await refused(HEAD + extra + b"Content-Length: 2\r\n\r\n{}", caplog.handler)
    assert received.startswith(b"HTTP/1.1 431 ") or received == b"reset", received[:100]
    assert b"400" not in received.split(b"\r\n", 1)[1], received  # not answered twice
    lines = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert lines == ["connection closed: a request head over 16384 bytes"], lines


async def test_a_head_of_16_kib_less_its_line_in_one_read_is_taken() -> None:
    request = HEAD + b"X-A: " + b"a" * (16 * 1024 - len(HEAD) - 100) + b"\r\nContent-Length: 2\r\n\r\n{}"
    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        assert await answers(reader, 1) == [b"/webhooks/zendesk"]
        writer.close()


@pytest.mark.parametrize(
    "framing",
    [
        b"1;" + b"e" * 100_000 + b"\r\n{\r\n0\r\n\r\n",
        b"1\r\n{\r\n0\r\nX-Trailer: " + b"t" * 100_000 + b"\r\n\r\n",
    ],
    ids=["chunk-extension", "trailer"],
)
async def test_chunked_framing_over_its_bound_in_one_read_is_refused_400(framing: bytes) -> None:
    received = await refused(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + framing)
    assert received.startswith(b"HTTP/1.1 400 ") or received == b"reset", received[:100]
