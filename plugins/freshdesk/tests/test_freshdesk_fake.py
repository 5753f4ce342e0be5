"""The fake Freshdesk's own contract, over raw HTTP: what a third-party client would meet."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from freshdesk_testing import WebhookReceiver
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.fake.seed import seed_demo


def http(fake: FakeFreshdesk, key: str | None = None) -> httpx.Client:
    token = base64.b64encode(f"{key or fake.api_key}:X".encode()).decode()
    return httpx.Client(base_url=fake.base_url, headers={"Authorization": f"Basic {token}"})


def test_unauthenticated_requests_get_401_with_a_code(fake: FakeFreshdesk) -> None:
    with httpx.Client(base_url=fake.base_url) as anonymous:
        response = anonymous.get("/api/v2/tickets")
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    with http(fake, "wrong") as wrong:
        assert wrong.get("/api/v2/tickets").status_code == 401


def test_validation_errors_have_freshdesk_shape(fake: FakeFreshdesk) -> None:
    ticket = fake.add_ticket()
    with http(fake) as api:
        response = api.put(f"/api/v2/tickets/{ticket['id']}", json={"colour": "red", "priority": 7})
        assert response.status_code == 400
        body = response.json()
        assert body["description"] == "Validation failed"
        assert {(e["field"], e["code"]) for e in body["errors"]} == {("colour", "invalid_field")}
        bad = api.put(
            f"/api/v2/tickets/{ticket['id']}", content=b"{", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_json"
        assert api.get("/api/v2/tickets", params={"per_page": "101"}).status_code == 400
        assert api.get("/api/v2/tickets", params={"filter": "everything"}).status_code == 400
        assert api.get("/api/v2/nothing-here").status_code == 404


def test_rate_limit_headers_and_an_enforced_budget(fake: FakeFreshdesk) -> None:
    fake.rate_window.limit = 2
    fake.enforce_rate_limit = True
    try:
        with http(fake) as api:
            first = api.get("/api/v2/agents")
            assert first.headers["x-ratelimit-total"] == "2"
            assert first.headers["x-ratelimit-remaining"] == "1"
            api.get("/api/v2/agents")
            limited = api.get("/api/v2/agents")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    finally:
        fake.rate_window.limit = 200


def test_trash_and_spam_are_their_own_lists(fake: FakeFreshdesk) -> None:
    normal, spam, trashed = (
        fake.add_ticket("normal"),
        fake.add_ticket("spam", spam=True),
        fake.add_ticket("gone"),
    )
    with http(fake) as api:
        assert api.delete(f"/api/v2/tickets/{trashed['id']}").status_code == 204
        assert api.get(f"/api/v2/tickets/{trashed['id']}").json()["deleted"] is True
        # "Updating or deleting a ticket that has been marked as spam or deleted will now return
        # a '405 Method Not Allowed'" (FD-docs line 164); Freshdesk's code allows GET only.
        for method, ticket in (("DELETE", trashed), ("DELETE", spam), ("PUT", trashed), ("PUT", spam)):
            answer = api.request(
                method, f"/api/v2/tickets/{ticket['id']}", json={"status": 2} if method == "PUT" else None
            )
            assert (answer.status_code, answer.headers.get("allow")) == (405, "GET"), (
                method,
                ticket["subject"],
            )
        # spam is no field of Update a Ticket (FD-docs lines 1461-1497): 400 invalid_field.
        unspam = api.put(f"/api/v2/tickets/{normal['id']}", json={"spam": False})
        assert unspam.status_code == 400
        assert unspam.json()["errors"] == [
            {"field": "spam", "message": "Unexpected/invalid field in request", "code": "invalid_field"}
        ]
        ids = lambda **params: [t["id"] for t in api.get("/api/v2/tickets", params=params).json()]  # noqa: E731
        assert ids() == [normal["id"]]
        assert ids(filter="spam") == [spam["id"]]
        assert ids(filter="deleted") == [trashed["id"]]


def test_webhook_bodies_render_display_strings_json_escaped(
    fake: FakeFreshdesk, receiver: WebhookReceiver
) -> None:
    fake.add_rule(receiver.url, "ticket_created", secret="s")
    fake.add_ticket(
        'Say "hi"',
        description='<div class="x">Line</div>',
        priority=4,
        source=10,
        tags=["a", "b c"],
        notify=True,
    )
    (delivery,) = fake.wait_for_deliveries(1)
    body = json.loads(delivery.body)["freshdesk_webhook"]
    assert body["triggered_event"] == "{ticket_action:created}"
    assert (body["ticket_subject"], body["ticket_description"]) == ('Say "hi"', '<div class="x">Line</div>')
    assert (body["ticket_status"], body["ticket_priority"], body["ticket_source"]) == (
        "Open",
        "Urgent",
        "Outbound Email",
    )
    assert body["ticket_tags"] == "a, b c"
    assert delivery.headers["x-serviceflow-secret"] == "s" and "date" in delivery.headers


def test_an_update_reports_only_its_first_change(fake: FakeFreshdesk, receiver: WebhookReceiver) -> None:
    fake.add_rule(receiver.url, "ticket_updated", secret="s")
    ticket = fake.add_ticket()
    fake.update_ticket(ticket["id"], {"status": 3, "priority": 4})
    fake.update_ticket(ticket["id"], {"tags": ["only-tags"]})  # no rule event: no call
    (delivery,) = fake.wait_for_deliveries(1)
    fake.wait_idle()
    assert delivery.triggered_event == "{status:{from:2,to:3}}"
    assert len(fake.deliveries) == 1


def test_the_demo_seed(fake: FakeFreshdesk) -> None:
    seeded = seed_demo(fake)
    assert {g["name"] for g in fake.groups()} == {"Triage", "Frontline", "Billing", "Logistics"}
    spam = fake.ticket(seeded["tickets"]["spam"]["id"])
    assert spam["spam"] is True
    assert fake.ticket(seeded["tickets"]["late_parcel"]["id"])["status"] == 6
    with pytest.raises(KeyError):
        fake.add_agent("Nobody", email="n@example.com", groups=[1])
