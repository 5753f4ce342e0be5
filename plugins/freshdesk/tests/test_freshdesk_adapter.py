"""The registered Freshdesk adapter's REST side, against the fake over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freshdesk_testing import action
from serviceflow_freshdesk import ADAPTER, FreshdeskAdapter
from serviceflow_freshdesk.actions import InvalidActionTarget, marker
from serviceflow_freshdesk.adapter import AccountMismatch
from serviceflow_freshdesk.errors import RateLimited, UnsupportedAction, ValidationFailed
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.settings import FreshdeskSettings

from serviceflow.adapters import ChangeCursor, Identity, adapter_for
from serviceflow.errors import TicketGone
from serviceflow.model import (
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    Channel,
    LinkCase,
    MergeTickets,
    Priority,
    RemoveTags,
    SetPriority,
    SetStatus,
    TicketStatus,
)

ACCOUNT = "127.0.0.1"  # no domain set: the account is the base_url host


async def apply(ticket_id: int | str, act: Any) -> str:
    return await ADAPTER.apply_action(ACCOUNT, str(ticket_id), act)


async def fetch(ticket_id: int | str) -> Any:
    return (await ADAPTER.fetch_ticket(ACCOUNT, str(ticket_id))).ticket


def test_the_adapter_is_registered_under_its_vendor() -> None:
    assert adapter_for("freshdesk") is ADAPTER
    assert ADAPTER.quarantine is not None and ADAPTER.demo_helpdesk() is not None


async def test_whoami_is_the_api_keys_agent(freshdesk: FakeFreshdesk) -> None:
    assert await ADAPTER.whoami(ACCOUNT) == Identity(
        vendor="freshdesk",
        account=ACCOUNT,
        id=str(freshdesk.admin["id"]),
        name="Fake Admin",
        email="admin@example.com",
    )
    assert freshdesk.calls_to("GET", "/api/v2/agents/me")


# ---------------------------------------------------------------------- reading


async def test_whoami_warns_once_when_the_agent_cannot_see_every_ticket(
    freshdesk: FakeFreshdesk, caplog: pytest.LogCaptureFixture
) -> None:
    restricted = freshdesk.add_agent("serviceflow", email="sf@shop.example", ticket_scope=2)
    freshdesk.add_api_key("group-key", restricted["id"])
    settings = FreshdeskSettings(_env_file=None, base_url=freshdesk.base_url, api_key="group-key")  # type: ignore[call-arg]
    adapter = FreshdeskAdapter(settings)
    try:
        for _ in range(2):
            assert (await adapter.whoami(ACCOUNT)).id == str(restricted["id"])
    finally:
        await adapter.aclose()
    warnings = [r.getMessage() for r in caplog.records if "ticket scope" in r.getMessage()]
    assert len(warnings) == 1 and "not Global Access" in warnings[0]


async def test_fetch_ticket_normalises_codes_and_sideloads_the_requester(freshdesk: FakeFreshdesk) -> None:
    casey = freshdesk.add_contact("Casey", email="casey@example.com")
    ticket = freshdesk.add_ticket(
        "Charged twice", requester_id=casey["id"], status=3, priority=4, source=9, tags=["billing"]
    )
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(ticket["id"]))
    got = record.ticket
    assert record.requester is not None and record.requester.name == "Casey" and record.missing == ()
    assert (got.vendor, got.account, got.id) == ("freshdesk", ACCOUNT, str(ticket["id"]))
    assert (got.status, got.priority, got.channel) == (TicketStatus.PENDING, Priority.URGENT, Channel.WEB)
    assert (got.requester.id, got.requester.email, got.requester.name) == (
        str(casey["id"]),
        "casey@example.com",
        "Casey",
    )
    assert got.tags == ("billing",)
    (read,) = freshdesk.calls  # no company, no mailbox: one call (3 credits with two includes)
    assert read.param("include") == "requester,company" and record.organization is None


async def test_fetch_ticket_reads_the_company_with_its_domains_and_fields_and_the_recipient(
    freshdesk: FakeFreshdesk,
) -> None:
    """View a Ticket with ``include=requester,company`` gives the company's id and name (FD-docs
    line 949); its domains and custom fields come from View a Company; the recipient from
    ``to_emails``, else the ticket's support mailbox (read once)."""
    shop = freshdesk.add_company(
        "Shop Ltd", domains=["shop.example", "shop-ltd.example"], custom_fields={"tier": "gold", "seats": 40}
    )
    casey = freshdesk.add_contact("Casey", email="casey@shop.example", company_id=shop["id"])
    mailbox = freshdesk.add_email_config("support@acme.example")
    emailed = freshdesk.add_ticket(
        "To the manager", requester_id=casey["id"], to_emails=["manager@acme.example"],
        email_config_id=mailbox["id"], custom_fields={"cf_order": "1042"},
    )  # fmt: skip
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(emailed["id"]))
    assert record.missing == () and record.ticket.recipient == "manager@acme.example"
    assert record.organization is not None
    assert (record.organization.id, record.organization.name) == (str(shop["id"]), "Shop Ltd")
    assert record.organization.domains == ("shop.example", "shop-ltd.example")
    assert record.organization.fields == {"tier": "gold", "seats": 40}
    assert record.requester is not None and record.requester.organization == str(shop["id"])
    assert record.ticket.custom_fields["cf_order"] == "1042"
    assert [c.path for c in freshdesk.calls] == [
        f"/api/v2/tickets/{emailed['id']}",
        f"/api/v2/companies/{shop['id']}",
    ]
    portal = [freshdesk.add_ticket(f"From the portal {i}", requester_id=casey["id"], source=2,
                                   email_config_id=mailbox["id"]) for i in range(2)]  # fmt: skip
    for ticket in portal:
        assert (
            await ADAPTER.fetch_ticket(ACCOUNT, str(ticket["id"]))
        ).ticket.recipient == "support@acme.example"
    assert len(freshdesk.calls_to("GET", "/api/v2/email_configs/*")) == 1  # the mailbox is read once


