"""The webhook receiver, an ASGI app: verify, parse, signal, and only then answer.

For each delivery to ``POST /webhooks/{vendor}``: the vendor's plugin verifies it and parses it
into ticket events; each event is signalled to its case with signal-with-start; the answer is
2xx only after Temporal has accepted every signal, so an acknowledged webhook is never lost.
When Temporal cannot be reached the answer is 503 with a short ``Retry-After``, so the vendor
tries again. Bad input gets a 4xx with its reason, is logged and counted, and nothing is
signalled. Secrets and raw bodies never appear in logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client
from temporalio.service import RPCError

from serviceflow.durable.cases import deliver
from serviceflow.model import TicketEvent
from serviceflow.plugins import get_plugin_manager, installed_plugins
from serviceflow.plugins.webhooks import WebhookRejected
from serviceflow.receiver.metrics import ReceiverMetrics

log = logging.getLogger("serviceflow.receiver")

MAX_BODY_BYTES = 1024 * 1024  # Zendesk caps its payloads at 16 KB; this leaves room and no more
RETRY_AFTER_SECONDS = 5
SEEN_KEPT = 10_000


@dataclass
class Receiver:
    """The receiver's state: how to reach Temporal, what it has seen, what it counts."""

    connect: Callable[[], Awaitable[Client]]
    task_queue: str
    ready_checks: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)
    max_body_bytes: int = MAX_BODY_BYTES
    index_requester: bool = True  # off only where the server knows no custom search attributes
    metrics: ReceiverMetrics = field(default_factory=ReceiverMetrics)
    _client: Client | None = None
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock)
    _seen: OrderedDict[tuple[str, str], None] = field(default_factory=OrderedDict)
    _vendors: set[str] | None = None

    async def client(self) -> Client:
        """The Temporal client, connected on first use: the receiver starts without Temporal."""
        async with self._connecting:
            if self._client is None:
                self._client = await self.connect()
            return self._client

    def vendors(self) -> set[str]:
        """The vendors installed plugins serve (read once: plugins load at start-up)."""
        if self._vendors is None:
            self._vendors = {vendor for info in installed_plugins() for vendor in info.vendors}
        return self._vendors

    # -- the webhook --------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        vendor = request.path_params["vendor"]
        started = time.perf_counter()
        response = await self._webhook(request, vendor)
        self.metrics.latency.labels(vendor).observe(time.perf_counter() - started)
        return response

    async def _webhook(self, request: Request, vendor: str) -> Response:
        if vendor not in self.vendors():
            return self._refuse(vendor, 404, "unknown_vendor", f"no plugin serves {vendor!r}")
        self.metrics.received.labels(vendor).inc()
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return self._refuse(vendor, 413, "too_large", f"over {self.max_body_bytes} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body_bytes:
                return self._refuse(vendor, 413, "too_large", f"over {self.max_body_bytes} bytes")
        headers = {name.lower(): value for name, value in request.headers.items()}
        hooks = get_plugin_manager().hook
        verdict = hooks.serviceflow_verify_webhook(
            vendor=vendor, method=request.method, headers=headers, body=body
        )
        if verdict is None:
            return self._refuse(vendor, 401, "unverifiable", "the plugin cannot verify deliveries")
        if not verdict.accepted:
            return self._refuse(vendor, 401, verdict.reason or "unauthorized", "not authentic")
        try:
            events = hooks.serviceflow_parse_webhook(vendor=vendor, headers=headers, body=body)
        except WebhookRejected as exc:
            return self._refuse(vendor, exc.status, exc.reason, exc.detail)
        if events is None:
            return self._refuse(vendor, 400, "unparseable", "the plugin cannot parse deliveries")
        fresh = [e for e in events if (vendor, e.id) not in self._seen]
        duplicates = len(events) - len(fresh)
        if duplicates:
            self.metrics.duplicates.labels(vendor).inc(duplicates)
        try:
            await self._signal(vendor, fresh)
        except (RPCError, RuntimeError, OSError) as exc:
            self._client = None if not isinstance(exc, RPCError) else self._client
            self.metrics.rejected.labels(vendor, "temporal_unavailable").inc()
            log.warning("webhook vendor=%s status=503 reason=temporal_unavailable detail=%s", vendor, exc)
            return JSONResponse(
                {"error": "temporal_unavailable", "detail": "try again shortly"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        log.info("webhook vendor=%s status=200 events=%d duplicates=%d", vendor, len(fresh), duplicates)
        return JSONResponse({"accepted": len(fresh), "duplicates": duplicates})

    async def _signal(self, vendor: str, events: list[TicketEvent]) -> None:
        if not events:
            return
        client = await self.client()
        for event in events:
            await deliver(client, event, self.task_queue, index_requester=self.index_requester)
            self._seen[(vendor, event.id)] = None
            self.metrics.signalled.labels(vendor).inc()
        while len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)

    def _refuse(self, vendor: str, status: int, reason: str, detail: str) -> Response:
        self.metrics.rejected.labels(vendor, reason).inc()
        log.warning("webhook vendor=%s status=%d reason=%s detail=%s", vendor, status, reason, detail)
        return JSONResponse({"error": reason, "detail": detail}, status_code=status)

    # -- operations ---------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        problems = []
        try:
            client = await asyncio.wait_for(self.client(), timeout=5)
            await asyncio.wait_for(client.service_client.check_health(), timeout=5)
        except Exception as exc:  # any failure to reach Temporal means not ready
            self._client = None
            problems.append(f"temporal: {type(exc).__name__}")
        for check in self.ready_checks:
            problem = await check()
            if problem:
                problems.append(problem)
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    async def metrics_endpoint(self, request: Request) -> Response:
        return PlainTextResponse(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/webhooks/{vendor}", self.webhook, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/readyz", self.readyz, methods=["GET"]),
                Route("/metrics", self.metrics_endpoint, methods=["GET"]),
            ]
        )
