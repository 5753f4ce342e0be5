"""Test helpers for the Zendesk plugin tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from serviceflow_zendesk.signature import verify
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serviceflow.fakes.server import ServerThread
from serviceflow.testing import SleepRecorder as SleepRecorder

#: The webhook signing secret the plugin's settings carry in these tests (the ``zendesk`` fixture).
SIGNING_SECRET = "sf-test-signing-secret"


@dataclass(frozen=True)
class Received:
    """One webhook request as the receiver saw it, with its verification outcome."""

    headers: dict[str, str]
    body: bytes
    verdict: str


class WebhookReceiver:
    """A real HTTP webhook receiver that verifies Zendesk signatures, as the webhook app will.

    It answers 200 when the signature verifies and 401 with the reason otherwise, unless a
    scripted status is queued with :meth:`respond_next`.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self._script: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.server = ServerThread(
            Starlette(routes=[Route("/hooks/zendesk", self._handle, methods=["POST"])]),
            name="webhook-receiver",
        )

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/hooks/zendesk"

    def respond_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._script.append((status, headers or {}))

    def reset(self, secret: str) -> None:
        with self._lock:
            self.secret = secret
            self.received.clear()
            self._script.clear()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        result = verify(self.secret, request.headers, body, now=datetime.now(UTC))
        with self._lock:
            self.received.append(Received(dict(request.headers), body, result.reason.value))
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            return Response(status_code=scripted[0], headers=scripted[1])
        if not result.accepted:
            return JSONResponse({"error": result.reason.value, "detail": result.detail}, status_code=401)
        return JSONResponse({"ok": True})
