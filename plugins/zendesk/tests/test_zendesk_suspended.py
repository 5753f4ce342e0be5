"""The suspended tickets queue: the fake's endpoints and the client's methods, over real HTTP.

Every request is checked against the official OAS by the ``fake`` fixture; the fake's successful
answers are checked against it here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from serviceflow_zendesk.client import ZendeskClient
from serviceflow_zendesk.errors import (
    RateLimited,
    RecoveryFailed,
    ServerError,
    SuspendedTicketGone,
    ValidationFailed,
)
from serviceflow_zendesk.fake import FakeApiError, FakeZendesk
from serviceflow_zendesk.fake.oas import OasContract
from serviceflow_zendesk.fake.seed import seed_demo
from zendesk_testing import SleepRecorder, WebhookReceiver

from serviceflow.errors import QuarantinedMessageGone

MakeClient = Callable[..., ZendeskClient]
QUEUE = "/api/v2/suspended_tickets"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed(fake: FakeZendesk, n: int, *, start: datetime = T0) -> list[dict[str, Any]]:
    """``n`` suspended emails, one a minute, added newest first (so id order is not time order)."""
    added = [
        fake.add_suspended(
            f"sender{i}@example.net",
            subject=f"Message {i}",
            content=f"Body {i}",
            recipient="support@example.com",
            created_at=start + timedelta(minutes=i),
        )
        for i in reversed(range(n))
    ]
    return sorted(added, key=lambda r: r["created_at"])


def assert_answers_match_oas(fake: FakeZendesk, oas: OasContract) -> None:
    checked = [c for c in fake.calls_to(None, QUEUE + "*") if 200 <= c.status < 300]
    assert checked
    for call in checked:
        assert oas.check_response(call.method, call.path, call.status, call.response) == [], call.path


# ---------------------------------------------------------------------- the fake


def test_fake_pages_the_queue_by_cursor_in_the_asked_order(
    fake: FakeZendesk, http: httpx.Client, oas: OasContract
) -> None:
    oldest_first = [r["id"] for r in seed(fake, 5)]
    assert oldest_first != sorted(oldest_first)  # time order differs from id order

    def walk(order: str) -> list[int]:
        seen: list[int] = []
        page = http.get(QUEUE, params={"sort_by": "created_at", "sort_order": order, "page[size]": 2}).json()
        while True:
            seen += [r["id"] for r in page["suspended_tickets"]]
            if not page["meta"]["has_more"]:
                return seen
            page = http.get(page["links"]["next"]).json()

    assert walk("asc") == oldest_first
    assert walk("desc") == oldest_first[::-1]
    assert len(fake.calls_to("GET", QUEUE)) == 6  # three pages each way
    assert_answers_match_oas(fake, oas)


def test_a_cursor_survives_its_boundary_leaving_the_queue(fake: FakeZendesk, http: httpx.Client) -> None:
    records = seed(fake, 4)
    query = {"sort_by": "created_at", "page[size]": 2}
    first = http.get(QUEUE, params=query).json()
    assert [r["id"] for r in first["suspended_tickets"]] == [r["id"] for r in records[:2]]
    fake.delete_suspended(records[1]["id"])  # a person deletes the last one we saw
    rest = http.get(QUEUE, params={**query, "page[after]": first["meta"]["after_cursor"]}).json()
    assert [r["id"] for r in rest["suspended_tickets"]] == [r["id"] for r in records[2:]]


def test_fake_record_shape(
    fake: FakeZendesk, http: httpx.Client, oas: OasContract, receiver: WebhookReceiver
) -> None:
    fake.add_webhook(receiver.url)
    customer = fake.add_user("Casey", email="casey@example.com")
    known = fake.add_suspended(
        "casey@example.com",
        author_name="Casey",
        subject="Refund",
        content="Where is it?",
        cause="Submitted by unverified user",
        recipient="billing@example.com",
    )
    stranger = fake.add_suspended("who@else.example")
    assert known["author"] == {"id": customer["id"], "name": "Casey", "email": "casey@example.com"}
    assert (known["cause"], known["cause_id"], known["via"]["channel"]) == (
        "Submitted by unverified user",
        2,
        "email",
    )
    assert stranger["author"]["id"] is None and stranger["cause_id"] == 0  # "Detected as spam"
    shown = http.get(f"{QUEUE}/{known['id']}.json").json()
    assert shown == {"suspended_ticket": known}
    assert known["url"] == f"{fake.base_url}{QUEUE}/{known['id']}.json"
    # A suspended email is not a ticket: no webhook. Deliveries go out in order, so once a later
    # ticket's delivery is done, none can still be coming for the suspended mail.
    ticket = fake.add_ticket("Later", notify=True)
    assert [d.ticket_id for d in fake.wait_for_deliveries(1)] == [ticket["id"]]
    assert_answers_match_oas(fake, oas)


def test_fake_deletes_and_answers_404_for_what_is_gone(fake: FakeZendesk, http: httpx.Client) -> None:
    one, two, three = seed(fake, 3)
    assert http.delete(f"{QUEUE}/{one['id']}").status_code == 204
    missing = http.get(f"{QUEUE}/{one['id']}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "RecordNotFound", "description": "Not found"},
    )
    assert http.delete(f"{QUEUE}/{one['id']}").status_code == 404
    # destroy_many with one unknown id deletes nothing (the fake's choice, documented)
    refused = http.delete(f"{QUEUE}/destroy_many", params={"ids": f"{two['id']},{one['id']}"})
    assert refused.status_code == 404 and len(fake.suspended_tickets()) == 2
    assert (
        http.delete(f"{QUEUE}/destroy_many", params={"ids": f"{two['id']},{three['id']}"}).status_code == 204
    )
    assert fake.suspended_tickets() == []


def test_single_recover_makes_the_api_user_the_requester(
    fake: FakeZendesk, http: httpx.Client, oas: OasContract
) -> None:
    suspended = fake.add_suspended(
        "casey@example.com", subject="Help", content="Please", recipient="s@x.example"
    )
    answer = http.put(f"{QUEUE}/{suspended['id']}/recover")
    assert answer.status_code == 200
    (ticket,) = answer.json()["ticket"]
    assert ticket["requester_id"] == fake.admin["id"]  # the OAS note: not the original requester
    assert (ticket["subject"], ticket["description"], ticket["status"]) == ("Help", "Please", "new")
    assert fake.suspended_tickets() == []
    assert_answers_match_oas(fake, oas)


def test_recover_many_keeps_the_author_and_announces_the_new_ticket(
    fake: FakeZendesk, http: httpx.Client, receiver: WebhookReceiver, oas: OasContract
) -> None:
    fake.add_webhook(receiver.url)
    suspended = fake.add_suspended(
        "new.customer@example.org", author_name="New Customer", subject="Hi", recipient="sales@example.com"
    )
    answer = http.put(f"{QUEUE}/recover_many", params={"ids": str(suspended["id"])})
    assert answer.status_code == 200
    (ticket,) = answer.json()["tickets"]
    requester = fake.state.get_user(ticket["requester_id"])
    assert (requester["email"], requester["name"], requester["role"]) == (
        "new.customer@example.org",
        "New Customer",
        "end-user",
    )
    assert (ticket["via"]["channel"], ticket["recipient"], ticket["description"]) == (
        "email",
        "sales@example.com",
        "Hi",  # no content: the subject becomes the first comment
    )
    (delivery,) = fake.wait_for_deliveries(1)
    assert (delivery.event_type, delivery.ticket_id, delivery.ok) == (
        "zen:event-type:ticket.created",
        ticket["id"],
        True,
    )
    assert_answers_match_oas(fake, oas)


def test_a_suspended_reply_is_recovered_onto_its_ticket(fake: FakeZendesk, http: httpx.Client) -> None:
    customer = fake.add_user("Casey", email="casey@example.com")
    ticket = fake.add_ticket("Charged twice", requester_id=customer["id"])
    reply = fake.add_suspended("casey@example.com", content="Any news?", ticket_id=ticket["id"])
    answer = http.put(f"{QUEUE}/recover_many", params={"ids": str(reply["id"])}).json()
    assert [t["id"] for t in answer["tickets"]] == [ticket["id"]] and len(fake.tickets()) == 1
    last = fake.comments(ticket["id"])[-1]
    assert (last["body"], last["author_id"], last["public"]) == ("Any news?", customer["id"], True)


def test_unrecoverable_mail_is_a_422_and_stays(fake: FakeZendesk, http: httpx.Client) -> None:
    stuck = fake.add_suspended(
        "support@example.com", cause="Received from support address", recoverable=False
    )
    many = http.put(f"{QUEUE}/recover_many", params={"ids": str(stuck["id"])})
    assert many.status_code == 422 and many.json() == {"suspended_tickets": [stuck]}
    single = http.put(f"{QUEUE}/{stuck['id']}/recover")
    assert single.status_code == 422 and single.json() == {"ticket": [stuck]}
    assert fake.suspended_tickets() == [stuck] and fake.tickets() == []
    with pytest.raises(FakeApiError) as caught:
        fake.recover_suspended(stuck["id"])
    assert caught.value.status == 422


@pytest.mark.oas_exempt  # the bad parameters are the point
def test_fake_refuses_bad_parameters(fake: FakeZendesk, http: httpx.Client) -> None:
    assert http.get(QUEUE, params={"sort_by": "color"}).status_code == 400
    assert http.get(QUEUE, params={"sort_order": "sideways"}).status_code == 400
    assert http.put(f"{QUEUE}/recover_many").status_code == 400
    assert http.put(f"{QUEUE}/recover_many", params={"ids": "1,x"}).status_code == 400
    too_many = ",".join(str(i) for i in range(101))
    assert http.delete(f"{QUEUE}/destroy_many", params={"ids": too_many}).status_code == 400


def test_injected_faults_hit_the_queue_routes(fake: FakeZendesk, http: httpx.Client) -> None:
    fake.add_suspended("a@example.net")
    fake.fail_next(1, status=429, retry_after=9, path=QUEUE)
    limited = http.get(QUEUE)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "9")
    fake.fail_next(1, status=502, path=f"{QUEUE}/*")
    assert http.put(f"{QUEUE}/recover_many", params={"ids": "1"}).status_code == 502
    assert len(fake.suspended_tickets()) == 1 and fake.pending_faults == 0


def test_zendesk_deletes_after_14_days(fake: FakeZendesk) -> None:
    now = datetime.now(UTC)
    old = fake.add_suspended("old@example.net", created_at=now - timedelta(days=14, minutes=1))
    recent = fake.add_suspended("new@example.net", created_at=now - timedelta(days=13, hours=23))
    assert fake.expire_suspended() == [old["id"]]
    assert [r["id"] for r in fake.suspended_tickets()] == [recent["id"]]


def test_reset_empties_the_queue_and_the_demo_seeds_it(fake: FakeZendesk) -> None:
    fake.add_suspended("a@example.net")
    fake.reset()
    assert fake.suspended_tickets() == []
    seeded = seed_demo(fake)
    refund, spam = seeded["suspended"]["still_no_refund"], seeded["suspended"]["prize_spam"]
    assert refund["author"] == {
        "id": seeded["customer"]["id"],
        "name": "Casey Customer",
        "email": "casey@example.com",
    }
    assert (refund["subject"], refund["cause"], refund["recipient"]) == (
        "Still no refund — third time I'm writing",
        "Detected as spam",
        "manager@example.com",
    )
    assert spam["author"]["id"] is None and fake.suspended_tickets() == [refund, spam]


# ---------------------------------------------------------------------- the client


async def test_client_lists_every_page_oldest_first(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    records = seed(fake, 5)
    client = make_client(page_size=2)
    listed = [s async for s in client.list_suspended_tickets()]
    assert [s.id for s in listed] == [r["id"] for r in records]
    assert listed[0].author is not None and listed[0].author.email == "sender0@example.net"
    calls = fake.calls_to("GET", QUEUE)
    assert len(calls) == 3 and sleeps.delays == []
    for call in calls:
        assert (call.query_values("sort_by"), call.query_values("sort_order")) == (["created_at"], ["asc"])


async def test_a_429_mid_listing_is_waited_out_and_loses_nothing(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    records = seed(fake, 5)
    client = make_client(page_size=2)
    listing = client.list_suspended_tickets()
    first = [await anext(listing), await anext(listing)]
    fake.fail_next(2, status=429, retry_after=7, path=QUEUE)
    rest = [s async for s in listing]
    assert [s.id for s in first + rest] == [r["id"] for r in records]  # each once, none skipped
    assert sleeps.delays == [7, 7]
    assert [c.status for c in fake.calls_to("GET", QUEUE)] == [200, 429, 429, 200, 200]


async def test_server_errors_mid_listing_are_retried(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    records = seed(fake, 3)
    fake.fail_next(2, status=503, retry_after=None, path=QUEUE)
    listed = [s.id async for s in make_client(page_size=2).list_suspended_tickets()]
    assert listed == [r["id"] for r in records] and len(sleeps.delays) == 2


async def test_a_listing_that_cannot_finish_raises_instead_of_coming_up_short(
    fake: FakeZendesk, make_client: MakeClient
) -> None:
    seed(fake, 3)
    client = make_client(page_size=2, max_retries=1)
    listing = client.list_suspended_tickets()
    got = [await anext(listing), await anext(listing)]
    fake.fail_next(2, status=500, path=QUEUE)
    with pytest.raises(ServerError) as caught:
        await anext(listing)
    assert caught.value.retryable and len(got) == 2
    fake.fail_next(1, status=429, retry_after=600, path=QUEUE)  # longer than we may wait
    with pytest.raises(RateLimited) as limited:
        [s async for s in client.list_suspended_tickets()]
    assert limited.value.retryable and limited.value.retry_after == 600
    assert len([s async for s in client.list_suspended_tickets()]) == 3  # the next poll sees all


async def test_client_recovers_keeping_the_requester(fake: FakeZendesk, client: ZendeskClient) -> None:
    customer = fake.add_user("Casey", email="casey@example.com")
    suspended = fake.add_suspended("casey@example.com", subject="Still no refund", content="Third time.")
    ticket = await client.recover_suspended_ticket(suspended["id"])
    assert (ticket.requester_id, ticket.subject, ticket.status) == (customer["id"], "Still no refund", "new")
    (call,) = fake.calls_to("PUT", QUEUE + "/*")
    assert (call.normalised_path, call.query_values("ids")) == (
        f"{QUEUE}/recover_many",
        [str(suspended["id"])],
    )
    assert fake.ticket(ticket.id)["requester_id"] == customer["id"]


async def test_client_reports_a_refused_recovery_with_its_cause(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    stuck = fake.add_suspended(
        "support@example.com", cause="Received from support address", recoverable=False
    )
    with pytest.raises(RecoveryFailed) as caught:
        await client.recover_suspended_ticket(stuck["id"])
    refused = caught.value
    assert isinstance(refused, ValidationFailed) and not getattr(refused, "retryable", False)
    assert (refused.suspended_id, refused.cause, refused.status) == (
        stuck["id"],
        "Received from support address",
        422,
    )
    assert "Received from support address" in str(refused) and "by hand" in str(refused)


async def test_client_maps_gone_suspended_tickets(fake: FakeZendesk, client: ZendeskClient) -> None:
    recovered, deleted = seed(fake, 2)
    fake.recover_suspended(recovered["id"])  # a person got there first
    fake.delete_suspended(deleted["id"])
    for attempt in (
        client.recover_suspended_ticket(recovered["id"]),
        client.delete_suspended_ticket(deleted["id"]),
        client.get_suspended_ticket(deleted["id"]),
    ):
        with pytest.raises(SuspendedTicketGone) as caught:
            await attempt
        assert isinstance(caught.value, QuarantinedMessageGone) and caught.value.status == 404
    assert caught.value.suspended_id == deleted["id"]


async def test_client_deletes_and_shows(fake: FakeZendesk, client: ZendeskClient) -> None:
    keep, drop = seed(fake, 2)
    shown = await client.get_suspended_ticket(keep["id"])
    assert (shown.id, shown.subject, shown.recipient) == (keep["id"], "Message 0", "support@example.com")
    await client.delete_suspended_ticket(drop["id"])
    assert [r["id"] for r in fake.suspended_tickets()] == [keep["id"]]
