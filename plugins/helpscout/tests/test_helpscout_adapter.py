"""The Help Scout adapter over real HTTP against the fake, beyond the conformance suite: what
Help Scout does not have (priority, on hold, merge), the thread limit, replies, the full
conversation, the sweep of changed conversations, the spam folder, settings, registration and the
demo helpdesk."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import pytest
from helpscout_testing import ACCOUNT, SECRET, action, delivery, settings_for
from serviceflow_helpscout.adapter import HelpScoutAdapter
from serviceflow_helpscout.demo import DemoHelpScout
from serviceflow_helpscout.errors import (
    InvalidActionTarget,
    NotConfigured,
    ThreadLimitReached,
    UnsupportedAction,
)
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.fake.webhooks import APP_EVENTS, encode
from serviceflow_helpscout.settings import API_ROOT, HelpScoutSettings

from serviceflow.adapters import ChangeCursor, adapter_for
from serviceflow.errors import QuarantinedMessageGone
from serviceflow.model import (
    ActorRole,
    AddPublicReply,
    AssignOwner,
    MergeTickets,
    Priority,
    SetPriority,
    SetStatus,
    TicketStatus,
)
from serviceflow.plugins import ENTRY_POINT_GROUP, installed_plugins
from serviceflow.receiver.accounts import AccountNotConfigured, check_accounts
from serviceflow.testing import ContractReceiver


def conversation(
    fake: FakeHelpScout, subject: str = "Charged twice", email: str = "casey@example.com"
) -> str:
    customer = fake.state.customer_by_email(email) or fake.add_customer("Casey Customer", email)
    return str(fake.open_conversation(customer["id"], subject, "Please refund one.", notify=False)["id"])


def test_the_plugin_is_registered_through_its_entry_point() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert names.get("helpscout") == "serviceflow_helpscout"
    plugins = {info.name: info for info in installed_plugins()}
    assert plugins["helpscout"].vendors == ("helpscout",)
    assert plugins["helpscout"].distribution == "serviceflow-helpscout"
    registered = adapter_for("helpscout")
    assert registered.quarantine is not None and registered.demo_helpdesk() is not None


async def test_missing_settings_name_the_variables(fake: FakeHelpScout) -> None:
    adapter = HelpScoutAdapter(settings_for(fake, app_id=None))
    with pytest.raises(NotConfigured, match="SERVICEFLOW_HELPSCOUT_APP_ID"):
        await adapter.whoami(ACCOUNT)
    assert HelpScoutAdapter(settings_for(fake, company="acme")).accounts() == ("acme",)


def test_a_default_install_names_no_account(
    fake: FakeHelpScout, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing configured: the shared API host names no account, so the receiver's start-up
    guard fires (it logged ``deliveries taken for account api.helpscout.net`` and started)."""
    monkeypatch.chdir(tmp_path)  # no .env
    for name in [n for n in os.environ if n.startswith("SERVICEFLOW_HELPSCOUT_")]:
        monkeypatch.delenv(name)
    assert adapter_for("helpscout").accounts() == ()
    with pytest.raises(AccountNotConfigured, match="helpscout"):
        check_accounts({"helpscout"})
    with pytest.raises(NotConfigured, match="SERVICEFLOW_HELPSCOUT_COMPANY"):
        _ = HelpScoutSettings(_env_file=None).account  # type: ignore[call-arg]
    # credentials alone name no account: a signed delivery is answered 503 account_not_configured
    signed = HelpScoutAdapter(settings_for(fake, base_url=API_ROOT, company=None))
    assert signed.accounts() == ()
    verdict = signed.verify_webhook(delivery("convo.deleted", b'{"id":123}'))
    assert verdict.accepted and verdict.account is None
    # another base URL (a proxy, the fake) names its host, as the other plugins' base URLs do
    assert HelpScoutAdapter(settings_for(fake, company=None)).accounts() == ("127.0.0.1",)


