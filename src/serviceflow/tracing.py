"""Tracing: one OpenTelemetry trace from a webhook to the action carried out (``serviceflow[otel]``).

Off unless ``SERVICEFLOW_OTEL_ENDPOINT`` is set; then, and only then, OpenTelemetry is imported
and this process sends its spans over OTLP/HTTP (protobuf) to ``{endpoint}/v1/traces``, the
default path of the OTLP/HTTP spec (open-telemetry/opentelemetry-proto, docs/specification.md,
"OTLP/HTTP Request"). The exporter's own variables (``OTEL_EXPORTER_OTLP_HEADERS`` for a
collector's API key, ``OTEL_EXPORTER_OTLP_CERTIFICATE``) are read by the exporter as documented
(opentelemetry-python-contrib, ``opentelemetry.exporter.otlp.proto.http``).

What makes one trace:

- the receiver: a ``POST /webhooks/{vendor}`` server span with ``verify``, ``identity``,
  ``parse`` and ``signal`` under it (:mod:`serviceflow.receiver.app`);
- Temporal's ``TracingInterceptor`` (``temporalio.contrib.opentelemetry``, the stable one of the
  SDK's two integrations: python.temporal.io/temporalio.contrib.opentelemetry.TracingInterceptor.html
  and the module's README, "Legacy Approach"): on the client it wraps the signal-with-start in
  a span and carries its context in the ``_tracer-data`` header; on the worker it makes the
  workflow's spans (``RunWorkflow:Case``, ``StartActivity:carry_out``, which replay never
  repeats) and runs each activity inside a ``RunActivity`` span;
- the helpdesk call: one client span around each REST request (:mod:`serviceflow.plugins.http`).

A case's workflow keeps the trace of the delivery that started it; a later delivery to an open
case has its own trace, and the workflow's ``HandleSignal`` span links to it (the interceptor's
design). Sampling is decided where a trace starts (``SERVICEFLOW_OTEL_SAMPLE_RATIO``), and the
worker follows the decision it is handed (``ParentBased``).

Spans carry bounded labels only (vendor, status, a refusal's reason, an exception's type, the
case id): never a delivery's body or an exception's message, which can quote it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from serviceflow.errors import ServiceflowError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span as OtelSpan
    from opentelemetry.trace import Tracer
    from temporalio.client import Client
    from temporalio.contrib.opentelemetry import TracingInterceptor

    from serviceflow.durable.settings import Settings

TRACES_PATH = "/v1/traces"
TRACER_NAME = "serviceflow"

AttributeValue = str | bool | int | float
Attributes = Mapping[str, AttributeValue | None]


class TracingUnavailable(ServiceflowError):
    """``SERVICEFLOW_OTEL_ENDPOINT`` is set but the ``otel`` extra is not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"SERVICEFLOW_OTEL_ENDPOINT is set, but OpenTelemetry is not installed ({missing}): "
            "pip install 'serviceflow[otel]', or unset SERVICEFLOW_OTEL_ENDPOINT"
        )


class Kind(Enum):
    """What a span is (OpenTelemetry's ``SpanKind``, named without importing it)."""

    INTERNAL = "INTERNAL"
    SERVER = "SERVER"
    CLIENT = "CLIENT"


class Span:
    """A span to annotate; this one records nothing (tracing is off)."""

    def set(self, attributes: Attributes) -> None:
        """Set attributes (``{"http.response.status_code": 200}``); ``None`` values are left out."""

    def failed(self, kind: str) -> None:
        """Mark the span as an error of ``kind`` (a type name or a bounded reason)."""


NO_SPAN = Span()


class _LiveSpan(Span):
    def __init__(self, span: OtelSpan) -> None:
        self._span = span

    def set(self, attributes: Attributes) -> None:
        for key, value in attributes.items():
            if value is not None:
                self._span.set_attribute(key, value)

    def failed(self, kind: str) -> None:
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("error.type", kind)
        self._span.set_status(Status(StatusCode.ERROR, kind))


@dataclass
class _Tracing:
    provider: TracerProvider
    tracer: Tracer
    interceptor: TracingInterceptor


_active: _Tracing | None = None


