"""A Notify reaches people (issue 12 F): the recipients follow the ticket before the note, so
Zendesk emails them about it; who cannot follow is named in the outcome. Against the fake over
HTTP, every request held to the OAS."""

from __future__ import annotations

import json
from typing import Any

from serviceflow_zendesk.actions import apply
from serviceflow_zendesk.client import ZendeskClient
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.model import Notify, Person


def notify(key: str = "esc-1", **fields: Any) -> Notify:
    fields.setdefault("subject", "First response overdue")
    fields.setdefault("body", "Nobody has answered for 4 hours.")
    return Notify(key=key, reason="breach", policy="p", rule="r", escalation_level=1, **fields)


async def test_the_lead_follows_the_ticket_and_is_told_of_the_note(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    owner = fake.add_agent("Ada Agent", email="ada@shop.example")
    lead = fake.add_agent("Lee Lead", email="lee@shop.example")
    tid = fake.add_ticket("Refund", assignee_id=owner["id"])["id"]
    action = notify(
        recipients=(str(owner["id"]), str(lead["id"])),
        people=(Person(id=str(owner["id"]), name="Ada Agent"), Person(id=str(lead["id"]), name="Lee Lead")),
    )
    assert await apply(client, str(tid), action) == "done"
    ticket = fake.ticket(tid)
    assert set(ticket["follower_ids"]) == {owner["id"], lead["id"]}
    note = fake.comments(tid)[-1]
    assert note["public"] is False and note["body"].startswith("To: Ada Agent, Lee Lead\n")
    told = {(n.user_id, n.via) for n in fake.notifications(tid) if n.comment_id == note["id"]}
    assert (lead["id"], "follower") in told and (owner["id"], "follower") in told
    # The followers went in before the note, in their own update, as documented objects.
    puts = [c for c in fake.calls if c.method == "PUT" and c.route == "/api/v2/tickets/{ticket_id}"]
    first, last = json.loads(puts[0].body)["ticket"], json.loads(puts[-1].body)["ticket"]
    assert {"user_id": str(lead["id"]), "action": "put"} in first["followers"] and "comment" not in first
    assert "comment" in last and "followers" not in last
    # One read resolves every id (ShowManyUsers), not a listing of every agent.
    assert [c.query for c in fake.calls if c.path == "/api/v2/users/show_many"] == [
        (("ids", f"{owner['id']},{lead['id']}"),)
    ]
    assert not [c for c in fake.calls if c.path == "/api/v2/users"]
    # Again: nothing new to follow, the note is already there.
    calls = len(fake.calls)
    assert await apply(client, str(tid), action) == "skipped: already done"
    assert not [c for c in fake.calls[calls:] if c.method == "PUT"]


async def test_who_cannot_follow_is_named_and_not_sent(fake: FakeZendesk, client: ZendeskClient) -> None:
    lead = fake.add_agent("Lee Lead", email="lee@shop.example")
    manager = fake.add_user("Max Manager", email="max@shop.example")  # an end user: cannot follow
    gone = fake.add_agent("Old Agent", email="old@shop.example", active=False)
    tid = fake.add_ticket("Refund")["id"]
    action = notify(
        recipients=(str(lead["id"]), str(manager["id"]), "nobody@shop.example", str(gone["id"])),
        people=(
            Person(id=str(manager["id"]), name="Max Manager", email="max@shop.example"),
            Person(id="nobody@shop.example", name="Nobody", email="nobody@shop.example"),
        ),
    )
    outcome = await apply(client, str(tid), action)
    assert outcome.startswith("done: not told by Zendesk (cannot follow the ticket): ")
    assert "Max Manager <max@shop.example> (no Zendesk agent)" in outcome
    assert "Nobody <nobody@shop.example> (no Zendesk agent)" in outcome
    assert "Old Agent (an inactive agent)" in outcome
    assert "Lee Lead" not in outcome
    assert fake.ticket(tid)["follower_ids"] == [lead["id"]]
    note = fake.comments(tid)[-1]
    told = {n.user_id for n in fake.notifications(tid) if n.comment_id == note["id"]}
    assert told == {lead["id"]}  # the end user is not emailed an internal note


async def test_a_team_is_its_members_through_the_groups_own_membership_path(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    leads = fake.add_group("Support leads")
    other = fake.add_group("Billing")
    ada = fake.add_agent("Ada Agent", groups=[leads["id"]])
    max_ = fake.add_agent("Max Manager", groups=[leads["id"], other["id"]])
    fake.add_agent("Bea Billing", groups=[other["id"]])
    tid = fake.add_ticket("Refund")["id"]
    action = notify(
        recipients=("group:Support leads", "group:Nobody here"),
        people=(Person(id="group:Support leads", name="Support leads", team=True),),
    )
    outcome = await apply(client, str(tid), action)
    assert outcome == (
        "done: not told by Zendesk (cannot follow the ticket): "
        "Nobody here (no Zendesk group with active agents)"
    )
    assert set(fake.ticket(tid)["follower_ids"]) == {ada["id"], max_["id"]}
    assert fake.comments(tid)[-1]["body"].startswith(
        "To: Support leads (Ada Agent, Max Manager), Nobody here\n"
    )
    paths = {c.path for c in fake.calls if "membership" in c.path}
    assert paths == {f"/api/v2/groups/{leads['id']}/memberships"}


async def test_a_recipient_known_by_email_only_is_found_by_search(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    lead = fake.add_agent("Lee Lead", email="lee@shop.example")
    tid = fake.add_ticket("Refund")["id"]
    action = notify(
        recipients=("lee@shop.example",),
        people=(Person(id="lee@shop.example", name="Lee Lead", email="lee@shop.example"),),
    )
    assert await apply(client, str(tid), action) == "done"
    assert fake.ticket(tid)["follower_ids"] == [lead["id"]]
    searches = [c.query for c in fake.calls if c.path == "/api/v2/users/search"]
    assert searches == [(("query", "email:lee@shop.example"),)]


async def test_a_notify_for_other_channels_only_is_not_the_helpdesks(
    fake: FakeZendesk, client: ZendeskClient
) -> None:
    tid = fake.add_ticket("Refund")["id"]
    outcome = await apply(client, str(tid), notify(recipients=("1",), channels=("slack:leads",)))
    assert outcome.startswith("skipped: not for the helpdesk")
