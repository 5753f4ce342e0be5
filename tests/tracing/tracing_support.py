"""Helpers of the tracing tests: whether the ``otel`` extra is installed, an in-memory span
exporter for unit tests, and the whole system as real processes (a Temporal dev server, the fake
Zendesk, ``serviceflow worker`` and ``serviceflow serve``) sending its spans to a collector stub."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow import tracing
from serviceflow.durable.devserver import DevServer
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually


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
POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: traced
defaults: {escalation: quick}
fallback: {owner: group:Frontline}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: traced
owner:
  - {name: desk, pick: round_robin, from: [group:Frontline]}
targets:
  - {name: reply, type: first_response, within: 1h}
"""
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


class System:
    """Temporal, the fake Zendesk, a worker and a receiver, each its own process, in ``root``."""

    def __init__(self, root: Path, zendesk: FakeZendesk, collector_endpoint: str | None) -> None:
        self.root = root
        self.zendesk = zendesk
        self.collector_endpoint = collector_endpoint
        (root / "policies").mkdir()
        (root / "policies" / "traced.yaml").write_text(POLICIES)
        (root / "roster.yaml").write_text(ROSTER_OVERLAY)
        self.server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
        self.queue = f"traced-{uuid.uuid4()}"
        self.receiver_port = free_port()
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def env(self, service: str) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items() if not key.startswith("SERVICEFLOW_")}
        tracing_env = (
            {"SERVICEFLOW_OTEL_ENDPOINT": self.collector_endpoint, "SERVICEFLOW_OTEL_SERVICE_NAME": service}
            if self.collector_endpoint
            else {}
        )
        return {
            **environment,
            "SERVICEFLOW_TEMPORAL_ADDRESS": self.server.address,
            "SERVICEFLOW_TASK_QUEUE": self.queue,
            "SERVICEFLOW_POLICIES": json.dumps([str(self.root / "policies")]),
            "SERVICEFLOW_ROSTER": str(self.root / "roster.yaml"),
            "SERVICEFLOW_ROSTER_FROM": "zendesk:127.0.0.1",
            "SERVICEFLOW_ZENDESK_BASE_URL": self.zendesk.base_url,
            "SERVICEFLOW_ZENDESK_EMAIL": self.zendesk.email,
            "SERVICEFLOW_ZENDESK_API_TOKEN": self.zendesk.api_token,
            "SERVICEFLOW_ZENDESK_WEBHOOK_SECRET": SECRET,
            "SERVICEFLOW_LOG_FORMAT": "json",
            # INFO, as in production: at DEBUG the Temporal SDK logs every activity's payloads.
            "SERVICEFLOW_LOG_LEVEL": "INFO",
            **tracing_env,
        }

    def start(self, service: str, *command: str, log: str) -> None:
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "serviceflow", *command],
                env=self.env(service),
                stdout=(self.root / log).open("wb"),
                stderr=subprocess.STDOUT,
            )
        )

    async def run(self) -> None:
        await self.server.start()
        self.start("serviceflow-worker", "worker", log="worker.log")
        self.start(
            "serviceflow-receiver", "serve", "--host", "127.0.0.1", "--port", str(self.receiver_port),
            log="serve.log",
        )  # fmt: skip
        async with httpx.AsyncClient() as http:

            async def ready() -> bool:
                try:
                    return (await http.get(f"{self.receiver_url}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, 60, "the receiver to be ready (see serve.log)")

    def stop(self) -> None:
        """SIGTERM each process (they send their last spans and leave), then the dev server."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.server.stop()

    def log_lines(self, name: str) -> list[dict[str, Any]]:
        """The JSON lines of a process's log (its other lines, the CLI's banner, are left out)."""
        text = (self.root / name).read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def log_text(self, name: str) -> str:
        return (self.root / name).read_text(errors="replace")
