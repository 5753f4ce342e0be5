"""The spam folder as quarantine: list (every page), recover (a person's: the clicks), dismiss (left
for Freshdesk to purge), gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from serviceflow_freshdesk import ADAPTER
from serviceflow_freshdesk.errors import RateLimited
from serviceflow_freshdesk.fake import FakeFreshdesk

from serviceflow.errors import QuarantinedMessageGone, RecoveryNeedsPerson
from serviceflow.model import Channel

ACCOUNT = "127.0.0.1"
QUARANTINE = ADAPTER.quarantine


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def listed(account: str = ACCOUNT) -> list:
    return [m async for m in QUARANTINE.list_messages(account)]


async def test_lists_every_spam_ticket_across_pages_oldest_first(freshdesk: FakeFreshdesk) -> None:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    spam_ids = []
    for i in range(105):  # more than one page of 100
        created = start + timedelta(minutes=(i * 37) % 105)  # created out of id order
        ticket = freshdesk.add_ticket(
            f"Win {i}",
            description=f"<div>Prize {i}</div>",
            email=f"s{i}@spam.example",
            spam=True,
            created_at=stamp(created),
            source=9 if i == 0 else 1,
        )
        spam_ids.append(ticket["id"])
    freshdesk.add_ticket("A real question")
    messages = await listed()
    assert len(messages) == 105 and {m.id for m in messages} == {str(i) for i in spam_ids}
    assert [m.received_at for m in messages] == sorted(m.received_at for m in messages)
    first = next(m for m in messages if m.id == str(spam_ids[0]))
    assert (first.vendor, first.account, first.cause, first.channel) == (
        "freshdesk",
        ACCOUNT,
        "spam",
        Channel.WEB,
    )
    assert (first.subject, first.excerpt, first.sender.email) == ("Win 0", "Prize 0", "s0@spam.example")
    assert first.received_at == start and first.expires_at == start + timedelta(days=30)
    calls = freshdesk.calls_to("GET", "/api/v2/tickets")
    assert [c.param("page") for c in calls] == ["1", "2"]
    assert all(c.param("filter") == "spam" for c in calls)
    assert "Link" in calls[0].response_headers and "Link" not in calls[1].response_headers


async def test_a_rate_limited_listing_is_retryable_and_yields_nothing(freshdesk: FakeFreshdesk) -> None:
    freshdesk.add_ticket("Spam", spam=True)
    freshdesk.fail_next(1, status=429, retry_after=900)
    with pytest.raises(RateLimited) as caught:
        await listed()
    assert caught.value.retryable is True


async def test_recover_says_what_a_person_clicks_and_sends_nothing(freshdesk: FakeFreshdesk) -> None:
    """Freshdesk's public API has no un-spam (FD-docs: ``spam`` is no Update a Ticket field, an
    update of a spam ticket is 405): the recovery is a person's, and the error says how."""
    casey = freshdesk.add_contact("Casey", email="casey@example.com")
    ticket = freshdesk.add_ticket("Not spam at all", requester_id=casey["id"], spam=True, priority=3)
    (message,) = await listed()
    assert "Spam view" in message.how_to_recover and "Not Spam" in message.how_to_recover
    assert f"#{ticket['id']}" in message.how_to_recover and "Not spam at all" in message.how_to_recover
    with pytest.raises(RecoveryNeedsPerson) as caught:
        await QUARANTINE.recover(ACCOUNT, str(ticket["id"]))
    assert str(caught.value) == message.how_to_recover
    assert freshdesk.calls_to("PUT") == [] and freshdesk.ticket(ticket["id"])["spam"] is True
    freshdesk.not_spam(ticket["id"])  # the person clicks Not Spam
    assert await listed() == []
    with pytest.raises(QuarantinedMessageGone, match="no longer spam"):
        await QUARANTINE.recover(ACCOUNT, str(ticket["id"]))


def test_the_review_case_of_a_freshdesk_message_carries_the_clicks() -> None:
    """The watcher opens a review case when recovery needs a person; its opening event and its
    ticket say what to click (serviceflow.engine.quarantine)."""
    from serviceflow_freshdesk.quarantine import how_to_recover

    from serviceflow.engine.quarantine import arrival_event
    from serviceflow.model import QuarantinedMessage, Requester

    now = datetime(2026, 11, 1, tzinfo=UTC)
    message = QuarantinedMessage(
        id="17", vendor="freshdesk", account="acme", sender=Requester(id="80001"), subject="Refund",
        excerpt="Nobody answers me.", received_at=now, how_to_recover=how_to_recover(17, "Refund"),
    )  # fmt: skip
    event = arrival_event(message)
    assert event.body.startswith("Nobody answers me.\n\nTo recover it: Freshdesk's API cannot")
    assert event.ticket.custom_fields["how_to_recover"] == message.how_to_recover


@pytest.mark.parametrize("how", ["deleted", "purged"])
async def test_recover_of_a_gone_message_says_so(freshdesk: FakeFreshdesk, how: str) -> None:
    ticket = freshdesk.add_ticket("Spam", spam=True)
    (freshdesk.delete if how == "deleted" else freshdesk.purge)(ticket["id"])
    with pytest.raises(QuarantinedMessageGone):
        await QUARANTINE.recover(ACCOUNT, str(ticket["id"]))
    assert freshdesk.calls_to("PUT") == []


async def test_dismiss_leaves_spam_for_freshdesk_to_purge_and_sends_no_delete(
    freshdesk: FakeFreshdesk,
) -> None:
    """``DELETE`` of a spam ticket answers 405 (FD-docs line 164): nothing is sent; Freshdesk
    deletes spam itself after 30 days."""
    ticket = freshdesk.add_ticket("Spam", spam=True)
    dismiss = lambda: QUARANTINE.dismiss(ACCOUNT, str(ticket["id"]))  # noqa: E731
    first = await dismiss()
    assert first.startswith("skipped: left in Freshdesk's Spam folder") and "30 days" in first
    assert await dismiss() == first and [m.id for m in await listed()] == [str(ticket["id"])]
    freshdesk.purge(ticket["id"])
    assert await dismiss() == "skipped: already gone"
    assert freshdesk.calls_to("DELETE") == []


async def test_dismiss_leaves_a_recovered_ticket_alone(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket("Was spam", spam=True)
    freshdesk.not_spam(ticket["id"])  # a person clicked "Not Spam"
    outcome = await QUARANTINE.dismiss(ACCOUNT, str(ticket["id"]))
    assert outcome.startswith("skipped: no longer spam")
    assert freshdesk.ticket(ticket["id"])["deleted"] is False
