"""A helpdesk whose webhooks are thin reads the helpdesk while parsing (``parse_webhook`` is a
coroutine): the receiver awaits it, bounded; a read that cannot finish now (it hangs, the
helpdesk fails or refuses) is answered 503 with ``Retry-After``, so the vendor delivers again and
nothing is attributed by guess; a refused shape is still the 4xx it names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest_asyncio
from temporalio.client import Client

from serviceflow.adapters import AdapterBase, Identity, WebhookRequest, parse_events
from serviceflow.errors import ServiceflowError
from serviceflow.fakes.server import free_port
from serviceflow.model import TicketEvent
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.server import serving


class HelpdeskDown(ServiceflowError):
    retryable = True


class ThinDesk(AdapterBase):
    """Parses by "reading the helpdesk": what the body names happens during that read."""

    vendor = "thin-desk"

    def __init__(self) -> None:
        self.reads = 0
        self.never = asyncio.Event()

    @hookimpl
    def serviceflow_register_adapters(self, register: Callable[..., None]) -> None:
        register(self)

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        return WebhookVerdict.accept(account="acme")

    async def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        self.reads += 1
        what = request.body.decode()
        if what == "hangs":
            await self.never.wait()  # the helpdesk never answers
        if what == "down":
            raise HelpdeskDown("the helpdesk answered 502")
        if what == "refused":
            raise ServiceflowError("the helpdesk refused the credentials (401)")
        if what == "bad":
            raise WebhookRejected("unknown_shape", "id: not a number")
        return []  # nothing for a case: no Temporal needed

    async def whoami(self, account: str) -> Identity:
        return Identity(vendor=self.vendor, account=account, id="900", name="serviceflow")


@pytest_asyncio.fixture
async def desk() -> AsyncIterator[ThinDesk]:
    plugin = ThinDesk()
    get_plugin_manager().register(plugin, name="thin-desk")
    try:
        yield plugin
    finally:
        get_plugin_manager().unregister(plugin)


async def no_temporal() -> Client:
    raise AssertionError("nothing may be signalled")


async def test_a_thin_delivery_is_read_and_a_read_that_cannot_finish_is_delivered_again(
    desk: ThinDesk,
) -> None:
    receiver = Receiver(connect=no_temporal, task_queue="never", parse_timeout=0.2)
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/thin-desk"
    async with serving(receiver, "127.0.0.1", port), httpx.AsyncClient() as http:
        taken = await http.post(url, content=b"fine")
        hung = await http.post(url, content=b"hangs")
        down = await http.post(url, content=b"down")
        refused = await http.post(url, content=b"refused")
        bad = await http.post(url, content=b"bad")
        metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert taken.status_code == 200 and taken.json() == {"accepted": 0, "duplicates": 0}
    for answer in (hung, down, refused):
        assert answer.status_code == 503 and answer.headers["retry-after"], answer.text
        assert answer.json()["error"] == "helpdesk_unavailable"
    assert "502" not in refused.text and "credentials" not in hung.text  # details stay in the log
    assert bad.status_code == 400 and bad.json()["error"] == "unknown_shape"
    assert desk.reads == 5
    assert 'reason="helpdesk_unavailable"' in metrics


async def test_parse_events_awaits_a_thin_parser_and_calls_a_plain_one(desk: ThinDesk) -> None:
    identity = await desk.whoami("acme")
    assert (
        await parse_events(desk, WebhookRequest("POST", {}, b"fine"), account="acme", identity=identity) == []
    )

    class Plain(ThinDesk):
        def parse_webhook(  # type: ignore[override]
            self, request: WebhookRequest, *, account: str, identity: Identity
        ) -> list[TicketEvent]:
            return []

    assert await parse_events(Plain(), WebhookRequest("POST"), account="acme", identity=identity) == []
