"""Helpers for the hostile-input tests of the receiver: signed deliveries for both plugins, a
plugin that misbehaves on purpose, and a receiver served from a thread of its own (so hypothesis'
synchronous tests can post to it over real HTTP)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from zendesk_deliveries import signed_headers

from serviceflow.adapters import AdapterBase, Identities, Identity, WebhookRequest
from serviceflow.fakes.server import free_port
from serviceflow.model import TicketEvent
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.webhooks import WebhookVerdict
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.server import serving

SECRET = "sf-hostile-test-secret"
ACCOUNT = "acme"
#: The integration's own user in each test helpdesk (its API is not reached by these tests).
OWN_USER = "900"


def known_identities() -> Identities:
    """Identities as a receiver would have learned them from each helpdesk's ``whoami``."""
    identities = Identities()
    for vendor in ("zendesk", "freshdesk", "hostile"):
        identities.learn(Identity(vendor=vendor, account=ACCOUNT, id=OWN_USER, name="serviceflow"))
    return identities


def configure_plugins(monkeypatch: pytest.MonkeyPatch, *, account: bool = True) -> None:
    """Both plugins with a webhook secret; with ``account``, their account named (acme)."""
    for name in ("SUBDOMAIN", "BASE_URL", "OAUTH_TOKEN", "EMAIL", "API_TOKEN"):
        monkeypatch.delenv(f"SERVICEFLOW_ZENDESK_{name}", raising=False)
    for name in ("DOMAIN", "BASE_URL", "API_KEY", "WEBHOOK_HEADER", "CUSTOM_STATUSES"):
        monkeypatch.delenv(f"SERVICEFLOW_FRESHDESK_{name}", raising=False)
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET", SECRET)
    if account:
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_SUBDOMAIN", ACCOUNT)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_DOMAIN", ACCOUNT)


def zendesk_headers(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    return signed_headers(secret, raw)


def freshdesk_headers(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    basic = base64.b64encode(f"serviceflow:{secret}".encode()).decode()
    return {"content-type": "application/json", "authorization": f"Basic {basic}"}


SIGNERS: dict[str, Callable[[bytes], dict[str, str]]] = {
    "zendesk": zendesk_headers,
    "freshdesk": freshdesk_headers,
}


def zendesk_envelope(ticket_id: str = "4", **detail: Any) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "type": "zen:event-type:ticket.created",
        "account_id": 1,
        "id": f"evt-{uuid.uuid4()}",
        "time": now,
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{ticket_id}",
        "detail": {
            "id": ticket_id, "subject": "Charged twice", "status": "NEW", "priority": None,
            "requester_id": "77", "assignee_id": None, "group_id": None, "tags": [],
            "created_at": now, "updated_at": now, "via": {"channel": "web"},
            "description": "Please help.", **detail,
        },
        "event": {},
    }  # fmt: skip


def freshdesk_body(ticket_id: str = "4", **fields: Any) -> dict[str, Any]:
    return {
        "freshdesk_webhook": {
            "ticket_id": ticket_id, "ticket_subject": "Charged twice", "ticket_status": "Open",
            "ticket_priority": "Medium", "ticket_source": "Email", "requester_id": "77",
            "requester_email": "dana@customer.example", "ticket_tags": "",
            "triggered_event": "{ticket_action:created}", "serviceflow_event": "ticket_created",
            **fields,
        }
    }  # fmt: skip


@dataclass(eq=False)  # pluggy keeps plugins in sets
class Misbehaving(AdapterBase):
    """An adapter for vendor ``hostile``: each delivery's ``x-do`` header says what to do."""

    events: Callable[[], list[TicketEvent]] | None = None
    reasons: int = 0
    vendor: str = "hostile"
    description: str = "misbehaves on purpose"

    @hookimpl
    def serviceflow_register_adapters(self, register):  # type: ignore[no-untyped-def]
        register(self)

    def accounts(self) -> tuple[str, ...]:
        return (ACCOUNT,)

    async def whoami(self, account: str) -> Identity:
        return Identity(vendor=self.vendor, account=account, id="900", name="serviceflow")

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        if request.headers.get("x-do") == "verify-raises":
            raise ValueError(f"cannot verify {request.body.decode(errors='replace')}")
        if request.headers.get("x-do") == "refuse-new-reason":
            self.reasons += 1
            return WebhookVerdict.refuse(f"reason_{self.reasons}")
        return WebhookVerdict.accept(account=ACCOUNT)

    def parse_webhook(self, request: WebhookRequest, *, account: str, identity: Identity) -> Any:
        what = request.headers.get("x-do", "")
        text = request.body.decode(errors="replace")
        if what == "recursion":
            raise RecursionError("maximum recursion depth exceeded")
        if what == "type-error":
            raise TypeError(f"unhashable: {text}")
        if what == "log-body":
            import logging

            logging.getLogger("hostile.plugin").warning("could not read %s", text)
            raise KeyError(text)
        if what == "not-a-list":
            return {"events": text}
        if what == "events" and self.events is not None:
            return self.events()
        return []


@pytest.fixture
def misbehaving() -> Iterator[Misbehaving]:
    plugin = Misbehaving()
    manager = get_plugin_manager()
    manager.register(plugin, name="misbehaving")
    try:
        yield plugin
    finally:
        manager.unregister(name="misbehaving")


@dataclass
class ThreadedReceiver:
    """A receiver on 127.0.0.1 served from a loop in its own thread, with its own Temporal client."""

    target: str
    limits: ReceiverLimits = field(default_factory=ReceiverLimits)
    receiver: Receiver | None = None
    url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    def start(self) -> ThreadedReceiver:
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main(ready)), daemon=True)
        self._thread.start()
        ready.result(timeout=30)
        return self

    async def _main(self, ready: Future[None]) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            client = await Client.connect(self.target, data_converter=pydantic_data_converter)

            async def connect() -> Client:
                return client

            self.receiver = Receiver(
                connect=connect,
                task_queue=f"hostile-{uuid.uuid4()}",
                index_requester=False,
                limits=self.limits,
                identities=known_identities(),
            )
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            async with serving(self.receiver, "127.0.0.1", port):
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - hand it to the waiting test
            if not ready.done():
                ready.set_exception(exc)
            raise

    def case_exists(self, case_id: str) -> bool:
        """Whether Temporal has a workflow of that id (asked on the receiver's own loop)."""
        assert self._loop is not None and self.receiver is not None
        receiver = self.receiver

        async def ask() -> bool:
            from temporalio.service import RPCError

            try:
                await (await receiver.client()).get_workflow_handle(case_id).describe()
            except RPCError:
                return False
            return True

        return asyncio.run_coroutine_threadsafe(ask(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=20)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
