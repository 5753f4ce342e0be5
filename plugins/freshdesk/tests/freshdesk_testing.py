"""Test helpers for the Freshdesk plugin tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow_freshdesk.fake import documented
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serviceflow.adapters import WebhookRequest, adapter_for
from serviceflow.fakes.server import ServerThread
from serviceflow.testing import SleepRecorder as SleepRecorder

#: The webhook secret the tests configure (SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET).
SECRET = "fd-test-webhook-secret"


@dataclass
class SteppingClock:
    """A clock that stands still until told to move (fixed times in tests)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@dataclass(frozen=True)
class Received:
    """One webhook request as the receiver saw it, with the plugin's verdict on it."""

    method: str
    headers: dict[str, str]
    body: bytes
    accepted: bool
    reason: str
    received_at: datetime

    def request(self) -> WebhookRequest:
        """The delivery as serviceflow's receiver hands it to the adapter."""
        return WebhookRequest(self.method, self.headers, self.body, received_at=self.received_at)


class WebhookReceiver:
    """A real HTTP webhook receiver that verifies deliveries with the vendor's registered
    adapter, as serviceflow's webhook app does, for one vendor.

    It answers 200 when the delivery is authentic and 401 with the reason otherwise, unless a
    scripted status is queued with :meth:`respond_next`. Each delivery's receipt time is read
    from ``clock`` (the wall clock unless given), as the receiver reads its own.
    """

    def __init__(self, vendor: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.vendor = vendor
        self.clock = clock
        self.received: list[Received] = []
        self._script: list[int] = []
        self._lock = threading.Lock()
        self.server = ServerThread(
            Starlette(routes=[Route("/webhooks/{vendor}", self._handle, methods=["POST", "PUT", "GET"])]),
            name=f"{vendor}-webhook-receiver",
        )

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/webhooks/{self.vendor}"

    def respond_next(self, status: int) -> None:
        """Answer the next delivery with ``status`` (after verifying and recording it)."""
        with self._lock:
            self._script.append(status)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._script.clear()

    def accepted(self) -> list[Received]:
        """The authentic deliveries so far."""
        with self._lock:
            return [r for r in self.received if r.accepted]

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        got = WebhookRequest(request.method, headers, body, received_at=self.clock())
        verdict = adapter_for(self.vendor).verify_webhook(got)
        with self._lock:
            self.received.append(
                Received(request.method, headers, body, verdict.accepted, verdict.reason, got.received_at)
            )
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            return Response(status_code=scripted)
        if not verdict.accepted:
            return JSONResponse({"error": verdict.reason}, status_code=401)
        return JSONResponse({"ok": True})


#: The ``User-Agent`` of the plugin's client (``FreshdeskClient``), which tells its requests from
#: a test's own raw ones in the fake's call log.
CLIENT_AGENT = "serviceflow-freshdesk"


def undocumented(calls: Iterable[Any]) -> list[str]:
    """What the plugin's requests among ``calls`` carry that Freshdesk's reference does not list
    (:func:`serviceflow_freshdesk.fake.documented.problems`), one line each."""
    found: list[str] = []
    for call in calls:
        if call.headers.get("user-agent") != CLIENT_AGENT:
            continue
        for problem in documented.problems(call.method, call.path, call.query, call.json):
            if problem not in found:
                found.append(problem)
    return found


def action(cls: type, key: str = "k1", **fields: Any) -> Any:
    """An engine action of type ``cls`` with the bookkeeping fields filled in."""
    return cls(key=key, reason="test", policy="p", rule="r", **fields)
