"""The contract every helpdesk adapter meets, run against the plugin's own fake over real HTTP.

Collected by the ``serviceflow.testing`` pytest plugin in every test folder whose conftest
defines the ``helpdesk_contract`` fixture (a :class:`~serviceflow.testing.ContractTarget`);
nothing else is needed. Each test says which part of
:class:`~serviceflow.adapters.HelpdeskAdapter`'s contract it holds the adapter to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from serviceflow.adapters import ChangeCursor, Identity, WebhookRequest, parse_events
from serviceflow.errors import QuarantinedMessageGone, RecoveryNeedsPerson, ServiceflowError, TicketGone
from serviceflow.model import (
    Action,
    ActorRole,
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    EventKind,
    Notify,
    Priority,
    RemoveTags,
    SetPriority,
    SetStatus,
    TicketEvent,
    TicketStatus,
)
from serviceflow.testing.receiver import ContractReceiver
from serviceflow.testing.target import ContractTarget

#: An id no fake hands out before it has made millions of tickets.
MISSING_TICKET = "987654321"


@pytest.fixture
def target(helpdesk_contract: ContractTarget) -> ContractTarget:
    """The plugin's target (its ``helpdesk_contract`` fixture), its recorded sleeps cleared."""
    helpdesk_contract.sleeps.clear()
    return helpdesk_contract


@pytest.fixture
def receiver(helpdesk_contract: ContractTarget) -> Iterator[ContractReceiver]:
    """A webhook endpoint on 127.0.0.1 for the fake to deliver to, on the target's clock."""
    endpoint = ContractReceiver(clock=helpdesk_contract.clock)
    with endpoint.server:
        yield endpoint


def unique(what: str) -> str:
    return f"{what} {uuid.uuid4().hex[:10]}"


def act(cls: type[Any], **fields: Any) -> Action:
    action: Action = cls(
        key=unique("contract").replace(" ", "-"), reason="conformance", policy="c", rule="r", **fields
    )
    return action


async def events_of(
    target: ContractTarget, identity: Identity, deliveries: list[WebhookRequest]
) -> list[TicketEvent]:
    """Verify and parse deliveries as the receiver does (awaiting an adapter that reads its
    thin webhooks)."""
    out: list[TicketEvent] = []
    for delivery in deliveries:
        verdict = target.adapter.verify_webhook(delivery)
        assert verdict.accepted, f"the fake's own delivery was refused: {verdict.reason}"
        account = verdict.account or target.account
        out.extend(await parse_events(target.adapter, delivery, account=account, identity=identity))
    return out


async def apply_as_the_shell_does(
    target: ContractTarget, ticket_id: str, action: Action, attempts: int = 3
) -> str:
    """Carry out an action, trying again after a retryable error, as the activity's retry does."""
    for attempt in range(attempts):
        try:
            return await target.adapter.apply_action(target.account, ticket_id, action)
        except ServiceflowError as exc:
            if not getattr(exc, "retryable", False) or attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def opened(target: ContractTarget, receiver: ContractReceiver | None = None) -> str:
    """A new ticket from a new customer, its webhooks (if delivered) drained."""
    email = f"{uuid.uuid4().hex[:8]}@customer.example"
    ticket = target.desk.open_ticket(
        unique("Charged twice"), "Please refund one.", requester_name="Casey", requester_email=email
    )
    if receiver is not None:
        target.desk.wait_idle()
    return ticket


# ---------------------------------------------------------------------- webhooks in


async def test_verification_accepts_the_vendors_deliveries_and_refuses_tampering(
    target: ContractTarget, receiver: ContractReceiver
) -> None:
    """Authentic deliveries are accepted for the configured account; every tampering the
    vendor's scheme can detect is refused with its reason."""
    target.desk.send_webhooks_to(receiver.url(target.adapter.vendor))
    opened(target, receiver)
    deliveries = receiver.take()
    assert deliveries, "the fake sent no webhook for a new ticket"
    for delivery in deliveries:
        verdict = target.adapter.verify_webhook(delivery)
        assert verdict.accepted and verdict.account == target.account, verdict
    tamperings = target.desk.tamperings(deliveries[0])
    assert tamperings, "the desk names no tampering to refuse"
    for tampering in tamperings:
        verdict = target.adapter.verify_webhook(tampering.request)
        assert not verdict.accepted, f"accepted a delivery with {tampering.what}"
        assert verdict.reason == tampering.reason, (tampering.what, verdict.reason)