async def test_priority_is_a_tag_and_what_help_scout_lacks_is_refused(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    cid = conversation(fake)
    assert (
        await adapter.apply_action(ACCOUNT, cid, action(SetPriority, "p1", priority=Priority.HIGH)) == "done"
    )
    assert (
        await adapter.apply_action(ACCOUNT, cid, action(SetPriority, "p2", priority=Priority.URGENT))
        == "done"
    )
    tags = [t["tag"] for t in fake.conversation(int(cid))["tags"]]
    assert "priority-urgent" in tags and "priority-high" not in tags
    assert (await adapter.fetch_ticket(ACCOUNT, cid)).ticket.priority is Priority.URGENT
    with pytest.raises(UnsupportedAction, match="on-hold"):
        await adapter.apply_action(ACCOUNT, cid, action(SetStatus, "s1", status=TicketStatus.ON_HOLD))
    with pytest.raises(UnsupportedAction, match="Merge"):
        await adapter.apply_action(ACCOUNT, cid, action(MergeTickets, "m1", into_ticket="1"))
    for bad in ("04", "٤", "x"):
        with pytest.raises(InvalidActionTarget):
            await adapter.apply_action(ACCOUNT, bad, action(SetStatus, "s2", status=TicketStatus.PENDING))
    with pytest.raises(InvalidActionTarget, match="agent"):
        await adapter.apply_action(ACCOUNT, cid, action(AssignOwner, "a1", agent="ada@shop.example"))


async def test_solved_is_closed_and_a_reply_keeps_the_status(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    cid = conversation(fake)
    await adapter.apply_action(ACCOUNT, cid, action(SetStatus, "s1", status=TicketStatus.PENDING))
    await adapter.apply_action(ACCOUNT, cid, action(AddPublicReply, "r1", body="On its way"))
    shown = fake.conversation(int(cid))
    assert shown["status"] == "pending"  # kept explicitly: a reply would reactivate it otherwise
    (reply,) = [t for t in fake.threads(int(cid)) if t["type"] == "message"]
    assert reply["customer"]["id"] == shown["primaryCustomer"]["id"] and "[sf:r1]" in reply["body"]
    await adapter.apply_action(ACCOUNT, cid, action(SetStatus, "s2", status=TicketStatus.SOLVED))
    assert fake.conversation(int(cid))["status"] == "closed"
    assert (await adapter.fetch_ticket(ACCOUNT, cid)).ticket.status is TicketStatus.SOLVED


async def test_ai_answers_opens_a_case_for_what_it_hands_over_and_none_for_what_it_closed(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    """ "Created (AI Answers)", body the v2 Conversation object (the webhooks page): the documented
    ``status`` decides. Handed to the team (active): a case opens, as for ``convo.created``;
    closed by AI Answers itself: recorded, no event, so nobody is made its owner."""
    endpoint = ContractReceiver()
    casey = fake.add_customer("Casey Customer", "casey@example.com")
    with endpoint.server:
        fake.add_webhook(endpoint.url("helpscout"), secret=SECRET, events=APP_EVENTS)
        handed = fake.ai_answers_conversation(casey["id"], "Refund", "I want a person", resolved=False)
        answered = fake.ai_answers_conversation(casey["id"], "Hours", "When are you open?", resolved=True)
        fake.wait_idle()
        got = endpoint.take()
    assert [(d.headers["x-helpscout-event"], json.loads(d.body)["status"]) for d in got] == [
        ("convo.ai-answers.created", "active"),
        ("convo.ai-answers.created", "closed"),
    ]
    identity = await adapter.whoami(ACCOUNT)
    first, second = [
        await adapter.parse_webhook(
            delivery(d.headers["x-helpscout-event"], d.body), account=ACCOUNT, identity=identity
        )
        for d in got
    ]
    (opened,) = first
    assert (opened.id, opened.ticket.status) == (f"helpscout:{handed['id']}:created", TicketStatus.OPEN)
    assert opened.actor.role is ActorRole.CUSTOMER and opened.body == "I want a person"
    assert second == []
    fake.customer_writes(int(answered["id"]), "That did not help")  # reopens it: now it is a case
    assert fake.conversation(int(answered["id"]))["status"] == "active"


async def test_a_note_on_a_full_conversation_is_refused(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    cid = conversation(fake)
    for n in range(98):
        fake.customer_writes(int(cid), f"again {n}")
    with pytest.raises(ThreadLimitReached, match="412"):
        await adapter.apply_action(ACCOUNT, cid, action(AddPublicReply, "r9", body="One more"))


async def test_the_full_conversation_with_its_customer_and_organization(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    cid = conversation(fake)
    customer_id = fake.conversation(int(cid))["primaryCustomer"]["id"]
    fake.state.organizations[35] = {"id": 35, "name": "Acme, Inc", "domains": ["acme.com"]}
    fake.state.customers[customer_id]["organizationId"] = 35
    fake.state.customers[customer_id]["_embedded"]["properties"] = [
        {"slug": "plan", "value": "gold", "type": "text"}
    ]
    record = await adapter.fetch_ticket(ACCOUNT, cid)
    assert record.ticket.recipient == "support@shop.example" and record.missing == ()
    assert record.requester is not None and record.requester.fields == {"plan": "gold"}
    assert record.organization is not None and record.organization.name == "Acme, Inc"
    del fake.state.organizations[35]
    assert (await adapter.fetch_ticket(ACCOUNT, cid)).missing == ("organization",)
    assert fake.calls_to("GET", f"/v2/conversations/{cid}")[0].param("embed") == "threads"


async def test_changed_conversations_are_swept_with_status_all_and_an_overlap(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    made = [conversation(fake, f"Ticket {n}") for n in range(3)]
    fake.set_status(int(made[0]), fake.owner["id"], "closed")
    spam = str(fake.spam_arrives("win@prize.example", "You won", "Claim")["id"])
    cursor, seen = ChangeCursor.since(start), []
    for _ in range(10):
        page = await adapter.changed_tickets(ACCOUNT, cursor)
        seen += [r.ticket.id for r in page.tickets]
        cursor = page.next
        if not page.more:
            break
    assert set(made) <= set(seen) and spam not in seen
    first = fake.calls_to("GET", "/v2/conversations")[0]
    assert (first.param("status"), first.param("sortField"), first.param("sortOrder")) == (
        "all",
        "modifiedAt",
        "asc",
    )
    assert first.param("modifiedSince") == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    window = json.loads(cursor.token or "{}")  # the next sweep: from 5 minutes before the newest change
    newest, since = (datetime.strptime(window[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("newest", "since"))
    assert newest - since == timedelta(minutes=5) and window["page"] == 1
    again = await adapter.changed_tickets(ACCOUNT, cursor)  # at-least-once: the overlap comes again
    assert again.tickets and again.more
    with pytest.raises(ValueError, match="not a Help Scout change cursor"):
        await adapter.changed_tickets(ACCOUNT, ChangeCursor(token='{"since": "yesterday"}'))


async def test_the_spam_folder_is_the_quarantine(fake: FakeHelpScout) -> None:
    managers = fake.add_mailbox("Manager", "manager@shop.example")
    kept = str(
        fake.spam_arrives("casey@example.com", "Third time", "Nobody answers", mailbox_id=managers["id"])[
            "id"
        ]
    )
    other = str(fake.spam_arrives("win@prize.example", "You won", "Claim now")["id"])
    only = HelpScoutAdapter(settings_for(fake, spam_mailboxes=(managers["id"],)))
    queue = only.quarantine
    listed = [m async for m in queue.list_messages(ACCOUNT)]
    assert [m.id for m in listed] == [kept] and listed[0].recipient == "manager@shop.example"
    assert listed[0].cause == "spam" and listed[0].sender.email == "casey@example.com"
    ticket = await queue.recover(ACCOUNT, kept)
    assert ticket.requester.email == "casey@example.com" and ticket.status is TicketStatus.OPEN
    assert fake.conversation(int(kept))["status"] == "active"
    with pytest.raises(QuarantinedMessageGone):
        await queue.recover(ACCOUNT, kept)
    assert await queue.dismiss(ACCOUNT, kept) == "skipped: no longer spam (a person recovered it)"
    assert await queue.dismiss(ACCOUNT, other) == "done"
    assert await queue.dismiss(ACCOUNT, other) == "skipped: already gone"
    await only.aclose()


async def test_a_thin_delivery_is_read_once_and_a_person_is_a_person(
    fake: FakeHelpScout, adapter: HelpScoutAdapter
) -> None:
    ada = fake.add_user("Ada Agent", "ada@shop.example")
    cid = conversation(fake)
    fake.user_note(int(cid), ada["id"], "I'll call them")
    body = encode(fake.conversation(int(cid)))
    identity = await adapter.whoami(ACCOUNT)
    before = len(fake.calls_to("GET", f"/v2/conversations/{cid}"))
    (event,) = await adapter.parse_webhook(
        delivery("convo.note.created", body), account=ACCOUNT, identity=identity
    )
    assert (
        event.actor.role is ActorRole.AGENT
        and event.actor.id == str(ada["id"])
        and event.body == "I'll call them"
    )
    assert len(fake.calls_to("GET", f"/v2/conversations/{cid}")) == before + 1
    fake.delete(int(cid))  # gone before the read: the body is all there is
    (late,) = await adapter.parse_webhook(
        delivery("convo.note.created", body), account=ACCOUNT, identity=identity
    )
    assert late.actor.role is ActorRole.AGENT and late.id.startswith(f"helpscout:{cid}:convo.note.created:")


def test_the_demo_helpdesk_seeds_the_story_and_sets_spam_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = DemoHelpScout()
    for name in ("COMPANY", "BASE_URL", "APP_ID", "APP_SECRET", "WEBHOOK_SECRET"):
        monkeypatch.delenv(f"SERVICEFLOW_HELPSCOUT_{name}", raising=False)
    desk.start()
    try:
        assert desk.where.startswith("fake Help Scout at http://127.0.0.1:")
        assert {"ada", "casey"} <= set(desk.people) and desk.people["ada"].name == "Ada Agent"
        desk.connect("http://127.0.0.1:9", SECRET)
        settings = HelpScoutAdapter().settings()
        assert settings.account == desk.account and settings.secret() == SECRET
        ticket = desk.open_ticket("casey", "Charged twice", "Refund one", tags=("billing",))
        assert desk.reply(ticket, "On it") is False  # nobody owns it yet
        desk.fake.assign(int(ticket), desk.fake.owner["id"], int(desk.people["ada"].id))
        assert desk.reply(ticket, "On it") is True
        desk.suspend("casey", "Third time", "A manager please", "Detected as spam", "manager@shop.example")
        assert [t[0] for t in desk.tickets()] == [ticket]
        spam = [c for c in desk.fake.conversations() if c["status"] == "spam"]
        assert desk.fake.state.mailboxes[spam[0]["mailboxId"]]["email"] == "manager@shop.example"
    finally:
        desk.stop()
