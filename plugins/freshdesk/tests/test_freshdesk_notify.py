"""A Notify on Freshdesk (issue 12 F): a private note whose ``notify_emails`` Freshdesk emails.

The fake validates ``notify_emails`` as Freshdesk's code does (agents' primary emails only, 400
``invalid_agent_emails`` otherwise) and records who it would email (``fake.notified``), so each
test asserts the lead was told, not only that a note exists.
"""

from __future__ import annotations

from typing import Any

from freshdesk_testing import action
from serviceflow_freshdesk import ADAPTER
from serviceflow_freshdesk.fake import FakeFreshdesk

from serviceflow.model import Notify, NotifyPurpose, Person

ACCOUNT = "127.0.0.1"


async def apply(ticket_id: int | str, act: Any) -> str:
    return await ADAPTER.apply_action(ACCOUNT, str(ticket_id), act)


def breach(key: str = "escalate/t1/2", **fields: Any) -> Notify:
    values: dict[str, Any] = {
        "subject": "Breached: first-response on ticket 1",
        "body": "first-response was due Mon 09:00 and is not met.",
        "escalation_level": 2,
        "purpose": NotifyPurpose.BREACHED,
        **fields,
    }
    return action(Notify, key=key, **values)  # type: ignore[no-any-return]


def seed(fake: FakeFreshdesk) -> dict[str, Any]:
    leads = fake.add_group("Support leads")
    lee = fake.add_agent("Lee Lead", email="lee@shop.example", groups=[leads["id"]])
    max_ = fake.add_agent("Max Manager", email="max@shop.example", groups=[leads["id"]])
    ada = fake.add_agent("Ada Agent", email="ada@shop.example")
    return {"leads": leads, "lee": lee, "max": max_, "ada": ada, "ticket": fake.add_ticket("Charged twice")}


def note_of(fake: FakeFreshdesk, ticket: dict[str, Any]) -> dict[str, Any]:
    (note,) = fake.notes(ticket["id"])
    return note


async def test_the_lead_is_emailed_and_named_by_name(freshdesk: FakeFreshdesk) -> None:
    people = seed(freshdesk)
    lee = people["lee"]
    notify = breach(recipients=(str(lee["id"]),), people=(Person(id=str(lee["id"]), name="Lee Lead",
                                                                  email="lee@shop.example"),))  # fmt: skip
    assert await apply(people["ticket"]["id"], notify) == "done"
    note = note_of(freshdesk, people["ticket"])
    assert note["private"] is True and note["to_emails"] == ["lee@shop.example"]
    assert note["body_text"].startswith(
        "To: Lee Lead\nBreached: first-response on ticket 1 (escalation level 2)\n\nfirst-response was due"
    )
    assert str(lee["id"]) not in note["body_text"].splitlines()[0]  # a name, not an id
    assert freshdesk.notified(people["ticket"]["id"]) == ["lee@shop.example"]
    (sent,) = freshdesk.calls_to("POST", "/api/v2/tickets/*/notes")
    assert sent.json["notify_emails"] == ["lee@shop.example"] and sent.response["notified_to"] == [
        "lee@shop.example"
    ]


async def test_recipients_without_people_are_found_by_their_agent_ids(freshdesk: FakeFreshdesk) -> None:
    """Actions decided before ``people`` existed name agents by id only."""
    people = seed(freshdesk)
    notify = breach(recipients=(str(people["ada"]["id"]), str(people["lee"]["id"])))
    assert await apply(people["ticket"]["id"], notify) == "done"
    assert note_of(freshdesk, people["ticket"])["body_text"].startswith("To: Ada Agent, Lee Lead\n")
    assert freshdesk.notified() == ["ada@shop.example", "lee@shop.example"]


async def test_a_team_is_its_members_and_a_non_agent_is_reported_not_sent(freshdesk: FakeFreshdesk) -> None:
    """Freshdesk refuses non-agent addresses (``invalid_agent_emails``): the manager outside
    Freshdesk is not sent, and the outcome says so, so a channel can tell them."""
    people = seed(freshdesk)
    notify = breach(
        recipients=("group:Support leads", "mia@owner.example", "lee@shop.example"),
        people=(
            Person(id="group:Support leads", name="Support leads", team=True),
            Person(id="mia@owner.example", name="Mia Owner", email="mia@owner.example"),
            Person(id="lee@shop.example", name="Lee Lead", email="lee@shop.example"),
        ),
    )
    outcome = await apply(people["ticket"]["id"], notify)
    assert outcome == (
        "done: not emailed by Freshdesk (no Freshdesk agent): Mia Owner <mia@owner.example>; "
        "emailed: lee@shop.example, max@shop.example"
    )
    note = note_of(freshdesk, people["ticket"])
    assert note["body_text"].startswith("To: Support leads (Lee Lead, Max Manager), Mia Owner, Lee Lead\n")
    assert freshdesk.notified() == ["lee@shop.example", "max@shop.example"]


