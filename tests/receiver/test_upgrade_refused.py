"""A request asking to switch protocols (``Upgrade: websocket``, ``h2c``) on the receiver, which
speaks only HTTP/1.1 (no WebSocket, ``ws="none"``): it is answered as a plain request, with
``connection: close``, and nothing the client sent after it on that connection is parsed, however
the bytes were split into reads. Before, the rest of the same read was dropped and the connection
left open with its later requests unanswered (the client waited for ever), while the same bytes
in a later read were answered as new requests. Over real sockets on 127.0.0.1
(receiver/protocol.py)."""

from __future__ import annotations

import asyncio

import pytest
from test_pipelining import WITHIN, app

from serviceflow.fakes.server import free_port
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving_app


def upgrade(to: bytes, pad: int = 0) -> bytes:
    padding = b"X-Pad: %s\r\n" % (b"p" * pad) if pad else b""
    return b"GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: %s\r\n%s\r\n" % (to, padding)


AFTER = b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /later HTTP/1.1\r\nHost: x\r\n\r\n"


async def everything(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (bounded by WITHIN)."""
    out = b""
    while chunk := await asyncio.wait_for(reader.read(1 << 16), WITHIN):
        out += chunk
    return out


@pytest.mark.parametrize("to", [b"websocket", b"h2c"])
@pytest.mark.parametrize(
    "split",
    ["one-read", "two-reads", "in-pieces"],  # in-pieces: a read over PIECE_BYTES, parsed in pieces
)
async def test_an_upgrade_is_answered_then_the_connection_closes(to: bytes, split: str) -> None:
    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        asking = upgrade(to, pad=6000 if split == "in-pieces" else 0)
        if split == "two-reads":
            writer.write(asking)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)  # answered first
            writer.write(AFTER)
            out = head + await everything(reader)
        else:
            writer.write(asking + AFTER)
            out = await everything(reader)
        writer.close()
        assert out.startswith(b"HTTP/1.1 200 OK\r\n"), out[:200]
        assert out.count(b"HTTP/1.1 ") == 1, out  # /after and /later: never parsed
        head = out.split(b"\r\n\r\n")[0].lower()
        assert b"connection: close" in head, head
        assert out.split(b"\r\n\r\n", 1)[1].startswith(b"/up 0 ")
        assert server.server_state.total_requests == 1


async def test_a_plain_request_keeps_its_connection() -> None:
    """The control: without Upgrade the connection stays open and the next request is answered."""
    port = free_port()
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(AFTER)
        await writer.drain()
        for path in (b"/after", b"/later"):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
            assert b"connection: close" not in head.lower()
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            assert (await asyncio.wait_for(reader.readexactly(length), WITHIN)).startswith(path)
        writer.close()


async def test_a_post_asking_to_upgrade_is_answered_without_its_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``curl --http2`` on an http:// URL asks its first request to upgrade to h2c. llhttp ends
    such a request at its head, so its body is not read: the app gets none (a webhook so sent is
    refused for its signature), the log says so, and the body is never parsed as requests."""
    port = free_port()
    body = b"b" * 3000
    asking = (
        b"POST /hook HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(asking + AFTER)
        out = await everything(reader)
        writer.close()
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 200 OK\r\n"), out[:300]
    assert b"connection: close" in out.split(b"\r\n\r\n")[0].lower()
    assert out.split(b"\r\n\r\n", 1)[1].startswith(b"/hook 0 ")
    (line,) = [r.getMessage() for r in caplog.records if "upgrade" in r.getMessage()]
    assert line.startswith("an upgrade to 'h2c' refused: answered as HTTP/1.1 without its body"), line


async def test_whatever_the_split_one_answer_then_close() -> None:
    """The same bytes (an upgrade, then two requests) cut into two reads at every 5th offset, each
    on a connection of its own: always the one answer, with connection: close, then the close."""
    port = free_port()
    stream = upgrade(b"websocket") + AFTER
    async with serving_app(app, "127.0.0.1", port, limits=ReceiverLimits(), parser="httptools") as server:
        for cut in range(1, len(stream), 5):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(stream[:cut])
            await writer.drain()
            head = b""
            if cut > len(upgrade(b"websocket")):  # its head is in: wait for its answer first
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
            writer.write(stream[cut:])
            out = head + await everything(reader)
            writer.close()
            assert out.count(b"HTTP/1.1 ") == 1 and b"connection: close" in out.lower(), (cut, out[:300])
            assert out.split(b"\r\n\r\n", 1)[1].startswith(b"/up 0 "), cut
        assert server.server_state.total_requests == len(range(1, len(stream), 5))
