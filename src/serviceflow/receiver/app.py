"""The webhook receiver, an ASGI app: verify, parse, signal, and only then answer.

For each delivery to ``POST /webhooks/{vendor}``: the vendor's adapter verifies it and parses it
into ticket events, knowing the integration's own identity in the account (learned on the
first delivery for it and kept: :class:`~serviceflow.adapters.Identities`), so the echo of
serviceflow's own writes is marked as serviceflow's; each event is signalled to its case with
signal-with-start; the answer is 2xx only after Temporal has accepted every signal, so an
acknowledged webhook is never lost. While the identity cannot be learned (the helpdesk's API
is down, the credentials act as no one) deliveries are answered 503 with ``Retry-After``:
never taken as a person's, and the vendor delivers them again.
An adapter whose webhooks are thin reads the helpdesk while parsing (its ``parse_webhook`` is
a coroutine): that read gets at most ``parse_timeout`` seconds, and a timeout or an error of the
helpdesk's is answered 503 with ``Retry-After`` too, so the vendor delivers again and nothing is
attributed by guess.
When Temporal cannot be reached the answer is 503 with a short ``Retry-After``, so the vendor
tries again. Bad input gets a 4xx with its reason, is logged and counted, and nothing is
signalled. Secrets and raw bodies never appear in logs.
"""

from __future__ import annotations

import asyncio
import inspect
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

from serviceflow.adapters import Identities, WebhookRequest
from serviceflow.adapters.registry import registry
from serviceflow.durable.cases import deliver
from serviceflow.errors import IdentityUnavailable, ServiceflowError
from serviceflow.model import TicketEvent
from serviceflow.plugins.webhooks import WebhookRejected
from serviceflow.receiver.metrics import ReceiverMetrics

log = logging.getLogger("serviceflow.receiver")

MAX_BODY_BYTES = 1024 * 1024  # Zendesk caps its payloads at 16 KB; this leaves room and no more
RETRY_AFTER_SECONDS = 5
#: Seconds an adapter may spend reading the helpdesk to parse a thin delivery before it is
#: answered 503 (the vendor delivers it again).
PARSE_TIMEOUT = 10.0
SEEN_KEPT = 10_000


@dataclass
class Receiver:
    """The receiver's state: how to reach Temporal, what it has seen, what it counts."""

    connect: Callable[[], Awaitable[Client]]
    task_queue: str
    ready_checks: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)
    max_body_bytes: int = MAX_BODY_BYTES
    index_requester: bool = True  # off only where the server knows no custom search attributes
    parse_timeout: float = PARSE_TIMEOUT
    metrics: ReceiverMetrics = field(default_factory=ReceiverMetrics)
    identities: Identities = field(default_factory=Identities)
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
        """The vendors installed plugins register adapters for (read once: plugins load at start-up)."""
        if self._vendors is None:
            self._vendors = set(registry().vendors())
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
        parsed = await self._parse(vendor, WebhookRequest(request.method, headers, body))
        if isinstance(parsed, Response):
            return parsed
        events = parsed
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

    async def _parse(self, vendor: str, delivery: WebhookRequest) -> list[TicketEvent] | Response:
        """The delivery's events by the vendor's adapter, or the refusal to answer."""
        adapter = registry().require(vendor)
        verdict = adapter.verify_webhook(delivery)
        if not verdict.accepted:
            return self._refuse(vendor, 401, verdict.reason or "unauthorized", "not authentic")
        account = verdict.account
        if not account:
            return self._refuse(vendor, 401, "unknown_account", "the adapter names no account for it")
        try:
            identity = await self.identities.of(adapter, account)
        except IdentityUnavailable as exc:
            self.metrics.rejected.labels(vendor, "identity_unknown").inc()
            log.warning("webhook vendor=%s status=503 reason=identity_unknown detail=%s", vendor, exc)
            return JSONResponse(
                {"error": "identity_unknown", "detail": "the helpdesk has not said who serviceflow is yet"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            parsed = adapter.parse_webhook(delivery, account=account, identity=identity)
            if inspect.isawaitable(parsed):  # a thin delivery: the adapter reads the helpdesk
                return await asyncio.wait_for(parsed, self.parse_timeout)
            return parsed
        except WebhookRejected as exc:
            return self._refuse(vendor, exc.status, exc.reason, exc.detail)
        except TimeoutError:
            return self._unavailable(vendor, f"reading the helpdesk took over {self.parse_timeout:.0f}s")
        except ServiceflowError as exc:  # the helpdesk refused or failed the read: try later
            return self._unavailable(vendor, str(exc))

    def _unavailable(self, vendor: str, detail: str) -> Response:
        """503 for a thin delivery the helpdesk could not be read for (now): delivered again."""
        self.metrics.rejected.labels(vendor, "helpdesk_unavailable").inc()
        log.warning("webhook vendor=%s status=503 reason=helpdesk_unavailable detail=%s", vendor, detail)
        return JSONResponse(
            {"error": "helpdesk_unavailable", "detail": "the helpdesk could not be read; try again shortly"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

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
