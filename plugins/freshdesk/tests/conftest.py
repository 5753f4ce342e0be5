"""Fixtures for the Freshdesk plugin tests: one real fake on 127.0.0.1, reset per test.

One fake server serves the whole session (starting one takes ~20 ms, stopping ~200 ms) and is
reset before each test. Its webhook retries wait zero seconds instead of Freshdesk's 5, 30 and 60
minutes, so a redelivery is immediate. Settings reach the plugin as in production, through
``SERVICEFLOW_FRESHDESK_*`` variables (set with monkeypatch).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from freshdesk_contract import FreshdeskDesk
from freshdesk_testing import SECRET, SleepRecorder, WebhookReceiver, undocumented
from serviceflow_freshdesk import FreshdeskAdapter
from serviceflow_freshdesk.adapter import aclose_clients
from serviceflow_freshdesk.client import FreshdeskClient
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.settings import FreshdeskSettings
from serviceflow_freshdesk.webhooks import DEFAULT_CHANGE_FIELD

from serviceflow import testing


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "undocumented_requests: the test sends requests Freshdesk does not document, on purpose"
    )


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for every client of the session (httpx builds one per client otherwise)."""
    return ssl.create_default_context()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeFreshdesk]:
    """The session's fake Freshdesk server (use :func:`fake` in tests)."""
    with FakeFreshdesk(webhook_retry_delays=(0.0, 0.0, 0.0)) as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeFreshdesk, request: pytest.FixtureRequest) -> Iterator[FakeFreshdesk]:
    """A fresh fake account for one test. Afterwards every request the plugin's client made in
    the test is held to Freshdesk's documented fields (``fake/api_v2_fields.json``): a test whose
    adapter sent an undocumented field or parameter fails in its teardown. Tests that send bad
    requests on purpose are marked ``undocumented_requests``."""
    fake_server.reset()
    yield fake_server
    if request.node.get_closest_marker("undocumented_requests") is None:
        problems = undocumented(fake_server.calls)
        assert not problems, "requests Freshdesk does not document:\n" + "\n".join(problems)


@pytest.fixture
async def freshdesk(fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFreshdesk]:
    """The fake, with the plugin's settings pointing at it; the plugin's clients closed after."""
    for name in ("DOMAIN", "CUSTOM_STATUSES", "ON_HOLD_STATUS", "WEBHOOK_HEADER"):
        monkeypatch.delenv(f"SERVICEFLOW_FRESHDESK_{name}", raising=False)
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_BASE_URL", fake.base_url)
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_API_KEY", fake.api_key)
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET", SECRET)
    yield fake
    await aclose_clients()


@pytest.fixture
def sleeps() -> SleepRecorder:
    """The delays the client asked to sleep, in order."""
    return SleepRecorder()


@pytest.fixture
async def make_client(
    fake: FakeFreshdesk, sleeps: SleepRecorder, tls: ssl.SSLContext
) -> AsyncIterator[Callable[..., FreshdeskClient]]:
    """Build clients pointed at the fake (the admin's API key, recorded sleeps); closed after."""
    made: list[FreshdeskClient] = []

    def build(**kwargs: Any) -> FreshdeskClient:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("verify", tls)
        client = FreshdeskClient(fake.base_url, kwargs.pop("api_key", fake.api_key), **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., FreshdeskClient]) -> FreshdeskClient:
    """A client with default settings."""
    return make_client()


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver("freshdesk")
    with receiver.server:
        yield receiver


@pytest.fixture
def receiver(receiver_server: WebhookReceiver, freshdesk: FakeFreshdesk) -> WebhookReceiver:
    """A fresh webhook receiver verifying with the plugin (settings from :func:`freshdesk`)."""
    receiver_server.reset()
    return receiver_server


@pytest.fixture
async def helpdesk_contract(fake: FakeFreshdesk) -> AsyncIterator[testing.ContractTarget]:
    """serviceflow's conformance suite (``serviceflow.testing``) against the fake: the adapter
    with its own settings (its own changes stamped), pages of two, sleeps recorded."""
    sleeps = testing.SleepRecorder()
    settings = FreshdeskSettings(
        _env_file=None,  # type: ignore[call-arg]
        domain=None,
        base_url=fake.base_url,
        api_key=fake.api_key,
        webhook_secret=SECRET,
        change_field=DEFAULT_CHANGE_FIELD,
        custom_statuses={},
        on_hold_status=None,
    )
    adapter = FreshdeskAdapter(settings, client_options={"page_size": 2, "sleep": sleeps})
    yield testing.ContractTarget(
        adapter=adapter, account="127.0.0.1", desk=FreshdeskDesk(fake), sleeps=sleeps.delays
    )
    await adapter.aclose()