async def test_every_documented_webhook_shape_parses(target: ContractTarget) -> None:
    """Each documented shape verifies and parses into events of this vendor and account, with
    stable ids; parsed again, the same delivery gives the same events, times included (what
    stands for "now" is the request's ``received_at``, never the wall clock)."""
    identity = await target.adapter.whoami(target.account)
    ticket = opened(target)
    shapes = target.desk.documented_webhooks(ticket)
    assert shapes, "the desk names no documented webhook shape"
    for name, delivery in shapes:
        events = await events_of(target, identity, [delivery])
        again = await events_of(target, identity, [delivery])
        assert [e.id for e in events] == [e.id for e in again], name
        assert events == again, f"{name}: parsed twice, it differs (the wall clock, not received_at?)"
        for event in events:
            assert (event.ticket.vendor, event.ticket.account) == (target.adapter.vendor, target.account), (
                name
            )
            assert event.id and event.ticket.id, name


async def test_a_redelivery_yields_the_same_event_ids(
    target: ContractTarget, receiver: ContractReceiver
) -> None:
    """The vendor delivers again what got no 2xx; the copies are the same events."""
    receiver.refuse_first = True
    identity = await target.adapter.whoami(target.account)
    target.desk.send_webhooks_to(receiver.url(target.adapter.vendor))
    ticket = opened(target)
    target.desk.customer_writes(ticket, "Any news?")
    target.desk.wait_idle()
    copies: dict[bytes, list[WebhookRequest]] = {}
    for delivery in receiver.take():
        copies.setdefault(delivery.body, []).append(delivery)
    redelivered = [group for group in copies.values() if len(group) > 1]
    assert redelivered, "the fake delivered nothing again after a 503"
    for group in redelivered:
        ids = [[e.id for e in await events_of(target, identity, [copy])] for copy in group]
        assert all(i == ids[0] for i in ids), ids


# ---------------------------------------------------------------------- actions


def comment_actions(agent: str) -> list[Action]:
    return [
        act(AddInternalNote, body=unique("Refund approved")),
        act(AddPublicReply, body=unique("We refunded you")),
        act(Notify, recipients=(agent,), subject=unique("At risk"), body="Due soon"),
    ]


def text_of(action: Action) -> str:
    return str(getattr(action, "subject", None) or getattr(action, "body", ""))


async def test_every_action_applies_once_per_key(target: ContractTarget) -> None:
    """An action arriving again with its key (an activity retry) changes nothing."""
    desk = target.desk
    agent = desk.add_agent(unique("Ada"), f"{uuid.uuid4().hex[:8]}@shop.example")
    ticket = opened(target)
    comments = comment_actions(agent)
    fields = [
        act(AssignOwner, agent=agent),
        act(SetStatus, status=TicketStatus.PENDING),
        act(SetPriority, priority=Priority.HIGH),
        act(AddTags, tags=("sf-contract", "sf-refund")),
        act(RemoveTags, tags=("sf-refund",)),
    ]
    for action in [*comments, *fields]:
        first = await target.adapter.apply_action(target.account, ticket, action)
        again = await target.adapter.apply_action(target.account, ticket, action)
        assert first == "done", (action.type, first)
        assert again.startswith("skipped"), (action.type, again)
    texts = desk.texts(ticket)
    for action in comments:
        assert sum(text_of(action) in t for t in texts) == 1, action.type
    assert desk.assignee(ticket) == agent
    assert "sf-contract" in desk.tags(ticket) and "sf-refund" not in desk.tags(ticket)


