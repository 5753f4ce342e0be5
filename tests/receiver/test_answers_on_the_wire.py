"""The receiver's plain-ASGI answers (receiver/answers.py) and its protocol's one-write answer
and keep-alive (receiver/protocol.py), over real sockets on 127.0.0.1, on both HTTP parsers:
the bytes are what Starlette sends for the same answer, pipelined requests each get theirs, a
body still arriving is read from the ASGI channel, and an idle kept-alive connection is closed
after the keep-alive time (not at the later head deadline)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.responses import JSONResponse, Response

from serviceflow.fakes.server import free_port
from serviceflow.receiver.answers import CLOSE, Answer, json_answer, read_body, whole_body, write
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving_app

WITHIN = 15.0  # a generous bound on "answered" and "closed", so a loaded machine never fails
PARSERS = ["httptools", "h11"]

# Each answer, and what Starlette's Response would be for it.
ANSWERS: list[tuple[Answer, Response]] = [
    (Answer(200, b'{"accepted":1,"duplicates":0}'),
     Response(b'{"accepted":1,"duplicates":0}', media_type="application/json")),
    (json_answer({"error": "bad_signature", "detail": "not authentic"}, 401),
     JSONResponse({"error": "bad_signature", "detail": "not authentic"}, status_code=401)),
    (json_answer({"error": "too_large", "detail": "over 10 bytes", "field": "é"}, 413, CLOSE),
     JSONResponse({"error": "too_large", "detail": "over 10 bytes", "field": "é"}, status_code=413,
                  headers={"Connection": "close"})),
    (json_answer({"error": "busy", "detail": "try again"}, 503, ((b"retry-after", b"5"),)),
     JSONResponse({"error": "busy", "detail": "try again"}, status_code=503, headers={"Retry-After": "5"})),
    (Answer(400, media_type=None), Response(status_code=400)),
]  # fmt: skip


async def exchange(port: int, request: bytes) -> bytes:
    """Send the request bytes and read until the server closes or a bound passes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    received = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), 2.0):
            received += chunk
    except TimeoutError:
        pass  # kept alive: everything sent is in
    writer.close()
    return received


def without_date(raw: bytes) -> tuple[bytes, list[bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *headers = head.split(b"\r\n")
    return status, sorted(h for h in headers if not h.lower().startswith(b"date:")), body


POST = b"POST /webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("index", range(len(ANSWERS)))
async def test_an_answer_is_the_bytes_starlette_sends_for_it(parser: str, index: int) -> None:
    ours, theirs = ANSWERS[index]

    async def plain(scope: Any, receive: Any, send: Any) -> None:
        if whole_body(scope) is None:
            await read_body(receive, 100)
        await write(ours, scope, send)

    async def starlette(scope: Any, receive: Any, send: Any) -> None:
        await read_body(receive, 100)
        await theirs(scope, receive, send)

    seen = []
    for app in (plain, starlette):
        port = free_port()
        async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser=parser):
            seen.append(without_date(await exchange(port, POST)))
    assert seen[0] == seen[1]
    assert seen[0][0].startswith(b"HTTP/1.1 %d" % ours.status)


@pytest.mark.parametrize("parser", PARSERS)
async def test_pipelined_requests_each_get_their_answer_in_order(parser: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = whole_body(scope)
        if body is None:
            body = await read_body(receive, 100)
        await write(Answer(200, b"[" + body + b"]"), scope, send)

    port = free_port()
    requests = b"".join(
        b"POST /webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b)
        for b in (b"one", b"two", b"three")
    )
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser=parser):
        received = await exchange(port, requests)
    assert received.count(b"HTTP/1.1 200") == 3
    assert received.index(b"[one]") < received.index(b"[two]") < received.index(b"[three]")


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_body_still_coming_is_read_from_the_channel(parser: str) -> None:
    started = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        started.set()
        assert whole_body(scope) is None  # the app began before the body was whole
        await write(Answer(200, await read_body(receive, 100)), scope, send)

    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser=parser):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbo")
        await writer.drain()
        await asyncio.wait_for(started.wait(), WITHIN)
        writer.write(b"dy")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
        assert head.startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.readexactly(4), WITHIN) == b"body"
        writer.close()


@pytest.mark.parametrize("parser", PARSERS)
async def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_time(parser: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if whole_body(scope) is None:
            await read_body(receive, 100)
        await write(Answer(200, b"{}"), scope, send)

    port = free_port()
    # The head deadline after an answer is keep-alive + header timeout (61 s): a connection closed
    # well before it was closed by the keep-alive.
    limits = ReceiverLimits(keep_alive=1, header_timeout=60)
    async with serving_app(app, "127.0.0.1", port, limits=limits, parser=parser):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(3):  # kept alive between requests that follow each other
            writer.write(POST)
            await writer.drain()
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)).startswith(b"HTTP/1.1 200")
            await asyncio.wait_for(reader.readexactly(2), WITHIN)
        assert await asyncio.wait_for(reader.read(), WITHIN) == b""  # then idle: closed
        writer.close()
