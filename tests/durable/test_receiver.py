"""The webhook receiver over real HTTP: signed Zendesk deliveries from the fake Zendesk become
signals on their cases in Temporal; bad input gets its status and reaches nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from durable_support import FakeHelpdesk, eventually, free_port
from serviceflow_zendesk.adapter import aclose_clients
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from zendesk_deliveries import created_envelope, signed_headers

from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import CaseState
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving

SECRET = "sf-receiver-test-secret"


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    with fake_zendesk_in_this_process(webhook_secret=SECRET) as fake:
        yield fake


@pytest_asyncio.fixture
async def receiving(env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk):  # type: ignore[no-untyped-def]
    """A worker on a fresh task queue and the receiver in front of it: (url, receiver, queue)."""
    built = worker()
    async with built:

        async def connect() -> Client:
            return env.client

        # The time-skipping test server knows no custom search attributes.
        receiver = Receiver(connect=connect, task_queue=built.task_queue, index_requester=False)
        port = free_port()
        async with serving(receiver, "127.0.0.1", port):
            yield f"http://127.0.0.1:{port}", receiver, built.task_queue
        await aclose_clients()


async def case_state(env: WorkflowEnvironment, case_id: str) -> CaseState | None:
    handle = env.client.get_workflow_handle(case_id)
    return await handle.query(CaseWorkflow.case_state, result_type=CaseState)


async def test_a_signed_delivery_reaches_its_case(env, zendesk: FakeZendesk, receiving) -> None:  # type: ignore[no-untyped-def]
    url, receiver, _ = receiving
    zendesk.add_webhook(f"{url}/webhooks/zendesk", secret=SECRET)
    ticket = await asyncio.to_thread(zendesk.add_ticket, "Charged twice", notify=True)
    case_id = f"zendesk:127.0.0.1:{ticket['id']}"
    state = await eventually(lambda: case_state(env, case_id), 20, "the case")
    assert state.ticket.subject == "Charged twice"
    deliveries = await asyncio.to_thread(zendesk.wait_for_deliveries, 1)
    assert deliveries[0].attempts[-1].status == 200
    metrics = receiver.metrics.registry.get_sample_value
    assert metrics("serviceflow_events_signalled_total", {"vendor": "zendesk"}) >= 1


async def test_a_repeated_delivery_is_accepted_and_ignored(env, zendesk: FakeZendesk, receiving) -> None:  # type: ignore[no-untyped-def]
    url, receiver, _ = receiving
    ticket = zendesk.add_ticket("Where is my parcel")
    envelope = created_envelope(ticket)
    first = await post_signed(f"{url}/webhooks/zendesk", envelope)
    again = await post_signed(f"{url}/webhooks/zendesk", envelope)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["accepted"], again.json()["duplicates"]) == (1, 1)
    assert (
        receiver.metrics.registry.get_sample_value(
            "serviceflow_events_duplicate_total", {"vendor": "zendesk"}
        )
        == 1
    )


@pytest.mark.parametrize(
    ("secret", "body", "status", "reason"),
    [
        ("wrong-secret", None, 401, "bad_signature"),
        (SECRET, b"this is not json", 400, "not_json"),
        (SECRET, {"hello": "world"}, 400, "unknown_shape"),
    ],
)
async def test_bad_deliveries_get_their_status_and_signal_nothing(  # type: ignore[no-untyped-def]
    env, zendesk: FakeZendesk, receiving, secret: str, body: Any, status: int, reason: str
) -> None:
    url, receiver, _ = receiving
    ticket = zendesk.add_ticket("Nobody should see this")
    delivery = await post_signed(f"{url}/webhooks/zendesk", body or created_envelope(ticket), secret)
    assert delivery.status_code == status
    assert delivery.json()["error"] == reason
    assert (
        receiver.metrics.registry.get_sample_value(
            "serviceflow_webhook_rejected_total", {"vendor": "zendesk", "reason": reason}
        )
        == 1
    )
    signalled = receiver.metrics.registry.get_sample_value
    assert signalled("serviceflow_events_signalled_total", {"vendor": "zendesk"}) is None


async def test_unknown_vendor_wrong_method_and_too_large(receiving) -> None:  # type: ignore[no-untyped-def]
    url, receiver, _ = receiving
    async with httpx.AsyncClient() as http:
        unknown = await http.post(f"{url}/webhooks/nope", content=b"{}")
        wrong = await http.get(f"{url}/webhooks/zendesk")
        large = await http.post(f"{url}/webhooks/zendesk", content=b"x" * (receiver.max_body_bytes + 1))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_vendor")
    assert wrong.status_code == 405
    assert (large.status_code, large.json()["error"]) == (413, "too_large")


async def test_temporal_down_means_503_with_retry_after_and_healthz_still_answers(
    zendesk: FakeZendesk,
) -> None:
    async def unreachable() -> Client:
        return await Client.connect(f"127.0.0.1:{free_port()}")

    receiver = Receiver(connect=unreachable, task_queue="nowhere")
    port = free_port()
    async with serving(receiver, "127.0.0.1", port):
        url = f"http://127.0.0.1:{port}"
        ticket = zendesk.add_ticket("Temporal is down")
        delivery = await post_signed(f"{url}/webhooks/zendesk", created_envelope(ticket))
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{url}/healthz")
            ready = await http.get(f"{url}/readyz")
            metrics = await http.get(f"{url}/metrics")
    assert delivery.status_code == 503
    assert delivery.headers.get("retry-after") == "5"
    assert health.status_code == 200
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert (
        'serviceflow_webhook_rejected_total{reason="temporal_unavailable",vendor="zendesk"} 1.0'
        in metrics.text
    )


async def post_signed(url: str, body: Any, secret: str = SECRET) -> httpx.Response:
    """Deliver as Zendesk does: the raw body, signed over timestamp + body."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient() as http:
        return await http.post(url, content=raw, headers=signed_headers(secret, raw))
