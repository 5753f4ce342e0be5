"""An incoming-webhook endpoint that keeps the JSON it is sent: what serviceflow's notifier or a
helpdesk posts, as a test or a demo sees it. Serve it with ``serving_app(sink.app, host, port)``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send


async def read_body(receive: Receive) -> bytes:
    """The whole body of the ASGI request being received."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


@dataclass
class JsonSink:
    """Answers every request with ``status`` and keeps its JSON body in ``received``."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.received.append(json.loads(await read_body(receive)))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if self.status < 400 else b"no"})
