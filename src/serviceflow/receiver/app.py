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
tries again. Bad input gets a 4xx with its reason and field, is logged in one line and counted,
and nothing is signalled; nothing a delivery holds makes a 500 (docs/security.md). Secrets and
bodies never appear in logs (:mod:`serviceflow.receiver.logs`). Once a delivery's events are
known, every line logged about them names their case (:func:`serviceflow.logs.case_context`).
With tracing on (:mod:`serviceflow.tracing`) each delivery is a ``POST /webhooks/{vendor}``
span with ``verify``, ``identity``, ``parse`` and ``signal`` under it, and the signal carries the
trace into the case's workflow; spans hold bounded labels only, never the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pydantic
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope
from temporalio.client import Client
from temporalio.service import RPCError

from serviceflow import tracing
from serviceflow.adapters import HelpdeskAdapter, Identities, Identity, WebhookRequest
from serviceflow.adapters.registry import registry
from serviceflow.durable.cases import (
    DeliveryRefused,
    RunningCases,
    SearchAttributeMissing,
    deliver,
    requester_attribute_problem,
)
from serviceflow.errors import IdentityUnavailable, ServiceflowError
from serviceflow.logs import case_context
from serviceflow.model import TicketEvent
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict
from serviceflow.receiver import logs
from serviceflow.receiver.answers import (
    CLOSE,
    Answer,
    Disconnected,
    TooLarge,
    json_answer,
    read_body,
    whole_body,
)
from serviceflow.receiver.checks import Refusal, check_events, from_validation_error
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.metrics import ReceiverMetrics
from serviceflow.receiver.protocol import BODY_COMPLETE
from serviceflow.receiver.routes import ReceiverApp, routes

log = logging.getLogger("serviceflow.receiver")

RETRY_AFTER_SECONDS = 5
#: Seconds an adapter may spend reading the helpdesk to parse a thin delivery before it is
#: answered 503 (the vendor delivers it again).
PARSE_TIMEOUT = 10.0
SEEN_KEPT = 10_000
# A stalled body's connection is closed with its 408 (CLOSE). A too-large body's is not (the client
# gets its 413, not a reset; uvicorn discards the rest, the header deadline ends a rest that never
# ends), unless it awaits 100-continue: then it may send no body (RFC 9110 10.1.1), and its next
# request would be read as this one's.
RETRY_AFTER = ((b"retry-after", b"%d" % RETRY_AFTER_SECONDS),)


