"""The Freshdesk client against the fake over real HTTP: auth, pagination, retries, errors."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from freshdesk_testing import SleepRecorder
from serviceflow_freshdesk.client import FreshdeskClient, next_page
from serviceflow_freshdesk.errors import (
    AuthenticationFailed,
    RateLimited,
    ServerError,
    TicketGone,
    ValidationFailed,
)
from serviceflow_freshdesk.fake import FakeFreshdesk

from serviceflow.errors import TicketGone as CoreTicketGone


async def test_api_key_is_the_basic_username_with_x_as_password(
    fake: FakeFreshdesk, client: FreshdeskClient
) -> None:
    ticket = fake.add_ticket("Hello")
    got = await client.get_ticket(ticket["id"])
    assert got.subject == "Hello"
    header = fake.calls[-1].headers["authorization"]
    assert header.startswith("Basic ")
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == f"{fake.api_key}:X"


async def test_wrong_key_is_refused_without_retry(
    fake: FakeFreshdesk, make_client: Callable[..., FreshdeskClient], sleeps: SleepRecorder
) -> None:
    bad = make_client(api_key="not-the-key")
    with pytest.raises(AuthenticationFailed) as caught:
        await bad.get_ticket(1)
    assert caught.value.status == 401
    assert caught.value.code == "invalid_credentials"
    assert len(fake.calls) == 1 and sleeps.delays == []


async def test_missing_ticket_is_ticket_gone(fake: FakeFreshdesk, client: FreshdeskClient) -> None:
    with pytest.raises(TicketGone) as caught:
        await client.get_ticket(424242)
    assert isinstance(caught.value, CoreTicketGone)
    assert caught.value.ticket_id == 424242 and caught.value.status == 404


async def test_lists_follow_the_link_header_to_the_last_page(
    fake: FakeFreshdesk, make_client: Callable[..., FreshdeskClient]
) -> None:
    created = [fake.add_ticket(f"T{i}")["id"] for i in range(7)]
    client = make_client(page_size=3)
    got = [t.id async for t in client.list_tickets(order_by="created_at", order_type="asc")]
    assert got == created
    calls = fake.calls_to("GET", "/api/v2/tickets")
    assert [(c.param("page"), c.param("per_page")) for c in calls] == [("1", "3"), ("2", "3"), ("3", "3")]
    assert ["Link" in c.response_headers for c in calls] == [True, True, False]
    assert all(c.param("order_type") == "asc" for c in calls)  # filters survive every page


async def test_agents_and_groups_are_plain_arrays(
    fake: FakeFreshdesk, make_client: Callable[..., FreshdeskClient]
) -> None:
    group = fake.add_group("Billing")
    for i in range(4):
        fake.add_agent(f"Agent {i}", email=f"a{i}@shop.example", groups=[group["id"]])
    client = make_client(page_size=2)
    agents = [a async for a in client.list_agents()]
    assert len(agents) == 5  # the seeded admin too
    # List All Agents' and List All Groups' documented items carry no membership (FD-docs lines
    # 6522-6560, 7483-7500); View a Group's has agent_ids (lines 7465-7481), read once per group
    assert agents[1].contact.email == "a0@shop.example" and agents[1].group_ids == ()
    assert len(fake.calls_to("GET", "/api/v2/agents")) == 3
    listed = fake.calls_to("GET", "/api/v2/agents")[0].response
    assert isinstance(listed, list) and all("group_ids" not in a for a in listed)
    groups = [g async for g in client.list_groups()]
    assert [g.name for g in groups] == ["Billing"] and len(groups[0].agent_ids) == 4
    (group_list,) = fake.calls_to("GET", "/api/v2/groups")
    assert all("agent_ids" not in g for g in group_list.response)
    assert len(fake.calls_to("GET", f"/api/v2/groups/{group['id']}")) == 1


def test_next_page_reads_only_rel_next() -> None:
    link = (
        '<https://acme.freshdesk.com/api/v2/tickets?page=1&per_page=30>; rel="prev", '
        '<https://acme.freshdesk.com/api/v2/tickets?per_page=30&page=3>; rel="next"'
    )
    assert next_page(link) == 3
    assert next_page('<https://acme.freshdesk.com/api/v2/tickets?page=1>; rel="prev"') is None
    assert next_page(None) is None


async def test_429_waits_exactly_retry_after(
    fake: FakeFreshdesk, client: FreshdeskClient, sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(2, status=429, retry_after=7)
    got = await client.get_ticket(ticket["id"])
    assert got.id == ticket["id"]
    assert sleeps.delays == [7.0, 7.0]
    assert [c.status for c in fake.calls] == [429, 429, 200]
    assert fake.calls[0].response_headers["Retry-After"] == "7"


async def test_429_longer_than_allowed_is_raised_for_a_later_retry(
    fake: FakeFreshdesk, client: FreshdeskClient, sleeps: SleepRecorder
) -> None:
    fake.fail_next(1, status=429, retry_after=3600)
    with pytest.raises(RateLimited) as caught:
        await client.get_ticket(1)
    assert caught.value.retry_after == 3600 and caught.value.retryable is True
    assert sleeps.delays == [] and len(fake.calls) == 1


async def test_5xx_is_retried_with_bounded_backoff(
    fake: FakeFreshdesk, make_client: Callable[..., FreshdeskClient], sleeps: SleepRecorder
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(2, status=502, retry_after=None)
    client = make_client(backoff_initial=0.5, backoff_max=8.0)
    await client.get_ticket(ticket["id"])
    assert len(sleeps.delays) == 2
    assert 0.25 <= sleeps.delays[0] <= 0.5 and 0.5 <= sleeps.delays[1] <= 1.0


async def test_5xx_that_persists_is_a_retryable_server_error(
    fake: FakeFreshdesk, make_client: Callable[..., FreshdeskClient], sleeps: SleepRecorder
) -> None:
    fake.fail_next(10, status=500, retry_after=None)
    client = make_client(max_retries=2)
    with pytest.raises(ServerError) as caught:
        await client.get_ticket(1)
    assert caught.value.status == 500 and caught.value.retryable is True
    assert len(fake.calls) == 3 and len(sleeps.delays) == 2


async def test_400_names_every_field_and_its_message(fake: FakeFreshdesk, client: FreshdeskClient) -> None:
    ticket = fake.add_ticket()
    with pytest.raises(ValidationFailed) as caught:
        await client.update_ticket(ticket["id"], {"status": 99, "priority": 9})
    error = caught.value
    assert error.status == 400 and error.description == "Validation failed"
    assert [(e.field, e.code) for e in error.errors] == [
        ("status", "invalid_value"),
        ("priority", "invalid_value"),
    ]
    assert "status: It should be one of these values: '2,3,4,5,6'" in str(error)
    assert "priority: It should be one of these values: '1,2,3,4'" in str(error)
    assert fake.ticket(ticket["id"])["status"] == 2  # nothing applied


async def test_update_is_flat_and_tags_replace(fake: FakeFreshdesk, client: FreshdeskClient) -> None:
    ticket = fake.add_ticket(tags=["a", "b"])
    updated = await client.update_ticket(ticket["id"], {"tags": ["c"], "priority": 4})
    assert updated.tags == ("c",) and updated.priority == 4
    assert fake.calls[-1].json == {"tags": ["c"], "priority": 4}


async def test_notes_and_replies_answer_201(fake: FakeFreshdesk, client: FreshdeskClient) -> None:
    ticket = fake.add_ticket()
    note = await client.add_note(ticket["id"], "<div>internal</div>")
    reply = await client.add_reply(ticket["id"], "<div>hello</div>")
    assert note.private is True and reply.private is False
    assert [c.status for c in fake.calls_to("POST")] == [201, 201]
    assert [c.body_text async for c in client.list_conversations(ticket["id"])] == ["internal", "hello"]
