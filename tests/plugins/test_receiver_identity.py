"""The receiver attributes no delivery before it knows who serviceflow is in the account: while the
helpdesk cannot say (down, or credentials that act as no one) deliveries get 503 with
``Retry-After`` and nothing is parsed or signalled; once it can, the identity is asked once and
every parse gets it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest_asyncio
from temporalio.client import Client

from serviceflow.adapters import AdapterBase, Identity, WebhookRequest
from serviceflow.fakes.server import free_port
from serviceflow.model import TicketEvent
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.webhooks import WebhookVerdict
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving


class Desk(AdapterBase):
    vendor = "identity-desk"

    def __init__(self) -> None:
        self.down = True
        self.asked = 0
        self.parsed_with: list[Identity] = []

    @hookimpl
    def serviceflow_register_adapters(self, register: Callable[..., None]) -> None:
        register(self)

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        return WebhookVerdict.accept(account="acme")

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        self.parsed_with.append(identity)
        return []  # nothing for a case: no Temporal needed

    async def whoami(self, account: str) -> Identity:
        self.asked += 1
        if self.down:
            raise ConnectionError("connection refused")
        return Identity(vendor=self.vendor, account=account, id="900", name="serviceflow")


@pytest_asyncio.fixture
async def desk() -> AsyncIterator[Desk]:
    plugin = Desk()
    get_plugin_manager().register(plugin, name="identity-desk")
    try:
        yield plugin
    finally:
        get_plugin_manager().unregister(plugin)


async def no_temporal() -> Client:
    raise AssertionError("nothing may be signalled")


async def test_no_delivery_is_taken_before_the_identity_is_known(desk: Desk) -> None:
    receiver = Receiver(connect=no_temporal, task_queue="never")
    receiver.identities.retry_after = 0  # ask again on every delivery, to see the recovery
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/identity-desk"
    async with serving(receiver, "127.0.0.1", port), httpx.AsyncClient() as http:
        refused = await http.post(url, content=b"{}")
        desk.down = False
        taken = await http.post(url, content=b"{}")
        again = await http.post(url, content=b"{}")
        metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert refused.json()["error"] == "identity_unknown"
    assert (taken.status_code, again.status_code) == (200, 200)
    assert desk.asked == 2  # once refused, once learned: then kept
    assert [i.id for i in desk.parsed_with] == ["900", "900"]
    assert 'reason="identity_unknown"' in metrics
