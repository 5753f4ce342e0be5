"""End to end with the echo on: serviceflow's own writes come back from the fake Zendesk as the
event webhooks Zendesk sends for them (the API user as actor), and are recognised as its own.

The email to the manager, filed by a helpdesk rule into a group with nobody on it, gets its
owner and the case summary from serviceflow; those two writes come back as an assignment and an
internal note by the API user, and neither acknowledges the email: its acknowledgement target
runs on, warns the owner and breaches to the lead, because no person wrote. Every part is a real
process or server: a Temporal dev server, ``serviceflow worker``, ``serviceflow serve`` (which
learns who serviceflow is from ``GET /api/v2/users/me``), and the fake Zendesk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from e2e_support import SECRET, System, casey_writes_in, stamp, wait_until
from serviceflow_zendesk.fake import FakeZendesk
from system_support import frontline_policies

ACKNOWLEDGE_SECONDS = 8
POLICIES = frontline_policies(
    "e2e-own-writes",
    at_risk=0.5,
    rest=f"""\
acknowledge:
  within: {ACKNOWLEDGE_SECONDS}s
same_case:
  when: other_ticket.requester.id == ticket.requester.id
""",
)


@pytest_asyncio.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    zendesk = FakeZendesk().start()
    running = System(tmp_path, zendesk, policies=POLICIES)
    frontline, triage, leads = (zendesk.add_group(name) for name in ("Frontline", "Triage", "Leads"))
    running.ann = zendesk.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])  # type: ignore[attr-defined]
    running.lee = zendesk.add_agent("Lee", email="lee@shop.example", groups=[leads["id"]])  # type: ignore[attr-defined]
    running.triage = triage  # type: ignore[attr-defined]
    try:
        await running.run()
        yield running
    finally:
        running.stop()
        zendesk.stop()


async def test_the_email_to_the_manager_keeps_its_acknowledgement_target_until_a_person_acts(
    system: System,
) -> None:
    zendesk = system.zendesk
    zendesk.add_webhook(f"{system.receiver_url}/webhooks/zendesk", secret=SECRET)
    ann, lee, admin = system.ann["id"], system.lee["id"], zendesk.admin["id"]  # type: ignore[attr-defined]
    casey, first = await casey_writes_in(zendesk, owner=ann)
    # Her email to the manager; a helpdesk rule files it into Triage, where nobody owns it.
    email, _audit, _change = zendesk.state.create_ticket(
        {"subject": "Third time: my refund", "comment": {"body": "Nobody answers me.", "public": True},
         "requester_id": casey["id"], "group_id": system.triage["id"]},  # type: ignore[attr-defined]
        actor_id=casey["id"],
        system_fields={"via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
                       "recipient": "manager@shop.example"},
    )  # fmt: skip
    manager = email["id"]
    assert zendesk.ticket(manager)["assignee_id"] is None
    created = stamp(zendesk.ticket(manager)["created_at"])

    def notes() -> list[dict]:  # type: ignore[type-arg]
        return [c for c in zendesk.comments(manager) if "[sf:" in (c.get("body") or "")]

    await wait_until(lambda: zendesk.ticket(manager)["assignee_id"] == ann, 60, "its owner from serviceflow")
    await wait_until(
        lambda: any(f"Case summary for zendesk:127.0.0.1:{first}" in c["body"] for c in notes()),
        60, "the case summary from serviceflow",
    )  # fmt: skip
    breach = await wait_until(
        lambda: [c for c in notes() if c["body"].startswith("To: Lee\nBreached: acknowledge")],
        60, f"the acknowledgement's breach to the lead\n{system.log('worker.log')}",
    )  # fmt: skip
    warning = [c for c in notes() if c["body"].startswith("To: Ann\nAt risk: acknowledge")]
    assert len(warning) == 1 and len(breach) == 1
    # The lead follows the ticket, so Zendesk emails them the breach (issue 12 F).
    assert lee in zendesk.ticket(manager)["follower_ids"]
    assert any(n.user_id == lee and n.comment_id == breach[0]["id"] for n in zendesk.notifications(manager))
    breached_after = (stamp(breach[0]["created_at"]) - created).total_seconds()
    assert ACKNOWLEDGE_SECONDS - 1 <= breached_after <= ACKNOWLEDGE_SECONDS + 6, breached_after

    # The echo was on: serviceflow's assignment and its summary came back as the API user's.
    zendesk.wait_idle(timeout=10)
    echoed = [
        json.loads(d.body) for d in zendesk.deliveries
        if d.ticket_id == manager and json.loads(d.body)["detail"]["actor_id"] == str(admin)
    ]  # fmt: skip
    kinds = {e["type"].removeprefix("zen:event-type:ticket.") for e in echoed}
    assert {"agent_assignment_changed", "comment_added"} <= kinds, kinds
    authors = {e["event"]["comment"]["author"]["id"] for e in echoed if e["type"].endswith("comment_added")}
    assert authors == {str(admin)}
    assert all(d.ok for d in zendesk.deliveries), "a delivery was refused (see serve.log)"
    assert "identity_unknown" not in system.log("serve.log")