@dataclass
class Receiver:
    """The receiver's state: how to reach Temporal, what it has seen, what it counts. ``clock``
    is its "now" (each delivery's ``WebhookRequest.received_at``): inject one to simulate time."""

    connect: Callable[[], Awaitable[Client]]
    task_queue: str
    ready_checks: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)
    limits: ReceiverLimits = field(default_factory=ReceiverLimits)
    index_requester: bool = True  # off only where the server knows no custom search attributes
    parse_timeout: float = PARSE_TIMEOUT
    metrics: ReceiverMetrics = field(default_factory=ReceiverMetrics)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    identities: Identities = field(default_factory=Identities)
    _client: Client | None = None
    _attempt: asyncio.Future[Client] | None = None  # the connect in progress, shared
    _seen: OrderedDict[tuple[str, str], None] = field(default_factory=OrderedDict)
    # Cases this receiver started or signalled: their next event is a plain signal (cases.py).
    _running: RunningCases = field(default_factory=RunningCases)
    _vendors: set[str] | None = None
    _adapters: dict[str, HelpdeskAdapter] = field(default_factory=dict)
    _in_flight: int = 0
    attribute_problem: str | None = None  # why cases are not indexed by requester, in words

    @property
    def max_body_bytes(self) -> int:
        return self.limits.max_body_bytes

    async def client(self) -> Client:
        """The Temporal client, connected on first use: the receiver starts without Temporal.

        On connecting, the requester search attribute is checked once; ``/readyz`` checks again.
        One bounded attempt at a time, shared by all its waiters (attack14 F7: N x 30 s each).
        """
        if self._client is not None:  # connected: nothing to wait for per delivery
            return self._client
        if self._attempt is None or self._attempt.done():  # a failed one was its waiters' answer
            self._attempt = asyncio.ensure_future(self._connect_once())
        return await asyncio.shield(self._attempt)  # a waiter cancelled (readyz) leaves it be

    async def _connect_once(self) -> Client:
        client = await asyncio.wait_for(self.connect(), self.limits.connect_timeout)
        await self._check_attribute(client)
        self._client = client  # only now: deliveries meanwhile wait on the attempt
        return client

    async def _check_attribute(self, client: Client) -> None:
        if not self.index_requester:
            return
        try:
            problem = await asyncio.wait_for(requester_attribute_problem(client), timeout=5)
        except (RPCError, TimeoutError) as exc:
            log.warning(
                "could not check the %s search attribute: %s", "ServiceflowRequester", type(exc).__name__
            )
            return
        if problem != self.attribute_problem:
            if problem:
                log.error("%s; repeat contacts will not join their cases until then", problem)
            else:
                log.info("the ServiceflowRequester search attribute is registered: cases are indexed")
        self.attribute_problem = problem

    def vendors(self) -> set[str]:
        """The vendors installed plugins register adapters for (read once: plugins load at start-up)."""
        if self._vendors is None:
            self._adapters, self._vendors = {}, set(registry().vendors())
        return self._vendors

    def _adapter(self, vendor: str) -> HelpdeskAdapter:
        """The vendor's adapter, kept as :meth:`vendors` keeps the names (no lookup per delivery)."""
        self.vendors()
        adapter = self._adapters.get(vendor)
        if adapter is None:
            adapter = self._adapters[vendor] = registry().require(vendor)
        return adapter

    # -- the webhook --------------------------------------------------------------------------

    async def webhook(self, scope: Scope, receive: Receive, vendor: str) -> Answer:
        """The answer to a delivery to ``POST /webhooks/{vendor}`` (ASGI ``scope`` and ``receive``)."""
        label = self.metrics.vendor_label(vendor, self.vendors())
        started = time.perf_counter()
        # A new trace for each delivery: a context the sender names (traceparent) is not taken,
        # since anyone on the internet may send one.
        attributes = {"http.request.method": "POST", "http.route": "/webhooks/{vendor}"}
        with tracing.span("POST /webhooks/{vendor}", attributes, kind=tracing.Kind.SERVER) as span:
            span.set({"serviceflow.vendor": label})
            answer = await self._webhook(scope, receive, vendor, label)
            span.set({"http.response.status_code": answer.status})
            if answer.status >= 500:
                span.failed(str(answer.status))
        self.metrics.of(self.metrics.latency, label).observe(time.perf_counter() - started)
        return answer

    async def _webhook(self, scope: Scope, receive: Receive, vendor: str, label: str) -> Answer:
        if vendor not in self.vendors():
            return self._refuse(label, Refusal(404, "unknown_vendor", "no installed plugin serves it"))
        self.metrics.of(self.metrics.received, vendor).inc()
        body = await self._read_body(scope, receive, vendor)
        if isinstance(body, Answer):
            return body
        if self._in_flight >= self.limits.max_in_flight:
            return self._busy(vendor, "busy", "too many deliveries at once")
        self._in_flight += 1
        try:
            with logs.handling(body):
                return await self._take(scope, vendor, body)
        except Exception as exc:  # noqa: BLE001 - a defect of ours: retryable, never a 500
            return self._busy(vendor, "internal_error", "try again shortly", exc)
        finally:
            self._in_flight -= 1

    async def _read_body(self, scope: Scope, receive: Receive, vendor: str) -> bytes | Answer:
        limit = self.limits.max_body_bytes
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            waits = any(k == b"expect" and v.lower() == b"100-continue" for k, v in scope["headers"])
            return self._refuse(vendor, Refusal(413, "too_large", f"over {limit} bytes"), close=waits)
        arrived = scope.get(BODY_COMPLETE) is True  # nothing to wait for: no deadline
        try:
            body = whole_body(scope)  # the protocol's, where it had it all (protocol.BODY)
            if body is None:
                async with contextlib.nullcontext() if arrived else asyncio.timeout(self.limits.body_timeout):
                    body = await read_body(receive, limit)
            elif len(body) > limit:
                raise TooLarge
        except TooLarge:
            return self._refuse(vendor, Refusal(413, "too_large", f"over {limit} bytes"), close=True)
        except TimeoutError:
            detail = f"the body did not arrive within {self.limits.body_timeout:g} s"
            return self._refuse(vendor, Refusal(408, "body_timeout", detail), close=True)
        except Disconnected as gone:
            self.metrics.refused(vendor, "client_disconnected")
            gone_after = "webhook vendor=%s client disconnected after %d bytes of the body"
            log.info(gone_after, vendor, gone.received)
            return Answer(400, media_type=None)  # nobody is left to read it
        return body

    async def _take(self, scope: Scope, vendor: str, body: bytes) -> Answer:
        # Decoded as Starlette's Headers do (latin-1), without building them.
        raw = scope["headers"]
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
        received = self.clock()  # once: the adapter's "now" (received_at) and the skew check's
        delivery = WebhookRequest(scope["method"], headers, body, received)  # positional: cheaper (RESULTS)
        adapter = self._adapter(vendor)
        with tracing.span("verify"):
            verdict = self._verify(adapter, delivery)
        if isinstance(verdict, Refusal):
            return self._refuse(vendor, verdict)
        if not verdict.account:
            log.error("webhook vendor=%s refused: its plugin names no configured account", vendor)
            return self._busy(vendor, "account_not_configured", "the receiver has no account for this vendor")
        try:
            with tracing.span("identity", {"serviceflow.account": verdict.account}):
                # Learned once (Identities.of asks the helpdesk the first time): no coroutine after.
                identity = self.identities.known(vendor, verdict.account) or await self.identities.of(
                    adapter, verdict.account
                )
        except IdentityUnavailable as exc:
            return self._busy(
                vendor, "identity_unknown", "the helpdesk has not said who serviceflow is yet", exc
            )
        with tracing.span("parse") as parsing:
            events = await self._parse(adapter, delivery, verdict.account, identity)
            parsing.set({"serviceflow.events": len(events) if isinstance(events, list) else None})
        if isinstance(events, Answer):
            return events
        if isinstance(events, Refusal):
            return self._refuse(vendor, events)
        encoded: list[bytes] = []  # each event's JSON: its signal's payload (cases.deliver)
        problem = check_events(
            events, vendor=vendor, account=verdict.account, now=received, skew=self.limits.clock_skew,
            encoded=encoded,
        )  # fmt: skip
        if problem is not None:
            return self._refuse(vendor, problem)
        cases = {event.ticket.key for event in events}
        case = next(iter(cases)) if len(cases) == 1 else None
        # From here on, the delivery's lines name its case (a delivery about several names each
        # in its own lines of _signal).
        with case_context(case) if case else contextlib.nullcontext():
            tracing.current().set({"serviceflow.case": case})
            return await self._take_events(vendor, events, encoded)

    async def _take_events(self, vendor: str, events: list[TicketEvent], encoded: list[bytes]) -> Answer:
        seen = self._seen
        fresh = [(e, data) for e, data in zip(events, encoded, strict=True) if (vendor, e.id) not in seen]
        duplicates = len(events) - len(fresh)
        if duplicates:
            self.metrics.of(self.metrics.duplicates, vendor).inc(duplicates)
        try:
            with tracing.span("signal", {"serviceflow.events": len(fresh)}):
                await self._signal(vendor, fresh)
        except DeliveryRefused as exc:
            return self._refuse(vendor, Refusal(400, "refused_by_temporal", exc.detail[:200], exc.field))
        except (RPCError, RuntimeError, OSError) as exc:
            self._client = None if not isinstance(exc, RPCError) else self._client
            return self._busy(vendor, "temporal_unavailable", "try again shortly", exc)
        logs.accepted(log, vendor, len(fresh), duplicates)
        # What JSONResponse({"accepted": .., "duplicates": ..}) sends, without its json.dumps.
        return Answer(200, b'{"accepted":%d,"duplicates":%d}' % (len(fresh), duplicates))

    def _verify(self, adapter: HelpdeskAdapter, delivery: WebhookRequest) -> WebhookVerdict | Refusal:
        vendor = adapter.vendor
        try:
            verdict: object = adapter.verify_webhook(delivery)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure on one delivery is that delivery's
            return self._unparseable(vendor, "verify", exc)
        if not isinstance(verdict, WebhookVerdict):
            return self._unparseable(vendor, "verify", TypeError(type(verdict).__name__))
        if not verdict.accepted:
            return Refusal(401, verdict.reason or "unauthorized", "not authentic")
        return verdict

    async def _parse(
        self, adapter: HelpdeskAdapter, delivery: WebhookRequest, account: str, identity: Identity
    ) -> list[TicketEvent] | Refusal | Answer:
        vendor = adapter.vendor
        reading = False
        try:
            events: object = adapter.parse_webhook(delivery, account=account, identity=identity)
            if type(events) is not list and inspect.isawaitable(events):  # a thin delivery: the
                # adapter reads the helpdesk
                reading = True
                events = await asyncio.wait_for(events, self.parse_timeout)
        except WebhookRejected as exc:
            status = exc.status if 400 <= exc.status < 500 else 400
            return Refusal(status, exc.reason, exc.detail[:200], getattr(exc, "field", None))
        except pydantic.ValidationError as exc:
            return from_validation_error(exc)
        except TimeoutError:
            detail = f"reading the helpdesk took over {self.parse_timeout:.0f}s"
            return self._busy(vendor, "helpdesk_unavailable", detail)
        except ServiceflowError as exc:
            if not reading:
                return self._unparseable(vendor, "parse", exc)
            # The helpdesk refused or failed the read a thin delivery needs: delivered again later.
            return self._busy(vendor, "helpdesk_unavailable", "the helpdesk could not be read", exc)
        except Exception as exc:  # noqa: BLE001 - RecursionError, TypeError...: this delivery's fault
            return self._unparseable(vendor, "parse", exc)
        if not isinstance(events, list | tuple):
            return self._unparseable(vendor, "parse", TypeError(type(events).__name__))
        for event in events:
            if not isinstance(event, TicketEvent):
                return self._unparseable(vendor, "parse", TypeError(type(event).__name__))
        return list(events)

    def _unparseable(self, vendor: str, step: str, exc: BaseException) -> Refusal:
        log.warning("webhook vendor=%s the plugin's %s raised %s", vendor, step, type(exc).__name__)
        return Refusal(400, "unparseable", f"the {vendor} plugin could not {step} this delivery")

    async def _signal(self, vendor: str, events: list[tuple[TicketEvent, bytes]]) -> None:
        if not events:
            return
        client = await self.client()
        for event, encoded in events:
            with case_context(event.ticket.key):
                await deliver(
                    client, event, self.task_queue, unindexed=self._unindexed, running=self._running,
                    index_requester=self.index_requester and self.attribute_problem is None, encoded=encoded,
                )  # fmt: skip
            self._seen[(vendor, event.id)] = None
            self.metrics.of(self.metrics.signalled, vendor).inc()
        while len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)

    def _unindexed(self, missing: SearchAttributeMissing) -> None:
        self.attribute_problem = str(missing)  # until /readyz finds it registered

    def _refuse(self, vendor: str, refusal: Refusal, *, close: bool = False) -> Answer:
        reason = self.metrics.refused(vendor, refusal.reason)
        tracing.current().set({"serviceflow.refusal": reason, "serviceflow.field": refusal.field})
        where = f" field={refusal.field}" if refusal.field else ""
        log.warning("webhook vendor=%s status=%d reason=%s%s", vendor, refusal.status, reason, where)
        content: dict[str, str] = {"error": refusal.reason, "detail": refusal.detail}
        if refusal.field:
            content["field"] = refusal.field
        return json_answer(content, refusal.status, CLOSE if close else ())

    def _busy(self, vendor: str, reason: str, detail: str, exc: BaseException | None = None) -> Answer:
        self.metrics.refused(vendor, reason)
        tracing.current().set({"serviceflow.refusal": reason})
        why = f" ({type(exc).__name__})" if exc is not None else ""
        log.warning("webhook vendor=%s status=503 reason=%s%s", vendor, reason, why)
        return json_answer({"error": reason, "detail": detail}, 503, RETRY_AFTER)

    # -- operations ---------------------------------------------------------------------------

    async def readyz(self, request: Request) -> Response:
        problems = []
        try:
            client = await asyncio.wait_for(self.client(), timeout=5)
            await asyncio.wait_for(client.service_client.check_health(), timeout=5)
        except Exception as exc:  # noqa: BLE001 - any failure to reach Temporal means not ready
            self._client = None
            problems.append(f"Temporal cannot be reached ({type(exc).__name__}); deliveries get 503")
        else:
            await self._check_attribute(client)
            if self.attribute_problem:
                problems.append(self.attribute_problem)
        for check in self.ready_checks:
            problem = await check()
            if problem:
                problems.append(problem)
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    def app(self) -> Starlette:
        return ReceiverApp(self, routes=routes(self))