def enabled() -> bool:
    """Whether this process traces."""
    return _active is not None


def traces_url(endpoint: str) -> str:
    """The URL spans are posted to: the endpoint with the spec's default path added, unless it
    names ``/v1/traces`` itself."""
    base = endpoint.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def configure(settings: Settings) -> bool:
    """Turn tracing on for this process from the settings (the first call that finds an
    endpoint does it; later calls keep it); whether it is on.

    Raises:
        TracingUnavailable: an endpoint is set but the ``otel`` extra is not installed.
    """
    if _active is not None:
        return True
    if not settings.otel_endpoint:
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as exc:
        raise TracingUnavailable(exc.name or "opentelemetry") from None
    version = importlib.metadata.version("serviceflow")
    resource = Resource.create({"service.name": settings.otel_service_name, "service.version": version})
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio))
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otel_endpoint)))
    )
    install(provider)
    return True


def install(provider: TracerProvider) -> None:
    """Trace into ``provider`` from now on (``configure`` does it; tests hand an in-memory one)."""
    from temporalio.contrib.opentelemetry import TracingInterceptor

    global _active
    tracer = provider.get_tracer(TRACER_NAME, importlib.metadata.version("serviceflow"))
    _active = _Tracing(provider, tracer, TracingInterceptor(tracer))


def uninstall() -> None:
    """Stop tracing in this process (its provider is not shut down: see :func:`shutdown`)."""
    global _active
    _active = None


async def shutdown(timeout: float = 10.0) -> None:
    """Send the spans still queued and stop: a process calls it before it exits (``os._exit``
    skips the SDK's own exit hook). Off the event loop, since the exporter blocks."""
    global _active
    tracing, _active = _active, None
    if tracing is None:
        return
    try:
        await asyncio.wait_for(asyncio.to_thread(tracing.provider.shutdown), timeout)
    except TimeoutError:
        pass  # the collector is not answering: its spans are lost, the process still stops


def client_interceptors(settings: Settings) -> list[Any]:
    """The interceptors of a Temporal client for the settings: Temporal's tracing interceptor
    when tracing is on (it then also applies to every worker built on that client)."""
    configure(settings)
    return [_active.interceptor] if _active is not None else []


def worker_interceptors(client: Client) -> list[Any]:
    """The interceptors a worker on ``client`` adds: the tracing interceptor when tracing is on
    and the client does not carry one already (the SDK applies a client's interceptors to its
    workers, and one registered twice makes every span twice)."""
    if _active is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    if any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"]):
        return []
    return [_active.interceptor]


class _NoSpanBlock:
    """The block :func:`span` gives while tracing is off: it yields :data:`NO_SPAN` and lets
    any exception pass (one shared object: no generator per span, as a webhook opens five)."""

    def __enter__(self) -> Span:
        return NO_SPAN

    def __exit__(self, *_exc: object) -> None:
        return None


_NO_SPAN_BLOCK = _NoSpanBlock()


def span(
    name: str, attributes: Attributes | None = None, *, kind: Kind = Kind.INTERNAL
) -> contextlib.AbstractContextManager[Span]:
    """A span around the block, a child of the current one; a no-op while tracing is off.

    An exception leaving the block marks the span failed with the exception's type, never its
    message (a message can quote what a delivery held).
    """
    if _active is None:
        return _NO_SPAN_BLOCK
    return _live_span(_active, name, attributes, kind)


@contextlib.contextmanager
def _live_span(active: _Tracing, name: str, attributes: Attributes | None, kind: Kind) -> Iterator[Span]:
    from opentelemetry.trace import SpanKind

    with active.tracer.start_as_current_span(
        name, kind=SpanKind[kind.value], record_exception=False, set_status_on_exception=False
    ) as current:
        live = _LiveSpan(current)
        live.set(attributes or {})
        try:
            yield live
        except BaseException as exc:
            live.failed(type(exc).__name__)
            raise


def current() -> Span:
    """The span the code runs in, to annotate (a no-op while tracing is off or outside a span)."""
    if _active is None:
        return NO_SPAN
    from opentelemetry import trace

    return _LiveSpan(trace.get_current_span())
