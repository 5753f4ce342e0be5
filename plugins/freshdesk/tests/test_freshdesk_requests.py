"""Every request the adapter sends validates against Freshdesk's documented fields (issue 12,
"Done when"; Freshdesk has no OpenAPI document).

The table is ``serviceflow_freshdesk/fake/api_v2_fields.json``: per endpoint, the query
parameters and body fields Freshdesk's API reference lists, with their types, each row citing
the reference's lines. Two checks hold the adapter to it:

- every test of this folder that uses the fake (the conformance suite's included) has each
  request the plugin's client made checked in the ``fake`` fixture's teardown
  (``conftest.py``), so an undocumented field fails the test that sent it;
- the test below drives every capability of the adapter once and asserts that it reached every
  endpoint the table says it calls, each request documented, so the check covers the whole
  surface and cannot pass by never running.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freshdesk_testing import action, undocumented
from serviceflow_freshdesk import FreshdeskAdapter
from serviceflow_freshdesk.client import FreshdeskClient
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.fake.documented import endpoint, table
from serviceflow_freshdesk.settings import FreshdeskSettings
from serviceflow_freshdesk.webhooks import DEFAULT_CHANGE_FIELD

from serviceflow.adapters import ChangeCursor
from serviceflow.errors import RecoveryNeedsPerson
from serviceflow.model import (
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    MergeTickets,
    Notify,
    Person,
    Priority,
    RemoveTags,
    SetPriority,
    SetStatus,
    TicketStatus,
)

ACCOUNT = "127.0.0.1"
TYPES = re.compile(
    r"integer|string|boolean|datetime|object|note|email|page|per_page|array<(string|integer|object)>"
    r"|enum:[a-z_|]+|csv:[a-z_|]+"
)


def test_every_row_of_the_table_cites_the_reference_and_uses_known_types() -> None:
    rows = table()
    assert len({(r.method, r.path) for r in rows}) == len(rows) == 15
    for row in rows:
        assert row.doc and re.fullmatch(r"\d+-\d+", row.lines), row
        for kind in [*row.query.values(), *(row.body or {}).values()]:
            assert TYPES.fullmatch(kind), (row.path, kind)
    update = endpoint("PUT", "/api/v2/tickets/1")
    assert update is not None and update.body is not None and "spam" not in update.body
    assert "notify_emails" in (endpoint("POST", "/api/v2/tickets/1/notes").body or {})  # type: ignore[union-attr]
    merge = endpoint("PUT", "/api/v2/tickets/merge")
    assert merge is not None and {"primary_id", "ticket_ids", "note_in_primary", "note_in_secondary"} <= set(
        merge.body or {}
    )


@pytest.mark.undocumented_requests
async def test_an_undocumented_request_is_caught(fake: FakeFreshdesk, client: FreshdeskClient) -> None:
    """The check itself can fail: the old un-spam body, an include View a Ticket does not take,
    a page size over 100 and an id that is not canonical are each named."""
    ticket = fake.add_ticket()
    for send in (
        client._request("PUT", f"/api/v2/tickets/{ticket['id']}", json={"spam": False}),
        client._request("GET", f"/api/v2/tickets/{ticket['id']}", params=[("include", "everything")]),
        client._request("GET", "/api/v2/agents", params=[("per_page", "500")]),
        client._request("GET", "/api/v2/tickets/04"),
    ):
        try:
            await send
        except Exception:  # noqa: BLE001 - the fake refuses some of them; the log keeps them all
            pass
    problems = undocumented(fake.calls)
    assert any("body field 'spam' is not documented" in p for p in problems), problems
    assert any("query parameter 'include' is not a csv:" in p for p in problems), problems
    assert any("query parameter 'per_page' is not a per_page" in p for p in problems), problems
    assert any("/api/v2/tickets/04: no such endpoint" in p for p in problems), problems


async def test_every_capability_of_the_adapter_sends_only_documented_requests(fake: FakeFreshdesk) -> None:
    settings = FreshdeskSettings(  # type: ignore[call-arg]
        _env_file=None, domain=None, base_url=fake.base_url, api_key=fake.api_key, webhook_secret="s",
        change_field=DEFAULT_CHANGE_FIELD, custom_statuses={}, on_hold_status=6,
    )  # fmt: skip
    adapter = FreshdeskAdapter(settings, client_options={"page_size": 2})
    leads = fake.add_group("Support leads")
    lee = fake.add_agent("Lee Lead", email="lee@shop.example", groups=[leads["id"]])
    shop = fake.add_company("Shop Ltd", domains=["shop.example"], custom_fields={"tier": "gold"})
    casey = fake.add_contact("Casey", email="casey@shop.example", company_id=shop["id"])
    mailbox = fake.add_email_config("support@acme.example")
    ticket = fake.add_ticket("Charged twice", requester_id=casey["id"], email_config_id=mailbox["id"])
    other = fake.add_ticket("Charged twice, again", requester_id=casey["id"])
    spam = fake.add_ticket("You have won", email="win@prize.example", spam=True)
    tid = str(ticket["id"])
    try:
        await adapter.whoami(ACCOUNT)
        await adapter.load_roster(ACCOUNT)
        record = await adapter.fetch_ticket(ACCOUNT, tid)
        assert record.organization is not None and record.ticket.recipient == "support@acme.example"
        page = await adapter.changed_tickets(
            ACCOUNT, ChangeCursor.since(datetime.now(UTC) - timedelta(days=1))
        )
        await adapter.changed_tickets(ACCOUNT, page.next)
        person = Person(id=str(lee["id"]), name="Lee Lead", email="lee@shop.example")
        for act in (
            action(AssignOwner, key="a", agent=str(lee["id"]), group=str(leads["id"])),
            action(SetStatus, key="s", status=TicketStatus.ON_HOLD),
            action(SetPriority, key="p", priority=Priority.HIGH),
            action(AddTags, key="t", tags=("refund",)),
            action(RemoveTags, key="r", tags=("refund",)),
            action(AddInternalNote, key="n", body="Case summary"),
            action(AddPublicReply, key="y", body="We are on it"),
            action(Notify, key="w", recipients=(str(lee["id"]), "group:Support leads"), people=(person,),
                   subject="Breached", body="Due", escalation_level=1),
        ):  # fmt: skip
            assert (await adapter.apply_action(ACCOUNT, tid, act)) == "done", act.type
        assert await adapter.apply_action(
            ACCOUNT, str(other["id"]), action(MergeTickets, key="m", into_ticket=tid)
        )
        assert adapter.quarantine is not None
        assert [m.id async for m in adapter.quarantine.list_messages(ACCOUNT)] == [str(spam["id"])]
        with pytest.raises(RecoveryNeedsPerson):
            await adapter.quarantine.recover(ACCOUNT, str(spam["id"]))
        assert (await adapter.quarantine.dismiss(ACCOUNT, str(spam["id"]))).startswith("skipped")
    finally:
        await adapter.aclose()
    assert undocumented(fake.calls) == []
    reached = {(row.method, row.path) for call in fake.calls if (row := endpoint(call.method, call.path))}
    assert reached == {(r.method, r.path) for r in table() if r.adapter}
    sent: dict[str, Any] = {c.path: c.json for c in fake.calls_to("PUT", "/api/v2/tickets/merge")}
    assert set(sent["/api/v2/tickets/merge"]) == {
        "primary_id",
        "ticket_ids",
        "note_in_primary",
        "note_in_secondary",
    }
