"""The async Zendesk client against the real fake over HTTP: retries, conflicts, paging, errors.

Every request in these tests is also checked against the official OAS by the ``fake`` fixture.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from serviceflow_zendesk.auth import ApiToken, OAuthToken
from serviceflow_zendesk.client import ZendeskClient, parse_retry_after
from serviceflow_zendesk.errors import (
    AuthenticationFailed,
    NotFound,
    RateLimited,
    ServerError,
    TicketGone,
    TransportFailed,
    UpdateConflict,
    ValidationFailed,
)
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.models import Ticket
from zendesk_testing import SleepRecorder

from serviceflow.errors import TicketGone as CoreTicketGone

MakeClient = Callable[..., ZendeskClient]


def statuses(fake: FakeZendesk, method: str, path: str) -> list[int]:
    return [c.status for c in fake.calls_to(method, path)]


# ---------------------------------------------------------------------- reading


async def test_get_ticket(fake: FakeZendesk, client: ZendeskClient) -> None:
    seeded = fake.add_ticket("Charged twice", priority="high", tags=["billing"])
    ticket = await client.get_ticket(seeded["id"])
    assert (ticket.id, ticket.subject, ticket.priority, ticket.tags) == (
        seeded["id"],
        "Charged twice",
        "high",
        ("billing",),
    )
    assert ticket.updated_at == seeded["updated_at"]
    assert ticket.model_extra and ticket.model_extra["url"].endswith(f"/api/v2/tickets/{seeded['id']}.json")


async def test_missing_ticket_is_ticket_gone(fake: FakeZendesk, client: ZendeskClient) -> None:
    with pytest.raises(TicketGone) as caught:
        await client.get_ticket(424242)
    gone = caught.value
    assert isinstance(gone, CoreTicketGone)  # what serviceflow's activities catch to end a case
    assert (gone.ticket_id, gone.status, gone.error, gone.description) == (
        424242,
        404,
        "RecordNotFound",
        "Not found",
    )
    assert len(fake.calls) == 1  # a 404 is an answer, not a fault: no retry


async def test_missing_user_is_not_found_but_not_ticket_gone(client: ZendeskClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.get_user(999)
    assert not isinstance(caught.value, TicketGone)


async def test_cursor_pagination_reads_every_page(fake: FakeZendesk, make_client: MakeClient) -> None:
    ids = [fake.add_ticket(f"ticket {n}")["id"] for n in range(7)]
    client = make_client(page_size=3)
    assert [t.id async for t in client.list_tickets()] == ids
    pages = fake.calls_to("GET", "/api/v2/tickets")
    assert len(pages) == 3
    assert [c.query_values("page[size]") for c in pages] == [["3"]] * 3
    assert pages[0].query_values("page[after]") == []
    assert pages[1].query_values("page[after]") == [pages[0].response["meta"]["after_cursor"]]
    assert pages[-1].response["meta"]["has_more"] is False


async def test_list_agents_uses_role_filters_across_pages(fake: FakeZendesk, make_client: MakeClient) -> None:
    group = fake.add_group("Billing")
    agents = [fake.add_agent(f"Agent {n}", groups=[group["id"]]) for n in range(3)]
    fake.add_user("Customer")
    client = make_client(page_size=2)
    found = [u async for u in client.list_agents()]
    assert [u.id for u in found] == [fake.admin["id"], *(a["id"] for a in agents)]
    assert {u.role for u in found} == {"admin", "agent"}
    first = fake.calls_to("GET", "/api/v2/users")[0]
    assert first.query_values("role[]") == ["agent", "admin"]


async def test_groups_and_memberships(fake: FakeZendesk, make_client: MakeClient) -> None:
    billing, logistics = fake.add_group("Billing"), fake.add_group("Logistics")
    ada = fake.add_agent("Ada", groups=[billing["id"], logistics["id"]])
    fake.add_agent("Bo", groups=[logistics["id"]])
    client = make_client(page_size=1)
    assert [g.name async for g in client.list_groups()] == ["Billing", "Logistics"]
    in_logistics = [m async for m in client.list_memberships(group_id=logistics["id"])]
    assert len(in_logistics) == 2
    adas = [m async for m in client.list_memberships(user_id=ada["id"])]
    assert [(m.group_id, m.default) for m in adas] == [(billing["id"], True), (logistics["id"], False)]
    # The filtered lists are their own paths, never query filters (CONTRACTS.md §8).
    paths = {c.path for c in fake.calls if "membership" in c.path}
    assert paths == {
        f"/api/v2/groups/{logistics['id']}/memberships",
        f"/api/v2/users/{ada['id']}/group_memberships",
    }
    assert not [
        c for c in fake.calls if "membership" in c.path and ("group_id", str(logistics["id"])) in c.query
    ]


async def test_me_with_oauth(fake: FakeZendesk, make_client: MakeClient) -> None:
    me = await make_client(auth=OAuthToken(fake.oauth_token)).me()
    assert (me.id, me.role) == (fake.admin["id"], "admin")
    assert fake.calls[-1].headers["authorization"] == f"Bearer {fake.oauth_token}"


# ---------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "auth",
    [
        ApiToken("admin@example.com", "wrong-token"),
        ApiToken("nobody@example.com", "fake-api-token"),
        OAuthToken("nope"),
    ],
    ids=["wrong-token", "unknown-email", "bad-oauth"],
)
async def test_auth_failure_is_a_clear_error_and_not_retried(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder, auth: ApiToken | OAuthToken
) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        await make_client(auth=auth).get_ticket(1)
    assert (caught.value.status, caught.value.error) == (401, "Couldn't authenticate you")
    assert "401" in str(caught.value) and "authenticate" in str(caught.value)
    assert len(fake.calls) == 1 and sleeps.delays == []


def test_credentials_stay_out_of_repr() -> None:
    assert "s3cret" not in repr(ApiToken("a@example.com", "s3cret"))
    assert "s3cret" not in repr(OAuthToken("s3cret"))


# ---------------------------------------------------------------------- retries


async def test_429_storm_waits_retry_after_and_comments_exactly_once(
    fake: FakeZendesk, client: ZendeskClient, sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(3, status=429, retry_after=7, method="PUT")
    await client.add_comment(ticket["id"], "We are on it.", public=True)
    assert statuses(fake, "PUT", "/api/v2/tickets/*") == [429, 429, 429, 200]
    assert sleeps.delays == [7, 7, 7]
    bodies = [c["body"] for c in fake.comments(ticket["id"])]
    assert bodies.count("We are on it.") == 1


async def test_5xx_burst_backs_off_and_updates_exactly_once(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(3, status=502, method="PUT", path="/api/v2/tickets/*")
    client = make_client(backoff_initial=0.5, backoff_max=8.0)
    updated = await client.update_ticket(ticket["id"], {"status": "pending", "priority": "high"})
    assert (updated.status, updated.priority) == ("pending", "high")
    assert statuses(fake, "PUT", "/api/v2/tickets/*") == [502, 502, 502, 200]
    for attempt, delay in enumerate(sleeps.delays):  # base 0.5 * 2**attempt, half of it jittered
        base = min(8.0, 0.5 * 2**attempt)
        assert base / 2 <= delay <= base
    assert len(sleeps.delays) == 3


async def test_a_5xx_on_a_comment_is_not_repeated(
    fake: FakeZendesk, client: ZendeskClient, sleeps: SleepRecorder
) -> None:
    """A 502 after Zendesk wrote the comment: repeating the PUT would write it twice (issue 12),
    so the error is raised for the caller to look before it writes again."""
    ticket = fake.add_ticket()
    fake.fail_next(1, status=502, method="PUT", path="/api/v2/tickets/*", after_write=True)
    with pytest.raises(ServerError):
        await client.update_ticket(ticket["id"], {"status": "pending", "comment": {"body": "Waiting"}})
    fake.fail_next(1, status=502, method="PUT", path="/api/v2/tickets/*")
    with pytest.raises(ServerError):
        await client.add_comment(ticket["id"], "Hello", public=True)  # a plain 502: not repeated either
    assert [c["body"] for c in fake.comments(ticket["id"])] == ["Please help.", "Waiting"]
    assert statuses(fake, "PUT", "/api/v2/tickets/*") == [502, 502] and sleeps.delays == []


async def test_tags_survive_a_503_storm_with_retry_after(
    fake: FakeZendesk, client: ZendeskClient, sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket(tags=["vip"])
    fake.fail_next(2, status=503, retry_after=3, path="/api/v2/tickets/*/tags")
    assert await client.add_tags(ticket["id"], ["refund"]) == ("vip", "refund")
    assert statuses(fake, "PUT", "/api/v2/tickets/*/tags") == [503, 503, 200]
    assert sleeps.delays == [3, 3]


async def test_retry_after_beyond_the_bound_is_raised_not_slept(
    fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(1, status=429, retry_after=600)
    with pytest.raises(RateLimited) as caught:
        await make_client(max_retry_after=60).get_ticket(ticket["id"])
    assert caught.value.retry_after == 600
    assert caught.value.error == "APIRateLimitExceeded"
    assert sleeps.delays == [] and len(fake.calls) == 1


async def test_retries_are_bounded(fake: FakeZendesk, make_client: MakeClient, sleeps: SleepRecorder) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(10, status=503, retry_after=None)
    with pytest.raises(ServerError) as caught:
        await make_client(max_retries=2).get_ticket(ticket["id"])
    assert caught.value.status == 503
    assert caught.value.description == "Service Unavailable"  # a text/plain error body
    assert len(fake.calls) == 3 and len(sleeps.delays) == 2


async def test_unreachable_server_is_a_transport_failure(sleeps: SleepRecorder) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ZendeskClient(
        f"http://127.0.0.1:{port}", ApiToken("a@example.com", "t"), max_retries=2, sleep=sleeps
    ) as client:
        with pytest.raises(TransportFailed) as caught:
            await client.get_ticket(1)
    assert caught.value.retry_safe and len(sleeps.delays) == 2


def test_retry_after_parsing() -> None:
    assert parse_retry_after("12") == 12
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past


# ---------------------------------------------------------------------- safe updates


async def test_conflict_reapplies_on_the_fresh_ticket_keeping_the_other_writers_change(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    ticket = fake.add_ticket(tags=["vip"], priority="normal")
    fake.conflict_next(ticket["id"], {"priority": "urgent", "tags": ["vip", "escalated"]})

    def changes(current: Ticket) -> dict[str, object]:
        return {"status": "pending", "tags": [*current.tags, "waiting_on_finance"]}

    updated = await client.update_ticket(ticket["id"], changes)

    assert updated.status == "pending"
    assert updated.priority == "urgent"  # the other writer's field change survived
    assert updated.tags == ("vip", "escalated", "waiting_on_finance")  # and their tag
    puts = fake.calls_to("PUT", "/api/v2/tickets/*")
    assert [c.status for c in puts] == [409, 200]
    assert puts[0].response["error"] == "UpdateConflict"
    assert puts[0].json["ticket"]["updated_stamp"] == ticket["updated_at"]
    assert puts[1].json["ticket"]["updated_stamp"] != ticket["updated_at"]
    assert puts[1].json["ticket"]["safe_update"] is True
    assert [c.method for c in fake.calls] == ["GET", "PUT", "GET", "PUT"]


async def test_conflict_with_plain_changes_still_keeps_other_fields(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    ticket = fake.add_ticket()
    fake.conflict_next(ticket["id"], {"priority": "high"})
    updated = await client.update_ticket(ticket["id"], {"status": "open"})
    assert (updated.status, updated.priority) == ("open", "high")


async def test_endless_conflicts_end_in_update_conflict(fake: FakeZendesk, make_client: MakeClient) -> None:
    ticket = fake.add_ticket()
    for n in range(3):
        fake.conflict_next(ticket["id"], {"subject": f"edit {n}"})
    with pytest.raises(UpdateConflict) as caught:
        await make_client(max_conflict_retries=2).update_ticket(ticket["id"], {"status": "open"})
    assert caught.value.status == 409 and caught.value.error == "UpdateConflict"
    assert statuses(fake, "PUT", "/api/v2/tickets/*") == [409, 409, 409]
    assert fake.ticket(ticket["id"])["status"] == "new"


async def test_nothing_to_change_sends_nothing(fake: FakeZendesk, client: ZendeskClient) -> None:
    ticket = fake.add_ticket(tags=["done"])
    result = await client.update_ticket(
        ticket["id"], lambda t: None if "done" in t.tags else {"status": "solved"}
    )
    assert result.status == "new" and fake.calls_to("PUT") == []


async def test_update_of_deleted_ticket_is_ticket_gone(fake: FakeZendesk, client: ZendeskClient) -> None:
    with pytest.raises(TicketGone):
        await client.update_ticket(31337, {"status": "open"})


async def test_closed_ticket_refuses_updates_with_vendor_details(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    ticket = fake.add_ticket(status="closed")
    with pytest.raises(ValidationFailed) as caught:
        await client.add_comment(ticket["id"], "Hello?", public=True)
    error = caught.value
    assert (error.status, error.error, error.description) == (
        422,
        "RecordInvalid",
        "Record validation errors",
    )
    assert (
        error.details is not None
        and "closed prevents ticket update" in error.details["status"][0]["description"]
    )


# ---------------------------------------------------------------------- comments, tags, merge


async def test_internal_note_and_public_reply(fake: FakeZendesk, client: ZendeskClient) -> None:
    ticket = fake.add_ticket()
    before = fake.ticket(ticket["id"])["updated_at"]
    await client.add_comment(ticket["id"], "Refund approved by finance.", public=False)
    await client.add_comment(ticket["id"], "<p>Your refund is on its way.</p>", public=True, html=True)
    comments = fake.comments(ticket["id"])
    assert [(c["public"], c["author_id"]) for c in comments[1:]] == [
        (False, fake.admin["id"]),
        (True, fake.admin["id"]),
    ]
    assert comments[2]["html_body"] == "<p>Your refund is on its way.</p>"
    assert fake.ticket(ticket["id"])["updated_at"] > before
    assert [c.body async for c in client.list_comments(ticket["id"], newest_first=True)][0].startswith("<p>")


async def test_tags_endpoints_merge_and_ticket_tags_replace(fake: FakeZendesk, client: ZendeskClient) -> None:
    ticket = fake.add_ticket(tags=["vip", "billing"])
    assert await client.add_tags(ticket["id"], ["refund", "vip"]) == ("vip", "billing", "refund")
    await client.remove_tags(ticket["id"], ["billing"])
    assert fake.ticket(ticket["id"])["tags"] == ["vip", "refund"]
    assert await client.set_tags(ticket["id"], ["only"]) == ("only",)
    updated = await client.update_ticket(ticket["id"], {"tags": ["replaced"]})
    assert updated.tags == ("replaced",)
    tag_calls = fake.calls_to(None, "/api/v2/tickets/*/tags")
    assert [(c.method, c.status) for c in tag_calls] == [("PUT", 200), ("DELETE", 204), ("POST", 201)]


async def test_merge_closes_sources_into_the_target(
    fake: FakeZendesk, client: ZendeskClient, sleeps: SleepRecorder
) -> None:
    target, first, second = (fake.add_ticket(f"Charged twice #{n}") for n in range(3))
    job = await client.merge(
        target["id"],
        [first["id"], second["id"]],
        target_comment="Same refund request",
        source_comment="Merged",
    )
    assert job.status == "queued" and not job.finished
    done = await client.wait_for_job(job.id)
    assert done.status == "completed" and done.total == 2
    assert {fake.ticket(t["id"])["status"] for t in (first, second)} == {"closed"}
    assert [c["body"] for c in fake.comments(target["id"])][1:] == ["Same refund request"] * 2
    assert fake.calls_to("POST", "/api/v2/tickets/*/merge")[0].json == {
        "ids": [first["id"], second["id"]],
        "target_comment": "Same refund request",
        "source_comment": "Merged",
    }
    assert sleeps.delays == []


async def test_merge_into_a_missing_ticket_is_ticket_gone(fake: FakeZendesk, client: ZendeskClient) -> None:
    source = fake.add_ticket()
    with pytest.raises(TicketGone) as caught:
        await client.merge(777, [source["id"]])
    assert caught.value.ticket_id == 777
