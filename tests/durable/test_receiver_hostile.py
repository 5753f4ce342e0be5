"""The receiver against hostile deliveries over real HTTP: bounded metric labels, a 400 naming the
field for every signed delivery of the wrong shape, the account only from configuration, plugin
failures that never become a 500, and no body text in any log line."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hostile_support import (
    ACCOUNT,
    SIGNERS,
    Misbehaving,
    configure_plugins,
    dumps,
    freshdesk_body,
    known_identities,
    misbehaving,
    zendesk_envelope,
    zendesk_headers,
)
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from serviceflow.fakes.server import free_port
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.metrics import MAX_REASONS
from serviceflow.receiver.server import serving

__all__ = ["misbehaving"]


@pytest_asyncio.fixture
async def receiving(env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """(url, receiver): both plugins configured for account acme; no worker behind it."""
    configure_plugins(monkeypatch)

    async def connect() -> Client:
        return env.client

    receiver = Receiver(
        connect=connect,
        task_queue=f"hostile-{uuid.uuid4()}",
        index_requester=False,
        identities=known_identities(),
    )
    port = free_port()
    async with serving(receiver, "127.0.0.1", port):
        yield f"http://127.0.0.1:{port}", receiver


async def post(url: str, vendor: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    raw = body if isinstance(body, bytes) else dumps(body)
    signed = SIGNERS[vendor](raw) if vendor in SIGNERS else {}
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{url}/webhooks/{vendor}", content=raw, headers={**signed, **(headers or {})})


def signalled(receiver: Receiver, vendor: str) -> float:
    return (
        receiver.metrics.registry.get_sample_value("serviceflow_events_signalled_total", {"vendor": vendor})
        or 0
    )


async def test_a_path_with_a_trailing_slash_is_not_found_never_redirected(receiving) -> None:  # type: ignore[no-untyped-def]
    """Starlette redirected ``/webhooks/zendesk/`` (307) to ``http://<the Host header>/...``: an
    address the sender chose, over plain HTTP; a helpdesk that follows it posts elsewhere."""
    url, _ = receiving
    async with httpx.AsyncClient() as http:
        for path in ("/webhooks/zendesk/", "/healthz/", "/readyz/", "/metrics/"):
            answer = await http.post(f"{url}{path}", content=b"{}", headers={"host": "evil.example"})
            assert answer.status_code in (404, 405) and "location" not in answer.headers, (path, answer)
            answer = await http.get(f"{url}{path}", headers={"host": "evil.example"})
            assert answer.status_code == 404 and "location" not in answer.headers, (path, answer)


# -- 1. metric labels -----------------------------------------------------------------------------


async def test_unknown_vendors_share_one_label_and_metrics_stay_small(receiving) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    async with httpx.AsyncClient() as http:
        for n in range(300):
            answer = await http.post(f"{url}/webhooks/v{n}-{uuid.uuid4().hex}", content=b"{}")
            assert answer.status_code == 404
        scraped = await http.get(f"{url}/metrics")
    vendors = {
        sample.labels["vendor"]
        for metric in receiver.metrics.registry.collect()
        for sample in metric.samples
        if "vendor" in sample.labels
    }
    assert vendors <= receiver.vendors() | {"unknown"}
    assert (
        receiver.metrics.registry.get_sample_value(
            "serviceflow_webhook_rejected_total", {"vendor": "unknown", "reason": "unknown_vendor"}
        )
        == 300
    )
    assert len(scraped.content) < 20_000


async def test_reason_labels_are_bounded(receiving, misbehaving: Misbehaving) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    receiver._vendors = None  # the misbehaving plugin was registered after the app was built
    for _ in range(MAX_REASONS + 20):
        answer = await post(url, "hostile", {}, {"x-do": "refuse-new-reason"})
        assert answer.status_code == 401
    reasons = {
        sample.labels["reason"]
        for metric in receiver.metrics.registry.collect()
        for sample in metric.samples
        if sample.labels.get("vendor") == "hostile" and "reason" in sample.labels
    }
    assert len(reasons) <= MAX_REASONS + 1 and "other" in reasons


# -- 5. signed input of the wrong shape never makes a 500 ---------------------------------------------


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
async def test_json_nested_100000_deep_is_a_400(receiving, vendor: str) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    answer = await post(url, vendor, b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400, answer.text
    assert signalled(receiver, vendor) == 0


@pytest.mark.parametrize(
    ("vendor", "body", "field"),
    [
        ("zendesk", zendesk_envelope(subject="\ud800 lone"), "ticket.subject"),
        ("zendesk", zendesk_envelope(description="ok \udfff"), "body"),
        ("freshdesk", freshdesk_body(ticket_subject="\ud800"), "ticket.subject"),
    ],
)
async def test_lone_surrogates_are_a_400_naming_the_field(
    receiving, vendor: str, body: Any, field: str
) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    answer = await post(url, vendor, body)
    assert answer.status_code == 400 and signalled(receiver, vendor) == 0
    assert answer.json().get("field") == field, answer.text


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"x-do": "verify-raises"}, "unparseable"),
        ({"x-do": "recursion"}, "unparseable"),
        ({"x-do": "type-error"}, "unparseable"),
        ({"x-do": "not-a-list"}, "unparseable"),
    ],
)
async def test_a_plugin_that_raises_or_answers_nonsense_gives_a_400(  # type: ignore[no-untyped-def]
    receiving,
    misbehaving: Misbehaving,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    reason: str,
) -> None:
    url, receiver = receiving
    receiver._vendors = None
    with caplog.at_level(logging.INFO):
        answer = await post(url, "hostile", {"secret-body": "SECRET-BODY-TEXT-12345678901234567890"}, headers)
    assert (answer.status_code, answer.json()["error"]) == (400, reason)
    lines = [r for r in caplog.records if r.name == "serviceflow.receiver"]
    assert len(lines) == 2, [r.getMessage() for r in lines]  # the plugin's failure, the refusal
    assert all(r.exc_info is None for r in caplog.records)
    assert "SECRET-BODY-TEXT" not in caplog.text


# -- 3. times -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "body", "field"),
    [
        ("zendesk", zendesk_envelope(created_at="9999-12-31T23:59:59Z"), "ticket.created_at"),
        ("zendesk", {**zendesk_envelope(), "time": "9999-12-31T23:59:59Z"}, "time"),
        ("zendesk", zendesk_envelope(updated_at="0001-01-01T00:00:00Z"), "ticket.updated_at"),
    ],
)
async def test_times_outside_the_window_are_a_400(receiving, vendor: str, body: Any, field: str) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    answer = await post(url, vendor, body)
    assert (answer.status_code, answer.json().get("field")) == (400, field), answer.text
    assert signalled(receiver, vendor) == 0


async def test_a_time_beyond_the_clock_skew_is_a_400(receiving) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    ahead = (datetime.now(UTC) + receiver.limits.clock_skew + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    answer = await post(url, "zendesk", {**zendesk_envelope(), "time": ahead})
    assert (answer.status_code, answer.json().get("field")) == (400, "time"), answer.text


# -- 4. ids ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
@pytest.mark.parametrize("bad", ["", "٤", "4\x00", "4\n", "a/b", "../4", "🎫", "4" * 200])
async def test_ids_no_case_can_hold_are_a_400_naming_the_field(receiving, vendor: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    url, receiver = receiving
    if vendor == "freshdesk" and bad.strip() != bad:
        pytest.skip("Freshdesk values are stripped of surrounding whitespace: '4\\n' is ticket 4")
    body = zendesk_envelope(ticket_id=bad) if vendor == "zendesk" else freshdesk_body(ticket_id=bad)
    answer = await post(url, vendor, body)
    assert answer.status_code == 400, answer.text
    assert answer.json().get("field") in ("ticket.id", None)  # None: the plugin's own message
    assert signalled(receiver, vendor) == 0


# -- 8. the account only from configuration -------------------------------------------------------


async def test_an_account_from_an_unsigned_header_is_never_taken(  # type: ignore[no-untyped-def]
    receiving, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, receiver = receiving
    monkeypatch.delenv("SERVICEFLOW_ZENDESK_SUBDOMAIN")
    answer = await post(url, "zendesk", zendesk_envelope(), {"x-zendesk-account-id": "attacker"})
    assert (answer.status_code, answer.json()["error"]) == (503, "account_not_configured")
    assert signalled(receiver, "zendesk") == 0


async def test_events_naming_another_account_than_the_verdict_are_refused(  # type: ignore[no-untyped-def]
    receiving, misbehaving: Misbehaving
) -> None:
    url, receiver = receiving
    receiver._vendors = None
    now = datetime.now(UTC)
    ticket = Ticket(
        id="9",
        vendor="hostile",
        account="attacker",
        requester=Requester(id="r"),
        created_at=now,
        updated_at=now,
    )
    misbehaving.events = lambda: [
        TicketEvent(
            id="e", kind=EventKind.CREATED, time=now, actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket
        )
    ]
    answer = await post(url, "hostile", {}, {"x-do": "events"})
    assert (answer.status_code, answer.json()["field"]) == (401, "ticket.account")
    assert signalled(receiver, "hostile") == 0


# -- 9. no body text in the logs ------------------------------------------------------------------


MARKER = "MARKER-7f3a9c1e-body-text-that-must-never-be-logged"


def marked_deliveries() -> list[tuple[str, bytes, dict[str, str]]]:
    """Deliveries that are each refused, every one carrying MARKER in the body."""
    envelope = zendesk_envelope(subject=MARKER, description=MARKER)
    fd = freshdesk_body(ticket_subject=MARKER)
    return [
        ("zendesk", dumps(envelope), zendesk_headers(dumps(envelope), "wrong-secret")),
        ("zendesk", MARKER.encode() + b"{", {}),
        ("zendesk", dumps({"hello": MARKER}), {}),
        ("zendesk", dumps(zendesk_envelope(ticket_id=f"{MARKER}/x")), {}),
        ("zendesk", dumps(zendesk_envelope(subject=MARKER, created_at="9999-12-31T23:59:59Z")), {}),
        ("zendesk", dumps(zendesk_envelope(subject=MARKER + "\ud800")), {}),
        ("zendesk", dumps({"type": "zen:event-type:ticket.created", "id": MARKER, "detail": MARKER}), {}),
        ("freshdesk", dumps(freshdesk_body(ticket_id=MARKER)), {}),
        (
            "freshdesk",
            dumps(freshdesk_body(ticket_subject=MARKER, requester_id="", requester_email=f"{MARKER} x")),
            {},
        ),
        ("freshdesk", dumps(freshdesk_body(triggered_event="{" + MARKER)), {}),
        (
            "freshdesk",
            dumps({**fd, "freshdesk_webhook": {**fd["freshdesk_webhook"], "ticket_id": [MARKER]}}),
            {},
        ),
        ("hostile", dumps({"x": MARKER}), {"x-do": "log-body"}),
        ("hostile", dumps({"x": MARKER}), {"x-do": "type-error"}),
        ("hostile", dumps({"x": MARKER}), {"x-do": "verify-raises"}),
    ]


async def test_no_refused_delivery_puts_its_body_in_any_log_line(  # type: ignore[no-untyped-def]
    receiving, misbehaving: Misbehaving, caplog: pytest.LogCaptureFixture
) -> None:
    from serviceflow.receiver import logs

    url, receiver = receiving
    receiver._vendors = None
    logs.install(logging.getLogger())  # as serving() does for the handlers present at start
    caplog.handler.addFilter(logs.NoBodyText())
    statuses = []
    with caplog.at_level(logging.DEBUG):
        for vendor, raw, headers in marked_deliveries():
            answer = await post(url, vendor, raw, headers)
            statuses.append(answer.status_code)
    assert [i for i, s in enumerate(statuses) if not 400 <= s < 500] == [], statuses
    assert MARKER not in caplog.text
    assert MARKER[:20] not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)


def test_the_filter_finds_a_quote_of_the_body_and_nothing_else() -> None:
    from serviceflow.receiver.logs import quotes_body

    body = json.dumps({"subject": MARKER, "n": 1})
    assert quotes_body(f"could not read '{MARKER[5:40]}' here", body)
    assert not quotes_body("webhook vendor=zendesk status=400 reason=not_json", body)
    assert not quotes_body("a" * 11 + "b", "ab" * 100_000)


def test_the_accepted_line_is_never_searched_for_a_quote() -> None:
    # Its arguments are an installed vendor's name and two counts: it cannot quote a body, so
    # the filter lets it through without the search (once per webhook), even for a body that
    # happens to hold its words.
    from serviceflow.receiver import logs

    line = logs.ACCEPTED % ("zendesk", 1, 0)
    record = logging.LogRecord(
        "serviceflow.receiver", logging.INFO, __file__, 1, logs.ACCEPTED, ("zendesk", 1, 0), None
    )
    with logs.handling(json.dumps({"subject": line}).encode()):
        assert logs.NoBodyText().filter(record)
    assert record.getMessage() == line


async def test_the_account_check_at_start_refuses_a_receiver_no_account_is_configured_for(
    misbehaving: Misbehaving,
) -> None:
    from serviceflow.adapters import AdapterBase
    from serviceflow.plugins import get_plugin_manager, hookimpl
    from serviceflow.receiver.accounts import AccountNotConfigured, check_accounts

    class Unnamed(AdapterBase):
        vendor = "unnamed"
        description = "cannot name its account"

        @hookimpl
        def serviceflow_register_adapters(self, register):  # type: ignore[no-untyped-def]
            register(self)

    manager = get_plugin_manager()
    manager.register(Unnamed(), name="unnamed")
    try:
        assert check_accounts({"hostile", "unnamed"}) == {"hostile": (ACCOUNT,), "unnamed": ()}
        with pytest.raises(AccountNotConfigured, match="no installed helpdesk has a configured account"):
            check_accounts({"unnamed"})
        assert check_accounts({"unnamed"}, require=False) == {"unnamed": ()}
    finally:
        manager.unregister(name="unnamed")
