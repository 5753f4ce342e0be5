"""Helpers of the tracing tests: whether the ``otel`` extra is installed, an in-memory span
exporter for unit tests, and the whole system as real processes (:class:`system_support.System`:
a Temporal dev server, the fake Zendesk, ``serviceflow worker`` and ``serviceflow serve``) sending
its spans to a collector stub."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import system_support
from serviceflow_zendesk.fake import FakeZendesk
from system_support import frontline_policies

from serviceflow import tracing


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is not there either
        return False


OTEL = all(
    installed(name)
    for name in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http", "opentelemetry.proto")
)
requires_otel = pytest.mark.skipif(
    not OTEL,
    reason="the otel extra is not installed: pip install 'serviceflow[otel]' (the test extra has it)",
)

SECRET = "sf-tracing-webhook-secret"
POLICIES = frontline_policies("traced", within="1h")
ROSTER_OVERLAY = """\
agents:
  - {id: ann@shop.example, lead: lee@shop.example}
"""


@pytest.fixture
def memory_spans() -> Iterator[Any]:
    """Tracing on in this process, into an in-memory exporter (read ``get_finished_spans()``)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstall()
        provider.shutdown()


class System(system_support.System):
    """Temporal, the fake Zendesk, a worker and a receiver, each its own process, in ``root``,
    logging JSON and sending their spans to ``collector_endpoint`` (when given)."""

    SERVICES = {"worker": "serviceflow-worker", "serve": "serviceflow-receiver"}

    def __init__(self, root: Path, zendesk: FakeZendesk, collector_endpoint: str | None) -> None:
        super().__init__(
            root, zendesk, name="traced", policies=POLICIES, roster=ROSTER_OVERLAY, secret=SECRET
        )
        self.collector_endpoint = collector_endpoint
        self.settings.update(
            SERVICEFLOW_LOG_FORMAT="json",
            # INFO, as in production: at DEBUG the Temporal SDK logs every activity's payloads.
            SERVICEFLOW_LOG_LEVEL="INFO",
        )

    def service_settings(self, service: str) -> dict[str, str]:
        if not self.collector_endpoint:
            return {}
        return {
            "SERVICEFLOW_OTEL_ENDPOINT": self.collector_endpoint,
            "SERVICEFLOW_OTEL_SERVICE_NAME": self.SERVICES.get(service, f"serviceflow-{service}"),
        }