async def test_an_action_applies_once_across_a_5xx_after_the_write(target: ContractTarget) -> None:
    """A 502 that comes after the helpdesk applied the write (a gateway lost the answer), and
    the retry the shell makes after it: one note, one reply, one assignment."""
    desk = target.desk
    agent = desk.add_agent(unique("Bea"), f"{uuid.uuid4().hex[:8]}@shop.example")
    ticket = opened(target)
    actions = [*comment_actions(agent), act(AssignOwner, agent=agent), act(AddTags, tags=("sf-once",))]
    for action in actions:
        desk.fail_next_write(ticket, action.type, status=502, after_write=True)
        outcome = await apply_as_the_shell_does(target, ticket, action)
        assert outcome == "done" or outcome.startswith("skipped"), (action.type, outcome)
    texts = desk.texts(ticket)
    for action in actions[:3]:
        copies = [t for t in texts if text_of(action) in t]
        assert len(copies) == 1, f"{action.type} written {len(copies)} times"
    assert desk.assignee(ticket) == agent and desk.tags(ticket).count("sf-once") == 1


async def test_our_own_writes_come_back_as_ours(target: ContractTarget, receiver: ContractReceiver) -> None:
    """Every change serviceflow makes comes back as the vendor's webhooks, attributed to the
    integration (role ``serviceflow``); a person's and the customer's stay theirs."""
    desk = target.desk
    identity = await target.adapter.whoami(target.account)
    assert (identity.vendor, identity.account) == (target.adapter.vendor, target.account) and identity.id
    agent = desk.add_agent(unique("Cat"), f"{uuid.uuid4().hex[:8]}@shop.example")
    desk.send_webhooks_to(receiver.url(target.adapter.vendor))
    ticket = opened(target, receiver)
    receiver.take()
    for action in (
        act(AssignOwner, agent=agent),
        act(AddInternalNote, body=unique("Case summary")),
        act(SetStatus, status=TicketStatus.PENDING),
        act(AddTags, tags=("sf-ours",)),
    ):
        await target.adapter.apply_action(target.account, ticket, action)
    desk.wait_idle()
    ours = await events_of(target, identity, receiver.take())
    assert ours, "serviceflow's writes came back as no webhook: the fake does not echo them"
    assert all(e.actor.role is ActorRole.SERVICEFLOW for e in ours), [(e.kind, e.actor) for e in ours]
    assert {EventKind.ASSIGNED, EventKind.INTERNAL_NOTE} <= {e.kind for e in ours}
    desk.agent_notes(ticket, agent, unique("A person's note"))
    desk.customer_writes(ticket, unique("Any news"))
    desk.wait_idle()
    theirs = await events_of(target, identity, receiver.take())
    assert not any(e.actor.role is ActorRole.SERVICEFLOW for e in theirs), theirs
    assert any(e.kind is EventKind.INTERNAL_NOTE and e.actor.role is ActorRole.AGENT for e in theirs)
    assert any(e.kind is EventKind.CUSTOMER_MESSAGE and e.actor.role is ActorRole.CUSTOMER for e in theirs)


# ---------------------------------------------------------------------- reading


async def test_the_full_ticket_is_read(target: ContractTarget) -> None:
    """The ticket with its requester's email and name; a ticket that is gone is ``TicketGone``."""
    email = f"{uuid.uuid4().hex[:8]}@customer.example"
    subject = unique("Where is my parcel")
    ticket = target.desk.open_ticket(
        subject, "It has been a week.", requester_name="Robin Reader", requester_email=email
    )
    record = await target.adapter.fetch_ticket(target.account, ticket)
    assert (record.ticket.id, record.ticket.subject) == (ticket, subject)
    assert (record.ticket.vendor, record.ticket.account) == (target.adapter.vendor, target.account)
    assert (record.ticket.requester.email, record.ticket.requester.name) == (email, "Robin Reader")
    assert (
        record.requester is not None and record.requester.email == email and "requester" not in record.missing
    )
    with pytest.raises(TicketGone):
        await target.adapter.fetch_ticket(target.account, MISSING_TICKET)