async def test_a_part_freshdesk_will_not_show_is_named_in_missing(freshdesk: FakeFreshdesk) -> None:
    shop = freshdesk.add_company("Shop Ltd", domains=["shop.example"])
    casey = freshdesk.add_contact("Casey", email="casey@shop.example", company_id=shop["id"])
    ticket = freshdesk.add_ticket("Hi", requester_id=casey["id"], email_config_id=12345)  # no such mailbox
    freshdesk.fail_next(1, status=403, method="GET", path=f"/api/v2/companies/{shop['id']}")
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(ticket["id"]))
    assert record.organization is not None and record.organization.name == "Shop Ltd"
    assert record.organization.domains == () and record.ticket.recipient is None
    assert set(record.missing) == {"organization.domains", "organization.fields", "recipient"}


async def test_a_rate_limited_company_read_is_retryable_not_missing(freshdesk: FakeFreshdesk) -> None:
    shop = freshdesk.add_company("Shop Ltd")
    casey = freshdesk.add_contact("Casey", email="casey@shop.example", company_id=shop["id"])
    ticket = freshdesk.add_ticket("Hi", requester_id=casey["id"])
    freshdesk.fail_next(1, status=429, retry_after=900, method="GET", path=f"/api/v2/companies/{shop['id']}")
    with pytest.raises(RateLimited) as caught:
        await ADAPTER.fetch_ticket(ACCOUNT, str(ticket["id"]))
    assert caught.value.retryable is True


