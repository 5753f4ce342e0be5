"""The fake Help Scout behaves as Help Scout documents it (CONTRACTS.md), over raw HTTP: the token
endpoint, HAL lists, created threads, PATCH and PUT answers, the documented errors, merges, and
the signed webhooks every change causes, serviceflow's own included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from helpscout_testing import SECRET
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.signature import sign

from serviceflow.testing import ContractReceiver


@pytest.fixture
async def http(fake: FakeHelpScout) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        token = await client.post(
            "/v2/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": fake.app_id,
                "client_secret": fake.app_secret,
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


@pytest.fixture
def receiver() -> AsyncIterator[ContractReceiver]:
    endpoint = ContractReceiver()
    with endpoint.server:
        yield endpoint  # type: ignore[misc]


def conversation(fake: FakeHelpScout, *, notify: bool = False) -> int:
    customer = fake.add_customer("Casey Customer", "casey@example.com")
    return int(
        fake.open_conversation(customer["id"], "Charged twice", "Please refund one.", notify=notify)["id"]
    )


async def test_tokens_come_from_form_or_json_and_nothing_else_works(fake: FakeHelpScout) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": fake.app_id,
            "client_secret": fake.app_secret,
        }
        issued = (await client.post("/v2/oauth2/token", data=form)).json()
        assert (
            issued["token_type"] == "bearer"
            and issued["expires_in"] == 172800
            and "refresh_token" not in issued
        )
        wrong = await client.post("/v2/oauth2/token", data={**form, "client_secret": "nope"})
        assert wrong.status_code == 401
        assert (await client.get("/v2/users/me")).status_code == 401
        me = await client.get("/v2/users/me", headers={"Authorization": f"Bearer {issued['access_token']}"})
        assert me.json()["id"] == fake.owner["id"] and me.json()["companyId"] == 1


async def test_lists_are_hal_pages(fake: FakeHelpScout, http: httpx.AsyncClient) -> None:
    for n in range(3):
        fake.add_user(f"Agent {n}", f"a{n}@shop.example")
    first = (await http.get("/v2/users")).json()
    assert first["page"] == {"size": 2, "totalElements": 4, "totalPages": 2, "number": 1}
    assert len(first["_embedded"]["users"]) == 2 and "next" in first["_links"]
    last = (await http.get("/v2/users", params={"page": 2})).json()
    assert "next" not in last["_links"] and last["_links"]["previous"]["href"].endswith("page=1")
    empty = await http.get("/v2/teams")
    assert "_embedded" not in empty.json() and empty.headers["content-type"].startswith(
        "application/hal+json"
    )


async def test_the_conversation_list_defaults_to_active_and_filters(
    fake: FakeHelpScout, http: httpx.AsyncClient
) -> None:
    open_one, closed = conversation(fake), conversation(fake)
    fake.set_status(closed, fake.owner["id"], "closed")
    listed = (await http.get("/v2/conversations")).json()["_embedded"]["conversations"]
    assert [c["id"] for c in listed] == [open_one]
    every = (await http.get("/v2/conversations", params={"status": "all"})).json()["page"]["totalElements"]
    assert every == 2
    bad = await http.get("/v2/conversations", params={"modifiedSince": "2026-01-01T00:00:00.123Z"})
    assert bad.status_code == 400 and bad.json()["_embedded"]["errors"][0]["path"] == "modifiedSince"


async def test_writes_answer_as_documented(fake: FakeHelpScout, http: httpx.AsyncClient) -> None:
    cid = conversation(fake)
    note = await http.post(f"/v2/conversations/{cid}/notes", json={"text": "Buy more pens"})
    assert note.status_code == 201 and note.content == b"" and note.headers["resource-id"].isdigit()
    patched = await http.patch(
        f"/v2/conversations/{cid}", json={"op": "replace", "path": "/status", "value": "pending"}
    )
    assert patched.status_code == 204
    tags = await http.put(f"/v2/conversations/{cid}/tags", json={"tags": ["test26", "test1"]})
    assert tags.status_code == 204 and [t["tag"] for t in fake.conversation(cid)["tags"]] == [
        "test26",
        "test1",
    ]
    wrong = await http.patch(
        f"/v2/conversations/{cid}", json={"op": "replace", "path": "/status", "value": "Wrong"}
    )
    error = wrong.json()
    assert wrong.status_code == 400 and wrong.headers["content-type"].startswith("application/vnd.error+json")
    assert error["logRef"] and error["message"] == "Bad request"
    assert error["_embedded"]["errors"][0] == {
        "path": "status",
        "message": "Expected one of these: 'active', 'spam', 'open', 'closed', 'pending'",
        "rejectedValue": "Wrong",
        "source": "JSON",
    }
    no_customer = await http.post(f"/v2/conversations/{cid}/reply", json={"text": "Hi"})
    assert (
        no_customer.status_code == 400 and no_customer.json()["_embedded"]["errors"][0]["path"] == "customer"
    )


async def test_threads_come_newest_first_and_a_customer_with_its_emails(
    fake: FakeHelpScout, http: httpx.AsyncClient
) -> None:
    # "Threads are by default sorted by createdAt (from newest to oldest)" (the v2 List Threads
    # page); Get Customer's request has no embed parameter and its answer has _embedded.emails.
    cid = conversation(fake)
    fake.customer_writes(cid, "Any news?")
    listed = (await http.get(f"/v2/conversations/{cid}/threads")).json()["_embedded"]["threads"]
    assert [t["body"] for t in listed if t["type"] == "customer"] == ["Any news?", "Please refund one."]
    assert [t["createdAt"] for t in listed] == sorted((t["createdAt"] for t in listed), reverse=True)
    customer = fake.conversation(cid)["primaryCustomer"]["id"]
    emails = (await http.get(f"/v2/customers/{customer}")).json()["_embedded"]["emails"]
    assert [e["value"] for e in emails] == ["casey@example.com"]


async def test_a_reply_reactivates_unless_told_and_a_merge_moves_the_old_id(
    fake: FakeHelpScout, http: httpx.AsyncClient
) -> None:
    cid = conversation(fake)
    customer = fake.conversation(cid)["primaryCustomer"]["id"]
    fake.set_status(cid, fake.owner["id"], "pending")
    await http.post(
        f"/v2/conversations/{cid}/reply", json={"text": "On its way", "customer": {"id": customer}}
    )
    assert fake.conversation(cid)["status"] == "active"
    fake.set_status(cid, fake.owner["id"], "pending")
    await http.post(
        f"/v2/conversations/{cid}/reply",
        json={"text": "Again", "customer": {"id": customer}, "status": "pending"},
    )
    assert fake.conversation(cid)["status"] == "pending"
    target = conversation(fake)
    fake.merge(cid, target, fake.owner["id"])
    moved = await http.get(f"/v2/conversations/{cid}")
    assert moved.status_code == 301 and moved.headers["location"].endswith(f"/v2/conversations/{target}")
    assert (
        await http.patch(
            f"/v2/conversations/{cid}", json={"op": "replace", "path": "/status", "value": "closed"}
        )
    ).status_code == 404
    merged = [t for t in fake.threads(target) if t.get("action", {}).get("type") == "merged"]
    assert merged[0]["action"]["associatedEntities"] == {"originalConversation": cid}


async def test_every_change_is_delivered_signed_without_threads_serviceflows_own_included(
    fake: FakeHelpScout, http: httpx.AsyncClient, receiver: ContractReceiver
) -> None:
    fake.add_webhook(receiver.url("helpscout"), secret=SECRET)
    ada = fake.add_user("Ada Agent", "ada@shop.example")
    cid = conversation(fake, notify=True)
    await http.post(f"/v2/conversations/{cid}/notes", json={"text": "Case summary"})
    await http.patch(
        f"/v2/conversations/{cid}", json={"op": "replace", "path": "/assignTo", "value": ada["id"]}
    )
    await http.patch(
        f"/v2/conversations/{cid}", json={"op": "replace", "path": "/assignTo", "value": ada["id"]}
    )
    await http.put(f"/v2/conversations/{cid}/tags", json={"tags": ["vip"]})
    fake.user_note(cid, ada["id"], "I'll call")
    authors = [(t["type"], t["createdBy"]["id"]) for t in fake.threads(cid)]
    fake.delete(cid)
    fake.wait_idle()
    got = receiver.take()
    events = [d.headers["x-helpscout-event"] for d in got]
    # the same assignment again changed nothing, so it fired nothing
    assert events == [
        "convo.created",
        "convo.note.created",
        "convo.assigned",
        "convo.tags",
        "convo.note.created",
        "convo.deleted",
    ]
    for delivery in got:
        assert delivery.headers["x-helpscout-signature"] == sign(SECRET, delivery.body)
        assert "_embedded" not in json.loads(delivery.body)
    assert json.loads(got[-1].body) == {"id": cid}
    owner = fake.owner["id"]  # the API's writes are the resource owner's; the person's note Ada's
    assert authors[1:] == [("note", owner), ("lineitem", owner), ("note", ada["id"])]


async def test_a_410_disables_the_webhook_and_webhooks_are_created_as_documented(
    fake: FakeHelpScout, http: httpx.AsyncClient
) -> None:
    made = await http.post(
        "/v2/webhooks",
        json={"url": "https://example.com/helpscout", "events": ["convo.assigned"], "secret": "mZ9XbGHodX"},
    )
    assert made.status_code == 201 and made.headers["location"].endswith(
        f"/v2/webhooks/{made.headers['resource-id']}"
    )
    too_long = await http.post(
        "/v2/webhooks", json={"url": "https://x.example", "events": ["convo.tags"], "secret": "s" * 41}
    )
    assert too_long.status_code == 400
    listed = (await http.get("/v2/webhooks")).json()["_embedded"]["webhooks"]
    assert listed[0]["state"] == "enabled" and listed[0]["payloadVersion"] == "V2"

    gone = ContractReceiver()
    with gone.server:
        subscription = fake.add_webhook(gone.url("helpscout").replace("/webhooks/", "/gone/"), secret=SECRET)
        conversation(fake, notify=True)
        fake.wait_idle()
    assert subscription.state == "enabled"  # a 404 is retried, not a stop
    assert fake.deliveries[-1].attempts[-1].status == 404 and len(fake.deliveries[-1].attempts) == 4
