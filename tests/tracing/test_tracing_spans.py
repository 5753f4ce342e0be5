"""Spans in one process, into the OpenTelemetry SDK's in-memory exporter: the receiver's span of
a refused delivery (its status and reason, never its body), the helpdesk call's client span
(retries, status, the URL without its query), and the interceptors a worker adds."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import Client
from tracing_support import SECRET, memory_spans, requires_otel

from serviceflow import tracing
from serviceflow.fakes.server import ServerThread, free_port
from serviceflow.plugins import http
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving

pytestmark = requires_otel
BODY_WORDS = "PANGOLIN-4411-PRIVATE customer text"


def spans_named(exporter: Any, name: str) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    with fake_zendesk_in_this_process(webhook_secret=SECRET) as fake:
        yield fake


async def no_temporal() -> Client:
    raise AssertionError("a refused delivery never reaches Temporal")


@pytest.mark.parametrize(
    "headers",
    [{"x-zendesk-webhook-signature": "forged", "x-zendesk-webhook-signature-timestamp": "1"}, {}],
)
async def test_a_refused_delivery_is_one_server_span_with_its_status_and_reason_never_its_body(
    memory_spans: Any, zendesk: FakeZendesk, headers: dict[str, str]
) -> None:
    receiver = Receiver(connect=no_temporal, task_queue="unused", index_requester=False)
    port = free_port()
    body = json.dumps({"type": "zen:event-type:ticket.created", "detail": {"subject": BODY_WORDS}}).encode()
    async with serving(receiver, "127.0.0.1", port):
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"http://127.0.0.1:{port}/webhooks/zendesk",
                content=body,
                headers={"content-type": "application/json", **headers},
            )
    assert answer.status_code == 401
    (root,) = spans_named(memory_spans, "POST /webhooks/{vendor}")
    assert root.kind.name == "SERVER" and root.parent is None
    assert root.attributes["http.response.status_code"] == 401 and root.status.is_unset  # a 4xx is not ours
    assert root.attributes["serviceflow.vendor"] == "zendesk"
    assert root.attributes["serviceflow.refusal"] == answer.json()["error"]
    (verify,) = spans_named(memory_spans, "verify")
    assert verify.parent.span_id == root.context.span_id
    assert not spans_named(memory_spans, "signal")  # nothing was signalled
    for span in memory_spans.get_finished_spans():
        shown = repr((span.name, dict(span.attributes or {}), span.status.description, span.events))
        assert "PANGOLIN" not in shown


async def test_an_unknown_vendor_is_a_404_span_outside_any_case(memory_spans: Any) -> None:
    receiver = Receiver(connect=no_temporal, task_queue="unused", index_requester=False)
    port = free_port()
    async with serving(receiver, "127.0.0.1", port):
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"http://127.0.0.1:{port}/webhooks/nobody", content=b"{}")
    assert answer.status_code == 404
    (root,) = spans_named(memory_spans, "POST /webhooks/{vendor}")
    assert root.attributes["serviceflow.refusal"] == "unknown_vendor"
    assert root.attributes["serviceflow.vendor"] == "unknown"  # a bounded label, as in the metrics
    assert "serviceflow.case" not in root.attributes


class Flaky:
    """A vendor that answers the first request 429 (Retry-After: 0), then 200, or ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls = 0
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "PUT"])])

    async def handle(self, request: Request) -> Response:
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        if first:
            return JSONResponse({"error": "slow down"}, status_code=429, headers={"Retry-After": "0"})
        return JSONResponse({"ok": self.status == 200}, status_code=self.status)


class Errors(http.VendorErrors):
    label = "Acme"

    def for_response(self, response: httpx.Response, context: Any) -> http.ApiError:
        if response.status_code == 429:
            retry_after = http.parse_retry_after(response.headers.get("retry-after"))
            return http.RateLimited("429", status=429, retry_after=retry_after)
        return http.ApiError(f"Acme said {response.status_code}", status=response.status_code)


async def no_sleep(seconds: float) -> None:
    return None


@pytest.mark.parametrize("status", [200, 404])
async def test_a_helpdesk_call_is_one_client_span_with_its_retries(memory_spans: Any, status: int) -> None:
    vendor = Flaky(status)
    with ServerThread(vendor.app) as server:
        where = server.base_url
        base = where.replace("http://", "http://agent:secret@")
        async with http.RestTransport(
            base, errors=Errors(), label="Acme", retry=http.RetryPolicy(sleep=no_sleep)
        ) as rest:
            with tracing.span("RunActivity:carry_out") as parent:
                parent.set({"serviceflow.test": True})
                try:
                    await rest.request("PUT", "/api/tickets/7", params=[("email", "casey@example.com")])
                except http.ApiError as exc:
                    assert exc.status == 404 == status
    (call,) = spans_named(memory_spans, "PUT Acme")
    (activity,) = spans_named(memory_spans, "RunActivity:carry_out")
    assert call.kind.name == "CLIENT" and call.parent.span_id == activity.context.span_id
    assert call.attributes["http.request.method"] == "PUT"
    assert call.attributes["url.full"] == f"{where}/api/tickets/7"  # no query, no credentials
    assert call.attributes["server.address"] == "127.0.0.1"
    assert call.attributes["http.request.resend_count"] == 1
    assert call.attributes["http.response.status_code"] == status
    if status == 200:
        assert call.status.is_unset
    else:
        assert call.attributes["error.type"] == "ApiError" and call.status.description == "ApiError"
    assert vendor.calls == 2


async def test_a_worker_adds_the_tracing_interceptor_only_where_its_client_lacks_it(
    memory_spans: Any,
) -> None:
    from temporalio.contrib.opentelemetry import TracingInterceptor

    from serviceflow.durable.settings import Settings

    plain = await Client.connect("127.0.0.1:1", lazy=True)
    traced = await Client.connect(
        "127.0.0.1:1", lazy=True, interceptors=tracing.client_interceptors(Settings())
    )
    (added,) = tracing.worker_interceptors(plain)
    assert isinstance(added, TracingInterceptor)
    assert tracing.worker_interceptors(traced) == []  # one registered twice makes every span twice
    tracing.uninstall()
    assert tracing.worker_interceptors(plain) == [] and tracing.client_interceptors(Settings()) == []


__all__ = ["memory_spans"]  # a fixture, used by name
