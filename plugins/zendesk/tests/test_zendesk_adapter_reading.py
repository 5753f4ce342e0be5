"""The registered Zendesk adapter reading from the real fake over HTTP: a ticket (in one request,
naming what Zendesk did not send), the incremental export, the roster, the account and the API
user. Settings reach it through the ``zendesk`` fixture, as in ``test_zendesk_adapter.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from serviceflow_zendesk import ADAPTER
from serviceflow_zendesk.adapter import AccountMismatch
from serviceflow_zendesk.errors import AuthenticationFailed, UnexpectedResponse
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.adapters import ChangeCursor, Identity, adapter_for

ACCOUNT = "127.0.0.1"  # no subdomain set: the account is the base_url host


# ---------------------------------------------------------------------- reading


async def test_fetch_ticket(zendesk: FakeZendesk) -> None:
    requester = zendesk.add_user("Rita", email="rita@example.com")
    seeded = zendesk.add_ticket(
        "Broken",
        requester_id=requester["id"],
        status="hold",
        tags=["a"],
        custom_fields=[{"id": 360, "value": "x"}],
    )
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(seeded["id"]))
    ticket = record.ticket
    assert record.requester is not None and record.requester.email == "rita@example.com"
    assert record.missing == ()
    assert (ticket.id, ticket.vendor, ticket.account) == (str(seeded["id"]), "zendesk", ACCOUNT)
    assert (ticket.status.value, ticket.priority.value, ticket.channel.value) == ("on_hold", "normal", "api")
    assert (ticket.requester.id, ticket.requester.email, ticket.requester.name) == (
        str(requester["id"]),
        "rita@example.com",
        "Rita",
    )
    assert ticket.tags == ("a",) and ticket.custom_fields == {"360": "x"}


async def test_fetch_ticket_is_the_full_ticket_in_one_request(zendesk: FakeZendesk) -> None:
    """Issue 12 E: recipient, requester email and name, organization (name, tags, domains,
    fields) and custom fields, from ShowTicket with include=users,organizations."""
    org = zendesk.add_organization(
        "Shop GmbH", tags=["enterprise"], domain_names=["shop.example"], organization_fields={"tier": "gold"}
    )
    requester = zendesk.add_user("Dana Buyer", email="dana@shop.example", organization_id=org["id"])
    seeded = zendesk.add_ticket(
        "Refund",
        requester_id=requester["id"],
        recipient="manager@support.example",
        custom_fields=[{"id": 360, "value": "refund"}],
    )
    before = len(zendesk.calls)
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(seeded["id"]))
    reads = [c for c in zendesk.calls[before:] if c.route == "/api/v2/tickets/{ticket_id}"]
    assert len(reads) == 1 and ("include", "users,organizations") in reads[0].query
    assert record.missing == ()
    ticket = record.ticket
    assert ticket.recipient == "manager@support.example"
    assert (ticket.requester.email, ticket.requester.name) == ("dana@shop.example", "Dana Buyer")
    assert ticket.custom_fields == {"360": "refund"}
    assert record.organization is not None
    assert (record.organization.id, record.organization.name) == (str(org["id"]), "Shop GmbH")
    assert record.organization.tags == ("enterprise",) and record.organization.domains == ("shop.example",)
    assert record.organization.fields == {"tier": "gold"}
    assert record.requester is not None and record.requester.organization == str(org["id"])


async def test_fetch_ticket_names_what_zendesk_did_not_send(zendesk: FakeZendesk) -> None:
    requester = zendesk.add_user("Gone Soon")
    seeded = zendesk.add_ticket("Orphan", requester_id=requester["id"], organization_id=99999)
    with zendesk.state.lock:
        del zendesk.state.users[requester["id"]]  # deleted since; the org never visible
    record = await ADAPTER.fetch_ticket(ACCOUNT, str(seeded["id"]))
    assert record.missing == ("requester", "organization")
    assert record.requester is None and record.organization is None
    assert record.ticket.requester.id == str(requester["id"])


async def test_changed_tickets_pages_the_incremental_export(zendesk: FakeZendesk) -> None:
    zendesk.incremental_lag = 0  # list what this test just changed (Zendesk leaves out a minute)
    made = [zendesk.add_ticket(f"t{n}")["id"] for n in range(3)]
    page = await ADAPTER.changed_tickets(ACCOUNT, ChangeCursor.since(datetime.now(UTC) - timedelta(hours=1)))
    assert [r.ticket.id for r in page.tickets] == [str(i) for i in made] and not page.more
    assert all(r.missing == ("requester",) for r in page.tickets)
    again = await ADAPTER.changed_tickets(ACCOUNT, page.next)
    assert again.tickets == () and not again.more  # caught up
    zendesk.update_ticket(made[1], {"priority": "high"})
    later = await ADAPTER.changed_tickets(ACCOUNT, again.next)
    assert [(r.ticket.id, r.ticket.priority.value) for r in later.tickets] == [(str(made[1]), "high")]
    (first,) = zendesk.calls_to("GET", "/api/v2/incremental/tickets/cursor")[:1]
    assert int(first.param("start_time") or 0) <= int(datetime.now(UTC).timestamp()) - 60


async def test_load_roster(zendesk: FakeZendesk) -> None:
    billing, logistics = zendesk.add_group("Billing"), zendesk.add_group("Logistics")
    zendesk.add_agent("Ada", email="ada@shop.example", groups=[billing["id"], logistics["id"]])
    bob = zendesk.add_agent("Bob", groups=[logistics["id"]])
    zendesk.add_user("Customer", email="c@example.com")
    roster = await ADAPTER.load_roster(ACCOUNT)
    assert {g.name for g in roster.groups} == {"Billing", "Logistics"}
    a = roster.agent("ada@shop.example")
    assert a is not None and set(a.groups) == {str(billing["id"]), str(logistics["id"])} and a.lead is None
    assert [m.name for m in roster.members("Logistics")] == ["Ada", "Bob"]
    assert roster.agent(str(bob["id"])) is not None and roster.agent("c@example.com") is None
    assert roster.agent(str(zendesk.admin["id"])) is None  # the API user owns nothing
    other_admin = zendesk.add_agent("Olga", role="admin")
    assert (await ADAPTER.load_roster(ACCOUNT)).agent(str(other_admin["id"])) is not None  # admins are agents


async def test_wrong_account_is_refused(zendesk: FakeZendesk) -> None:
    with pytest.raises(AccountMismatch, match="not configured"):
        await ADAPTER.fetch_ticket("other", "1")


async def test_whoami_is_the_api_user_and_refuses_anonymous(
    zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = await ADAPTER.whoami(ACCOUNT)
    assert identity == Identity(
        vendor="zendesk", account=ACCOUNT, id=str(zendesk.admin["id"]), name="Fake Admin", email=zendesk.email
    )
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_API_TOKEN", "not-a-token")
    with pytest.raises(AuthenticationFailed, match="anonymous user"):  # /users/me answers 200 anonymous
        await ADAPTER.whoami(ACCOUNT)


def test_the_adapter_is_registered_under_its_vendor() -> None:
    assert adapter_for("zendesk") is ADAPTER
    assert ADAPTER.quarantine is not None and ADAPTER.demo_helpdesk() is not None


async def test_an_audit_of_the_wrong_shape_is_named_by_field_never_by_a_customers_text(
    zendesk: FakeZendesk,
) -> None:
    seeded = zendesk.add_ticket("Broken")
    zendesk.state.audits[seeded["id"]] = [
        {"id": 1, "created_at": "2026-12-01T00:00:00Z", "events": "my card 4111-secret"}
    ]
    identity = await ADAPTER.whoami(ACCOUNT)
    with pytest.raises(UnexpectedResponse, match="an audit is not valid") as refused:
        await ADAPTER.ticket_history(ACCOUNT, str(seeded["id"]), identity=identity)
    assert "events" in str(refused.value) and "4111-secret" not in str(refused.value)
