"""A real HTTP webhook endpoint on 127.0.0.1 for the conformance suite: it keeps every delivery
and can answer the first attempt of each one with a 503, so the fake delivers it again. Each
delivery's ``received_at`` is read from its clock, as serviceflow's receiver reads its own: give
it the clock the fakes run on when they simulate time."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serviceflow.adapters.protocol import WebhookRequest
from serviceflow.fakes.server import ServerThread


@dataclass
class ContractReceiver:
    """Keeps deliveries; with :attr:`refuse_first`, answers each body's first attempt with
    ``503 Retry-After: 0`` (every vendor retries that) and the next with 200. :attr:`clock` is
    "now" for each delivery's ``received_at`` (the wall clock unless given)."""

    refuse_first: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    received: list[WebhookRequest] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ServerThread(
            Starlette(routes=[Route("/webhooks/{vendor}", self._handle, methods=["POST", "PUT", "PATCH"])]),
            name="contract-receiver",
        )

    def url(self, vendor: str) -> str:
        return f"{self.server.base_url}/webhooks/{vendor}"

    def take(self) -> list[WebhookRequest]:
        """The deliveries since the last call."""
        with self._lock:
            got, self.received = self.received, []
            return got

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        received = self.clock()  # when the request (its body too) was here, as the receiver reads it
        headers = {k.lower(): v for k, v in request.headers.items()}
        delivery = WebhookRequest(request.method, headers, body, received_at=received)
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            self.received.append(delivery)
            first = digest not in self._seen
            self._seen.add(digest)
        if self.refuse_first and first:
            return Response(status_code=503, headers={"Retry-After": "0"})
        return Response(status_code=200)
