"""A chunked request's trailer fields are not its headers (RFC 9110 section 6.5.1: a trailer is
merged into the header section only where the recipient knows that field's rules), on both HTTP
parsers, over real sockets on 127.0.0.1 (receiver/protocol.py).

Before, on httptools, uvicorn appended every trailer field to the request's header list, the very
list in the ASGI scope: a signature header (``x-zendesk-webhook-signature``), a shared secret
(Freshdesk's ``x-serviceflow-secret``) or a second ``content-type`` sent after the body was read
as a header, and, since the receiver takes a header's last value, it replaced the one in the head,
where a proxy that checks or strips headers never looks. h11 always kept them apart (attack14).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from serviceflow.fakes.server import free_port
from serviceflow.receiver.answers import Answer, read_body, whole_body, write
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving_app

WITHIN = 15.0
PARSERS = ["httptools", "h11"]
#: Set as the app begins a request (made anew in each test's event loop).
STARTED: list[asyncio.Event] = []


async def echo_headers(scope: Any, receive: Any, send: Any) -> None:
    """Answers the request's headers as the app sees them once the whole body is in."""
    STARTED[-1].set()
    body = whole_body(scope)
    if body is None:
        body = await read_body(receive, 1000)
    seen = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in scope["headers"]]
    await write(Answer(200, json.dumps({"headers": seen, "body": body.decode()}).encode()), scope, send)


def chunked(trailer: bytes) -> bytes:
    return (
        b"POST /webhooks/x HTTP/1.1\r\nHost: x\r\nX-Zendesk-Webhook-Signature: from-the-head\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n" + trailer + b"\r\n"
    )


async def answered(port: int, request: bytes, *, split: bool) -> dict[str, Any]:
    STARTED.append(asyncio.Event())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if split:  # the app has begun (its scope is out) before the trailer arrives
        at = request.index(b"0\r\n", request.index(b"\r\n\r\n")) + 3
        writer.write(request[:at])
        await writer.drain()
        await asyncio.wait_for(STARTED[-1].wait(), WITHIN)
        writer.write(request[at:])
    else:
        writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    answer: dict[str, Any] = json.loads(await asyncio.wait_for(reader.readexactly(length), WITHIN))
    writer.close()
    return answer


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("split", [False, True])
async def test_a_trailer_field_is_not_taken_as_a_header(parser: str, split: bool) -> None:
    trailer = (
        b"X-Zendesk-Webhook-Signature: from-the-trailer\r\n"
        b"X-Serviceflow-Secret: from-the-trailer\r\nContent-Type: text/evil\r\n"
    )
    port = free_port()
    async with serving_app(echo_headers, "127.0.0.1", port, limits=ReceiverLimits(), parser=parser):
        answer = await answered(port, chunked(trailer), split=split)
    assert answer["body"] == "{}"
    assert answer["headers"] == [
        ["host", "x"],
        ["x-zendesk-webhook-signature", "from-the-head"],
        ["transfer-encoding", "chunked"],
    ]


@pytest.mark.parametrize("parser", PARSERS)
async def test_the_next_request_on_the_connection_has_its_own_headers(parser: str) -> None:
    # A trailer dropped is dropped for this request only: the next one's headers are all there.
    plain = b"POST /webhooks/x HTTP/1.1\r\nHost: y\r\nX-A: b\r\nContent-Length: 2\r\n\r\n{}"
    port = free_port()
    async with serving_app(echo_headers, "127.0.0.1", port, limits=ReceiverLimits(), parser=parser):
        STARTED.append(asyncio.Event())
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(chunked(b"X-T: t\r\n") + plain)
        await writer.drain()
        answers = []
        for _ in range(2):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(json.loads(await asyncio.wait_for(reader.readexactly(length), WITHIN)))
        writer.close()
    assert ["x-t", "t"] not in answers[0]["headers"]
    assert answers[1]["headers"] == [["host", "y"], ["x-a", "b"], ["content-length", "2"]]