async def test_listings_follow_every_page(target: ContractTarget) -> None:
    """The roster and the changed tickets, several pages long, are read to the end, once each,
    and the integration's own user owns nothing."""
    n = target.page_size * 2 + 1
    agents = {
        target.desk.add_agent(unique("Agent"), f"{uuid.uuid4().hex[:8]}@shop.example") for _ in range(n)
    }
    roster = await target.adapter.load_roster(target.account)
    ids = [a.id for a in roster.agents]
    assert agents <= set(ids) and len(ids) == len(set(ids))
    identity = await target.adapter.whoami(target.account)
    assert identity.id not in ids
    made = {opened(target) for _ in range(n)}
    cursor = ChangeCursor.since(datetime.now(UTC) - timedelta(hours=1))
    seen: list[str] = []
    for _ in range(10 * n):
        page = await target.adapter.changed_tickets(target.account, cursor)
        seen.extend(r.ticket.id for r in page.tickets)
        cursor = page.next
        if not page.more:
            break
    assert made <= set(seen), (made, seen)


async def test_a_429_waits_exactly_its_retry_after(target: ContractTarget) -> None:
    """A 429 is waited out for its ``Retry-After``; one longer than the adapter may wait is
    raised, retryable, without waiting."""
    target.desk.fail_next(1, status=429, retry_after=2)
    identity = await target.adapter.whoami(target.account)
    assert identity.id and 2 in target.sleeps
    target.sleeps.clear()
    target.desk.fail_next(1, status=429, retry_after=target.max_retry_after * 10)
    with pytest.raises(ServiceflowError) as caught:
        await target.adapter.whoami(target.account)
    assert getattr(caught.value, "retryable", False) and target.sleeps == []
    assert getattr(caught.value, "retry_after", None) == target.max_retry_after * 10


# ---------------------------------------------------------------------- quarantine


async def test_quarantine_lists_recovers_and_dismisses(target: ContractTarget) -> None:
    """Every queued message is listed; a recovered one becomes a ticket of its sender and leaves
    the queue; a dismissed one leaves it; a second dismissal is skipped, a recovery of a gone
    message says so. A helpdesk whose API cannot recover (``RecoveryNeedsPerson``) says what a
    person clicks, in the error and on the listed message, and keeps it queued; one whose API
    cannot remove it skips the dismissal, saying why, and keeps it queued for its own expiry."""
    queue = target.adapter.quarantine
    if queue is None:
        pytest.skip(f"the {target.adapter.vendor} adapter has no quarantine")
    sender = f"{uuid.uuid4().hex[:8]}@customer.example"
    kept = target.desk.quarantine(sender, unique("Third time: my refund"), "Nobody answers me.")
    junk = target.desk.quarantine("win@prize.example", unique("You have won"), "Claim now")
    assert kept is not None and junk is not None
    listed = {m.id: m for m in [m async for m in queue.list_messages(target.account)]}
    assert {kept, junk} <= set(listed)
    assert listed[kept].vendor == target.adapter.vendor and listed[kept].account == target.account
    try:
        ticket = await queue.recover(target.account, kept)
    except RecoveryNeedsPerson as needs:
        assert str(needs) and listed[kept].how_to_recover, "say what a person must do instead"
        recovered = False
    else:
        assert ticket.requester.email == sender and ticket.vendor == target.adapter.vendor
        recovered = True
    dismissed = await queue.dismiss(target.account, junk)
    assert dismissed == "done" or dismissed.startswith("skipped: "), dismissed
    assert (await queue.dismiss(target.account, junk)).startswith("skipped")
    left = {m.id async for m in queue.list_messages(target.account)}
    assert (kept in left) is not recovered
    assert (junk in left) is (dismissed != "done")
    if dismissed == "done":
        with pytest.raises(QuarantinedMessageGone):
            await queue.recover(target.account, junk)
