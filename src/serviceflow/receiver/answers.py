"""A delivery's answer and body as plain ASGI, without Starlette's Request and Response.

The webhook path reads its body from the ASGI ``receive`` channel (or, where the HTTP protocol
had it whole before the app started, from the scope: :data:`~serviceflow.receiver.protocol.BODY`)
and answers with an :class:`Answer`: its status, body and headers, sent in one write where the
protocol offers it (:data:`~serviceflow.receiver.protocol.RESPOND`, httptools), else as the two
ASGI messages. The bytes on the wire are what Starlette's ``Response`` and ``JSONResponse``
send for the same content (``starlette/responses.py`` 1.x: given headers first, then
``content-length``, then ``content-type``; JSON by ``json.dumps(ensure_ascii=False,
allow_nan=False, separators=(",", ":"))``); tests/durable/test_receiver_routes.py holds the
two equal. Each Starlette ``Request``, ``Response``, their header lists and uvicorn's two
``send`` calls with their header checks were about a tenth of the receiver's own Python calls
per webhook (benchmarks/RESULTS.md, ingest10).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send

from serviceflow.receiver.protocol import BODY, BODY_COMPLETE, RESPOND

JSON = b"application/json"
CLOSE = ((b"connection", b"close"),)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, body, the headers besides ``content-length`` and
    ``content-type`` (lower-case names), and the media type (None: no ``content-type``)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    media_type: bytes | None = JSON

    def header_list(self) -> list[tuple[bytes, bytes]]:
        """The headers as Starlette's ``Response.init_headers`` orders them."""
        headers = [*self.headers, (b"content-length", b"%d" % len(self.body))]
        if self.media_type is not None:
            headers.append((b"content-type", self.media_type))
        return headers

    @property
    def closes(self) -> bool:
        return (b"connection", b"close") in self.headers


def json_answer(content: object, status: int, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Answer:
    """What ``JSONResponse(content, status_code=status, headers=...)`` sends."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return Answer(status, body.encode("utf-8"), headers)


async def write(answer: Answer, scope: Scope, send: Send) -> None:
    """Send the answer: in one write where the protocol offers it, else as two ASGI messages."""
    respond = scope.get(RESPOND)
    if respond is not None:
        head = b"".join(b"%s: %s\r\n" % pair for pair in answer.header_list())
        if respond(answer.status, head, answer.body, answer.closes):
            return
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.header_list()})
    await send({"type": "http.response.body", "body": answer.body})


class Disconnected(Exception):
    """The client went away before its whole body arrived (Starlette's ``ClientDisconnect``)."""

    def __init__(self, received: int) -> None:
        super().__init__(f"the client disconnected after {received} bytes of the body")
        self.received = received


class TooLarge(Exception):
    """The body grew past the limit while it arrived."""


def whole_body(scope: Scope) -> bytes | None:
    """The body, where the protocol had all of it before the app started (else None)."""
    if scope.get(BODY_COMPLETE) is not True:
        return None
    body = scope.get(BODY)
    return bytes(body) if body is not None else None


async def read_body(receive: Receive, limit: int) -> bytes:
    """The body from the ASGI channel, as ``Request.stream()`` reads it.

    Raises:
        TooLarge: more than ``limit`` bytes arrived.
        Disconnected: the client went away first.
    """
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected(len(body))
        if message["type"] != "http.request":
            continue
        body += message.get("body", b"")
        if len(body) > limit:
            raise TooLarge
        if not message.get("more_body", False):
            return bytes(body)
