"""The adapter's quarantine (the suspended tickets queue), against the fake's.

Settings reach the plugin through ``SERVICEFLOW_ZENDESK_*`` (monkeypatch), as in production; every
request is held to the OAS by the ``fake`` fixture. The plugin's own client sleeps for real, so
faults here use ``Retry-After: 0`` or one longer than the client may wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from serviceflow_zendesk import ADAPTER
from serviceflow_zendesk.adapter import AccountMismatch
from serviceflow_zendesk.convert import EXCERPT_LENGTH, excerpt
from serviceflow_zendesk.errors import RecoveryFailed
from serviceflow_zendesk.fake import FakeZendesk
from zendesk_testing import WebhookReceiver

from serviceflow.errors import QuarantinedMessageGone, ServiceflowError
from serviceflow.model import Channel, QuarantinedMessage, TicketStatus

ACCOUNT = "127.0.0.1"  # no subdomain set: the account is the base_url host
QUEUE = "/api/v2/suspended_tickets"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUARANTINE = ADAPTER.quarantine


async def listed(account: str = ACCOUNT) -> list[QuarantinedMessage]:
    return [message async for message in QUARANTINE.list_messages(account)]


async def recover(message_id: int | str) -> Any:
    return await QUARANTINE.recover(ACCOUNT, str(message_id))


async def dismiss(message_id: int | str) -> str:
    return await QUARANTINE.dismiss(ACCOUNT, str(message_id))


async def test_list_converts_the_queue_oldest_first(zendesk: FakeZendesk) -> None:
    casey = zendesk.add_user("Casey Customer", email="casey@example.com")
    long_html = "<p>Hello&nbsp;team,</p><p>" + "word " * 200 + "</p>"
    later = zendesk.add_suspended(
        "casey@example.com",
        author_name="Casey Customer",
        subject="Still no refund — third time I'm writing",
        content=long_html,
        cause="Detected as spam",
        recipient="manager@example.com",
        created_at=T0 + timedelta(hours=1),
    )
    reply = zendesk.add_ticket("Charged twice", requester_id=casey["id"])
    earlier = zendesk.add_suspended(
        "stranger@example.net",
        author_name="Stranger",
        subject="Where is this shop?",  # sorts after the other subject: time order only
        content="Is this shop real?",
        cause="Submitted by unverified user",
        created_at=T0,
        ticket_id=reply["id"],
    )
    first, second = await listed()
    assert (first.id, second.id) == (str(earlier["id"]), str(later["id"]))  # oldest first, not by id
    assert second == QuarantinedMessage(
        id=str(later["id"]),
        vendor="zendesk",
        account=ACCOUNT,
        sender={"id": str(casey["id"]), "email": "casey@example.com", "name": "Casey Customer"},
        subject="Still no refund — third time I'm writing",
        excerpt=second.excerpt,
        cause="Detected as spam",
        recipient="manager@example.com",
        channel=Channel.EMAIL,
        received_at=T0 + timedelta(hours=1),
        expires_at=T0 + timedelta(days=14, hours=1),
        ticket_id=None,
    )
    assert second.excerpt.startswith("Hello team, word word") and second.excerpt.endswith("…")
    assert len(second.excerpt) <= EXCERPT_LENGTH and "<" not in second.excerpt
    assert (first.sender.id, first.sender.email) == ("stranger@example.net", "stranger@example.net")
    assert (first.excerpt, first.ticket_id, first.recipient) == ("Is this shop real?", str(reply["id"]), None)
    assert first.key == f"zendesk:{ACCOUNT}:quarantine-{earlier['id']}"


async def test_list_follows_every_page(zendesk: FakeZendesk) -> None:
    ids = [
        zendesk.add_suspended(f"s{i}@example.net", created_at=T0 + timedelta(seconds=i))["id"]
        for i in range(105)
    ]
    assert [m.id for m in await listed()] == [str(i) for i in ids]
    assert len(zendesk.calls_to("GET", QUEUE)) == 2  # 100 a page


async def test_a_message_a_person_handled_leaves_the_next_listing(zendesk: FakeZendesk) -> None:
    recovered, deleted, waiting = (
        zendesk.add_suspended(f"{name}@example.net", created_at=T0 + timedelta(minutes=i))
        for i, name in enumerate(("recovered", "deleted", "waiting"))
    )
    assert len(await listed()) == 3
    zendesk.recover_suspended(recovered["id"])
    zendesk.delete_suspended(deleted["id"])
    assert [m.id for m in await listed()] == [str(waiting["id"])]


async def test_recover_keeps_the_requester_and_the_ticket_is_announced(
    zendesk: FakeZendesk, receiver: WebhookReceiver
) -> None:
    zendesk.add_webhook(receiver.url)
    casey = zendesk.add_user("Casey Customer", email="casey@example.com")
    suspended = zendesk.add_suspended(
        "casey@example.com",
        subject="Still no refund",
        content="Third time.",
        recipient="manager@example.com",
    )
    ticket = await recover(suspended["id"])
    assert (ticket.vendor, ticket.account, ticket.subject, ticket.status, ticket.channel) == (
        "zendesk",
        ACCOUNT,
        "Still no refund",
        TicketStatus.NEW,
        Channel.EMAIL,
    )
    assert (ticket.requester.id, ticket.requester.email, ticket.requester.name) == (
        str(casey["id"]),
        "casey@example.com",
        "Casey Customer",
    )
    assert ticket.recipient == "manager@example.com" and ticket.assignee is None
    (delivery,) = zendesk.wait_for_deliveries(1)
    assert (delivery.event_type, str(delivery.ticket_id)) == ("zen:event-type:ticket.created", ticket.id)
    assert zendesk.suspended_tickets() == [] and len(zendesk.tickets()) == 1
    with pytest.raises(QuarantinedMessageGone):  # a retry finds it gone; no second ticket
        await recover(suspended["id"])
    assert len(zendesk.tickets()) == 1


async def test_recover_survives_a_failed_read_back(zendesk: FakeZendesk) -> None:
    suspended = zendesk.add_suspended("casey@example.com", subject="Refund")
    zendesk.fail_next(1, status=429, retry_after=600, method="GET", path="/api/v2/tickets/*")
    ticket = await recover(suspended["id"])  # recovered: the read-back failure must not undo that
    assert ticket.subject == "Refund" and ticket.requester.email is None
    assert zendesk.ticket(int(ticket.id))["requester_id"] == int(ticket.requester.id)
    assert zendesk.pending_faults == 0


async def test_recover_refused_is_not_retryable(zendesk: FakeZendesk) -> None:
    stuck = zendesk.add_suspended(
        "support@example.com", cause="Received from support address", recoverable=False
    )
    with pytest.raises(RecoveryFailed) as caught:
        await recover(stuck["id"])
    assert not getattr(caught.value, "retryable", False)  # the watcher opens a review instead
    assert [m.id for m in await listed()] == [str(stuck["id"])]


async def test_dismiss_deletes_and_a_retry_is_skipped(zendesk: FakeZendesk) -> None:
    spam = zendesk.add_suspended("claims@prize-winners.example", subject="You WON")
    assert await dismiss(spam["id"]) == "done"
    assert await listed() == []
    assert await dismiss(spam["id"]) == "skipped: already gone"
    assert [c.status for c in zendesk.calls_to("DELETE", QUEUE + "/*")] == [204, 404]


async def test_poll_failures_are_retryable_and_lose_nothing(zendesk: FakeZendesk) -> None:
    for i in range(3):
        zendesk.add_suspended(f"s{i}@example.net", created_at=T0 + timedelta(minutes=i))
    zendesk.fail_next(1, status=429, retry_after=0, path=QUEUE)  # waited out within the call
    assert len(await listed()) == 3
    zendesk.fail_next(5, status=503, retry_after=0, path=QUEUE)  # more than the client retries
    with pytest.raises(ServiceflowError) as caught:
        await listed()
    assert getattr(caught.value, "retryable", False)
    zendesk.fail_next(1, status=429, retry_after=600, path=QUEUE)  # longer than the client waits
    with pytest.raises(ServiceflowError) as limited:
        await listed()
    assert getattr(limited.value, "retryable", False)
    for act in (dismiss, recover):
        zendesk.fail_next(1, status=429, retry_after=600, path=QUEUE + "/*")
        with pytest.raises(ServiceflowError) as failed:
            await act(1)
        assert getattr(failed.value, "retryable", False)
    assert len(await listed()) == 3 and len(zendesk.suspended_tickets()) == 3


async def test_wrong_account_and_bad_ids_say_what_to_fix(zendesk: FakeZendesk) -> None:
    with pytest.raises(AccountMismatch, match="not configured"):
        await listed("other-account")
    with pytest.raises(ServiceflowError, match="numeric"):
        await dismiss("abc")


def test_excerpt_is_bounded_plain_text() -> None:
    assert excerpt(None) == "" and excerpt("  short\n\ntext ") == "short text"
    assert excerpt("<div>a<br>b</div><p>c &amp; d</p>") == "a b c & d"
    cut = excerpt("x" * 10 + " " + "y" * 600, limit=50)
    assert cut == "x" * 10 + " " + "y" * 38 + "…" and len(cut) == 50