async def test_custom_status_reads_as_on_hold_unless_configured(
    freshdesk: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = freshdesk.add_ticket(status=6)
    got = await fetch(ticket["id"])
    assert got.status is TicketStatus.ON_HOLD
    assert got.custom_fields["freshdesk_status_id"] == 6
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES", '{"6": "pending"}')
    assert (await fetch(ticket["id"])).status is TicketStatus.PENDING


async def test_fetch_of_a_deleted_ticket_is_ticket_gone(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    freshdesk.purge(ticket["id"])
    with pytest.raises(TicketGone):
        await fetch(ticket["id"])


async def test_other_accounts_are_refused(freshdesk: FakeFreshdesk) -> None:
    with pytest.raises(AccountMismatch, match="not configured"):
        await ADAPTER.fetch_ticket("other", "1")


async def test_changed_tickets_include_old_ones_page_by_page_and_skip_spam(freshdesk: FakeFreshdesk) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    freshdesk.add_ticket("Old but changed", created_at=long_ago)
    freshdesk.add_ticket("Recent", status=3)
    freshdesk.add_ticket("Closed", status=5)
    freshdesk.add_ticket("Spam", spam=True)
    small = type(ADAPTER)(client_options={"page_size": 2})
    try:
        cursor = ChangeCursor.since(datetime.now(UTC) - timedelta(days=365))
        pages = []
        while True:
            page = await small.changed_tickets(ACCOUNT, cursor)
            pages.append([r.ticket.subject for r in page.tickets])
            cursor = page.next
            if not page.more:
                break
    finally:
        await small.aclose()
    assert pages == [["Old but changed", "Recent"], ["Closed"]]
    # Without updated_since Freshdesk lists 30 days only; the sweep must ask for more.
    assert all(c.param("updated_since") for c in freshdesk.calls_to("GET", "/api/v2/tickets"))
    assert freshdesk.calls_to("GET", "/api/v2/tickets")[0].param("include") == "requester"


async def test_roster_carries_numeric_ids_as_strings_and_memberships(freshdesk: FakeFreshdesk) -> None:
    frontline, billing = freshdesk.add_group("frontline"), freshdesk.add_group("billing")
    ada = freshdesk.add_agent("Ada", email="ada@shop.example", groups=[frontline["id"], billing["id"]])
    gone = freshdesk.add_agent("Gone", email="gone@shop.example")
    freshdesk.state.directory.deactivate_contact(gone["id"])
    roster = await ADAPTER.load_roster(ACCOUNT)
    assert {g.name: g.id for g in roster.groups} == {
        "frontline": str(frontline["id"]),
        "billing": str(billing["id"]),
    }
    agent = roster.agent("ada@shop.example")
    assert agent is not None and agent.id == str(ada["id"]) and agent.name == "Ada"
    assert set(agent.groups) == {str(frontline["id"]), str(billing["id"])}
    assert [a.id for a in roster.members("frontline")] == [str(ada["id"])]
    assert roster.agent(str(gone["id"])) is None
    assert roster.agent(str(freshdesk.admin["id"])) is None  # the API key's agent owns nothing
    # The roster's ids are what AssignOwner needs.
    ticket = freshdesk.add_ticket()
    assert await apply(ticket["id"], action(AssignOwner, agent=agent.id, group=roster.groups[0].id)) == "done"
    assert (freshdesk.ticket(ticket["id"])["responder_id"], freshdesk.ticket(ticket["id"])["group_id"]) == (
        ada["id"],
        frontline["id"],
    )


# ---------------------------------------------------------------------- actions


async def test_assign_reads_before_writing_and_a_retry_writes_nothing(freshdesk: FakeFreshdesk) -> None:
    ada = freshdesk.add_agent("Ada", email="ada@shop.example")
    ticket = freshdesk.add_ticket()
    assign = action(AssignOwner, agent=str(ada["id"]))
    assert await apply(ticket["id"], assign) == "done"
    assert await apply(ticket["id"], assign) == "skipped: already so"
    puts = freshdesk.calls_to("PUT", "/api/v2/tickets/*")
    assert [p.json for p in puts] == [{"responder_id": ada["id"]}]


async def test_the_same_note_twice_leaves_one_note(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    freshdesk.add_note(ticket["id"], "someone else's note")
    note = action(
        AddInternalNote, key="ack/created@1", body="Owner: Ada <ada@shop.example>\nSecond line & more"
    )
    assert await apply(ticket["id"], note) == "done"
    assert await apply(ticket["id"], note) == "skipped: already done"
    notes = freshdesk.notes(ticket["id"])
    ours = [n for n in notes if marker("ack/created@1") in n["body_text"]]
    assert len(ours) == 1 and ours[0]["private"] is True
    assert "Owner: Ada <ada@shop.example>" in ours[0]["body_text"]
    assert "&lt;ada@shop.example&gt;" in ours[0]["body"]  # HTML-escaped on the way in
    assert len(freshdesk.calls_to("POST", "/api/v2/tickets/*/notes")) == 1


async def test_marker_is_found_on_a_later_page_of_conversations(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    note = action(AddInternalNote, key="late", body="first")
    assert await apply(ticket["id"], note) == "done"
    for i in range(120):  # push our note off the first page of 100
        freshdesk.state.add_note(
            ticket["id"], {"body": f"<div>n{i}</div>"}, actor_id=freshdesk.admin["id"], emit=False
        )
    assert await apply(ticket["id"], note) == "skipped: already done"


async def test_public_reply_is_sent_once(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    reply = action(AddPublicReply, key="r1", body="We are on it.")
    assert await apply(ticket["id"], reply) == "done"
    assert await apply(ticket["id"], reply) == "skipped: already done"
    replies = [c for c in freshdesk.conversations(ticket["id"]) if c["source"] == 0]
    assert len(replies) == 1 and replies[0]["private"] is False
    assert len(freshdesk.calls_to("POST", "/api/v2/tickets/*/reply")) == 1


async def test_tags_merge_with_an_agents_change_made_since(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket(tags=["billing"])
    freshdesk.update_ticket(ticket["id"], {"tags": ["billing", "vip"]})  # an agent, in the UI
    add = action(AddTags, tags=("refund", "billing"))
    assert await apply(ticket["id"], add) == "done"
    assert freshdesk.ticket(ticket["id"])["tags"] == ["billing", "vip", "refund"]
    assert await apply(ticket["id"], add) == "skipped: already so"
    remove = action(RemoveTags, key="k2", tags=("vip", "absent"))
    assert await apply(ticket["id"], remove) == "done"
    assert freshdesk.ticket(ticket["id"])["tags"] == ["billing", "refund"]
    assert await apply(ticket["id"], remove) == "skipped: already so"
    assert len(freshdesk.calls_to("PUT", "/api/v2/tickets/*")) == 2


async def test_status_and_priority(freshdesk: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = freshdesk.add_ticket()
    assert await apply(ticket["id"], action(SetStatus, status=TicketStatus.PENDING)) == "done"
    assert await apply(ticket["id"], action(SetPriority, priority=Priority.URGENT)) == "done"
    assert (freshdesk.ticket(ticket["id"])["status"], freshdesk.ticket(ticket["id"])["priority"]) == (3, 4)
    with pytest.raises(UnsupportedAction, match="SERVICEFLOW_FRESHDESK_ON_HOLD_STATUS"):
        await apply(ticket["id"], action(SetStatus, status=TicketStatus.ON_HOLD))
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_ON_HOLD_STATUS", "6")
    assert await apply(ticket["id"], action(SetStatus, status=TicketStatus.ON_HOLD)) == "done"
    assert freshdesk.ticket(ticket["id"])["status"] == 6


async def test_merge_sends_the_documented_body_and_closes_the_source_once(freshdesk: FakeFreshdesk) -> None:
    """Ticket Merge API (FD-docs lines 1718-1732): ``primary_id``, ``ticket_ids`` (the
    secondaries alone: "IDs of tickets to be merged", and Freshdesk's merge code closes every id
    listed there), and both notes as ``{body, private}``."""
    primary, source = freshdesk.add_ticket("Primary"), freshdesk.add_ticket("Repeat")
    merge = action(MergeTickets, into_ticket=str(primary["id"]))
    assert await apply(source["id"], merge) == "done"
    assert freshdesk.ticket(source["id"])["status"] == 5
    assert await apply(source["id"], merge) == "skipped: already closed (merged?)"
    (sent,) = freshdesk.calls_to("PUT", "/api/v2/tickets/merge")
    assert sent.json["primary_id"] == primary["id"] and sent.json["ticket_ids"] == [source["id"]]
    assert freshdesk.ticket(primary["id"])["status"] != 5  # the primary stays open
    assert sent.json["note_in_primary"]["private"] is sent.json["note_in_secondary"]["private"] is True
    assert f"#{source['id']}" in sent.json["note_in_primary"]["body"]
    assert f"#{primary['id']}" in sent.json["note_in_secondary"]["body"]
    (primary_note,) = freshdesk.notes(primary["id"])
    assert "serviceflow merged ticket" in primary_note["body_text"]


async def test_the_client_never_lists_the_primary_among_the_merged(
    freshdesk: FakeFreshdesk, client: Any
) -> None:
    primary, source = freshdesk.add_ticket("Primary"), freshdesk.add_ticket("Repeat")
    note = {"body": "merged", "private": True}
    await client.merge(
        primary["id"], [primary["id"], source["id"]], note_in_primary=note, note_in_secondary=note
    )
    (sent,) = freshdesk.calls_to("PUT", "/api/v2/tickets/merge")
    assert sent.json["ticket_ids"] == [source["id"]]
    with pytest.raises(ValueError, match="needs at least one other ticket"):
        await client.merge(primary["id"], [primary["id"]], note_in_primary=note, note_in_secondary=note)
    assert len(freshdesk.calls_to("PUT", "/api/v2/tickets/merge")) == 1


async def test_the_fake_requires_both_merge_notes(freshdesk: FakeFreshdesk, client: Any) -> None:
    primary, source = freshdesk.add_ticket("Primary"), freshdesk.add_ticket("Repeat")
    with pytest.raises(ValidationFailed) as caught:
        await client._request(
            "PUT", "/api/v2/tickets/merge", json={"primary_id": primary["id"], "ticket_ids": [source["id"]]}
        )
    assert {e.field for e in caught.value.errors} == {"note_in_primary", "note_in_secondary"}


@pytest.mark.parametrize("flag", ["spam", "deleted"])
async def test_changes_to_a_spam_or_deleted_ticket_are_skipped_not_sent(
    freshdesk: FakeFreshdesk, flag: str
) -> None:
    """Freshdesk answers 405 to them (FD-docs line 164): the adapter, which reads first, says so."""
    ticket, other = freshdesk.add_ticket(), freshdesk.add_ticket()
    ada = freshdesk.add_agent("Ada", email="ada@shop.example")
    freshdesk.state.set_flags(ticket["id"], actor_id=None, **{flag: True})
    for act in (
        action(AssignOwner, agent=str(ada["id"])),
        action(AddTags, key="t", tags=("x",)),
        action(MergeTickets, key="m", into_ticket=str(other["id"])),
    ):
        outcome = await apply(ticket["id"], act)
        assert outcome.startswith("skipped: the ticket is in Freshdesk's"), outcome
    assert freshdesk.calls_to("PUT") == []


async def test_link_case_is_not_a_vendor_action(freshdesk: FakeFreshdesk) -> None:
    outcome = await apply(1, action(LinkCase, case_id="freshdesk:x:2", ticket_key="freshdesk:x:1"))
    assert outcome.startswith("skipped:") and freshdesk.calls == []


async def test_actions_on_a_deleted_ticket_raise_ticket_gone(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    freshdesk.purge(ticket["id"])
    with pytest.raises(TicketGone):
        await apply(ticket["id"], action(AddInternalNote, body="hello"))


async def test_non_numeric_ids_are_refused_with_advice(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    with pytest.raises(InvalidActionTarget, match="roster"):
        await apply(ticket["id"], action(AssignOwner, agent="ada@shop.example"))


async def test_a_long_rate_limit_surfaces_as_retryable(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    freshdesk.fail_next(1, status=429, retry_after=600)
    with pytest.raises(RateLimited) as caught:
        await apply(ticket["id"], action(AddInternalNote, body="hello"))
    assert getattr(caught.value, "retryable", False) is True
    assert freshdesk.notes(ticket["id"]) == []
