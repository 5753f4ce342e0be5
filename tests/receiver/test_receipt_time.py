"""The receiver's clock reaches the adapters: each delivery's ``WebhookRequest.received_at`` is
``Receiver.clock`` read once at receipt (verify and parse see the same instant), and the skew
check measures the events against that same reading. A ``WebhookRequest`` built by hand was
received when it was built; a naive receipt time is refused with what to pass instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from serviceflow.adapters import AdapterBase, Identity, WebhookRequest
from serviceflow.fakes.server import free_port
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.webhooks import WebhookVerdict
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving

#: Far from any wall clock this suite runs under, so a wall-clock reading cannot pass for it.
SIMULATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class ClockedDesk(AdapterBase):
    """Records the receipt time verify and parse were given; a body ``"dated <iso>"`` parses
    into one event at that time (else nothing, so no Temporal is needed)."""

    vendor = "clocked-desk"

    def __init__(self) -> None:
        self.verified_at: list[datetime] = []
        self.parsed_at: list[datetime] = []

    @hookimpl
    def serviceflow_register_adapters(self, register: Callable[..., None]) -> None:
        register(self)

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        self.verified_at.append(request.received_at)
        return WebhookVerdict.accept(account="acme")

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        self.parsed_at.append(request.received_at)
        text = request.body.decode()
        if not text.startswith("dated "):
            return []
        at = datetime.fromisoformat(text.removeprefix("dated "))
        ticket = Ticket(
            id="7", vendor=self.vendor, account=account, subject="s", requester=Requester(id="c1"),
            created_at=at, updated_at=at,
        )  # fmt: skip
        actor = Actor(role=ActorRole.CUSTOMER, id="c1")
        return [TicketEvent(id="e1", kind=EventKind.CREATED, time=at, ticket=ticket, actor=actor)]

    async def whoami(self, account: str) -> Identity:
        return Identity(vendor=self.vendor, account=account, id="900", name="serviceflow")


@pytest_asyncio.fixture
async def desk() -> AsyncIterator[ClockedDesk]:
    plugin = ClockedDesk()
    get_plugin_manager().register(plugin, name="clocked-desk")
    try:
        yield plugin
    finally:
        get_plugin_manager().unregister(plugin)


async def no_temporal() -> Client:
    raise AssertionError("nothing may be signalled")


async def test_each_delivery_carries_the_receivers_clock_to_verify_and_parse(desk: ClockedDesk) -> None:
    now = [SIMULATED]
    receiver = Receiver(connect=no_temporal, task_queue="never", clock=lambda: now[0])
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/clocked-desk"
    async with serving(receiver, "127.0.0.1", port), httpx.AsyncClient() as http:
        first = await http.post(url, content=b"{}")
        now[0] = SIMULATED + timedelta(minutes=95)
        second = await http.post(url, content=b"{}")
    assert (first.status_code, second.status_code) == (200, 200)
    expected = [SIMULATED, SIMULATED + timedelta(minutes=95)]
    assert desk.verified_at == expected and desk.parsed_at == expected


async def test_the_skew_is_measured_from_the_receipt_time(desk: ClockedDesk) -> None:
    """An event a second beyond the skew after the simulated receipt is refused, though it lies
    long before the wall clock's now: the check reads the receiver's clock, not the wall's."""
    receiver = Receiver(connect=no_temporal, task_queue="never", clock=lambda: SIMULATED)
    beyond = SIMULATED + receiver.limits.clock_skew + timedelta(seconds=1)
    assert beyond < datetime.now(UTC)  # else this test could not tell the clocks apart
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/clocked-desk"
    async with serving(receiver, "127.0.0.1", port), httpx.AsyncClient() as http:
        ahead = await http.post(url, content=f"dated {beyond.isoformat()}".encode())
    assert ahead.status_code == 400, ahead.text
    assert ahead.json()["field"] == "time" and "ahead of this receiver's clock" in ahead.json()["detail"]
    assert desk.parsed_at == [SIMULATED]


def test_a_request_built_by_hand_was_received_when_it_was_built() -> None:
    before = datetime.now(UTC)
    built = WebhookRequest("POST", {}, b"{}")
    after = datetime.now(UTC)
    assert built.received_at.utcoffset() == timedelta(0) and before <= built.received_at <= after
    given = WebhookRequest("POST", received_at=SIMULATED)
    assert given.received_at == SIMULATED


def test_a_naive_receipt_time_is_refused_saying_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"timezone-aware \(e\.g\. datetime\.now\(UTC\)\)"):
        WebhookRequest("POST", received_at=datetime(2026, 3, 2, 8, 0))  # noqa: DTZ001 - the point