async def test_the_fake_refuses_a_note_to_a_non_agent_as_freshdesk_does(
    freshdesk: FakeFreshdesk, client: Any
) -> None:
    ticket = freshdesk.add_ticket()
    freshdesk.add_agent("Lee Lead", email="lee@shop.example")
    answer = await client._rest._http.post(
        f"/api/v2/tickets/{ticket['id']}/notes",
        json={"body": "<div>x</div>", "notify_emails": ["lee@shop.example", "mia@owner.example"]},
    )
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert (error["field"], error["code"]) == ("notify_emails", "invalid_agent_emails")
    assert "mia@owner.example" in error["message"] and freshdesk.notes(ticket["id"]) == []


async def test_an_address_freshdesk_refuses_at_write_time_is_dropped_and_reported(
    freshdesk: FakeFreshdesk,
) -> None:
    """An agent removed between the read of the agents and the note: Freshdesk's 400 names the
    address; the note is written once more without it."""
    people = seed(freshdesk)
    message = "There are no agents with these emails: max@shop.example"
    error = {"field": "notify_emails", "message": message, "code": "invalid_agent_emails"}
    refusal = {"description": "Validation failed", "errors": [error]}
    path = f"/api/v2/tickets/{people['ticket']['id']}/notes"
    freshdesk.fail_next(1, status=400, retry_after=None, method="POST", path=path, body=refusal)
    notify = breach(recipients=(str(people["lee"]["id"]), str(people["max"]["id"])))
    outcome = await apply(people["ticket"]["id"], notify)
    assert (
        outcome
        == "done: not emailed by Freshdesk (no Freshdesk agent): max@shop.example; emailed: lee@shop.example"
    )
    assert freshdesk.notified() == ["lee@shop.example"] and len(freshdesk.notes(people["ticket"]["id"])) == 1


async def test_once_per_key_also_across_a_5xx_after_the_write(freshdesk: FakeFreshdesk) -> None:
    people = seed(freshdesk)
    notify = breach(recipients=(str(people["lee"]["id"]),))
    path = f"/api/v2/tickets/{people['ticket']['id']}/notes"
    freshdesk.fail_next(1, status=502, retry_after=None, method="POST", path=path, after_write=True)
    assert await apply(people["ticket"]["id"], notify) == "done"  # the marker, read again, says so
    assert await apply(people["ticket"]["id"], notify) == "skipped: already done"
    assert freshdesk.notified() == ["lee@shop.example"] and len(freshdesk.notes(people["ticket"]["id"])) == 1


async def test_a_notify_for_other_channels_only_is_not_the_helpdesks(freshdesk: FakeFreshdesk) -> None:
    people = seed(freshdesk)
    notify = breach(recipients=(str(people["lee"]["id"]),), channels=("slack:support-leads",))
    assert (await apply(people["ticket"]["id"], notify)).startswith("skipped: not for the helpdesk")
    assert freshdesk.calls == []


async def test_a_notify_naming_nobody_freshdesk_knows_is_still_a_note(freshdesk: FakeFreshdesk) -> None:
    ticket = freshdesk.add_ticket()
    outcome = await apply(ticket["id"], breach(recipients=("group:nobody",)))
    assert (
        outcome
        == "done: not emailed by Freshdesk (no Freshdesk agent): nobody (no Freshdesk group with agents)"
    )
    assert freshdesk.notified() == [] and "notify_emails" not in freshdesk.calls_to("POST")[0].json


async def test_a_team_among_many_groups_reads_only_its_own_members(freshdesk: FakeFreshdesk) -> None:
    """The groups' list carries no ``agent_ids`` (FD-docs lines 7483-7500): the team named is
    read by id for its members, and only it, not every group of the account (each call counts
    against Freshdesk's per-minute limit on every escalation)."""
    people = seed(freshdesk)
    for n in range(20):
        freshdesk.add_group(f"Queue {n}")
    notify = breach(recipients=("group:Support leads",))
    assert await apply(people["ticket"]["id"], notify) == "done"
    assert freshdesk.notified() == ["lee@shop.example", "max@shop.example"]
    reads = [c.path for c in freshdesk.calls if c.method == "GET" and c.path.startswith("/api/v2/groups/")]
    assert reads == [f"/api/v2/groups/{people['leads']['id']}"]
