"""End to end, every part a real process or server on 127.0.0.1: a Temporal dev server,
`serviceflow worker`, `serviceflow serve`, and the fake Zendesk sending signed webhooks through a
relay that delivers each one twice and out of order. A customer's ticket goes in; the owner's
assignment, the at-risk warning to the owner and the escalation to the owner's lead come out on
the fake, at the right times, exactly once."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest_asyncio
from e2e_support import SECRET, Relay, System, casey_writes_in, eventually, free_port, stamp, wait_until
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.signature import sign
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from serviceflow.fakes.sink import JsonSink
from serviceflow.receiver.server import serving_app

TARGET_SECONDS = 8  # the first-response target of e2e_support.POLICIES; warning at half of it


@pytest_asyncio.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    zendesk = FakeZendesk().start()
    running = System(tmp_path, zendesk)
    frontline, triage, leads = (zendesk.add_group(name) for name in ("Frontline", "Triage", "Leads"))
    running.ann = zendesk.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])  # type: ignore[attr-defined]
    running.tia = zendesk.add_agent("Tia", email="tia@shop.example", groups=[triage["id"]])  # type: ignore[attr-defined]
    running.lee = zendesk.add_agent("Lee", email="lee@shop.example", groups=[leads["id"]])  # type: ignore[attr-defined]
    running.sink = JsonSink()  # type: ignore[attr-defined]
    sink_port = free_port()
    running.notify_url = f"http://127.0.0.1:{sink_port}/notify"
    sinking = serving_app(running.sink.app, "127.0.0.1", sink_port)  # type: ignore[attr-defined]
    await sinking.__aenter__()
    try:
        await running.run()
        yield running
    finally:
        running.stop()
        zendesk.stop()
        await sinking.__aexit__(None, None, None)


async def test_a_ticket_gets_its_owner_warning_and_escalation_once_despite_duplicates(
    system: System,
) -> None:
    zendesk = system.zendesk
    relay = Relay(target=f"{system.receiver_url}/webhooks/zendesk")
    relay_port = free_port()
    stop = asyncio.Event()
    async with serving_app(relay.app, "127.0.0.1", relay_port):
        relaying = asyncio.create_task(relay.run(stop))
        zendesk.add_webhook(f"http://127.0.0.1:{relay_port}/", secret=SECRET)
        customer = zendesk.add_user("Casey", email="casey@example.com")
        ticket = zendesk.state.add_ticket(
            {
                "subject": "Charged twice for order 1042",
                "comment": {"body": "My card was charged twice.", "public": True},
                "requester_id": customer["id"],
            },
            actor_id=customer["id"],
            notify=True,
        )
        tid = ticket["id"]
        ann, lee = system.ann["id"], system.lee["id"]  # type: ignore[attr-defined]

        def serviceflow_notes() -> list[dict]:  # type: ignore[type-arg]
            return [c for c in zendesk.comments(tid) if "[sf:" in (c.get("body") or "")]

        try:
            await wait_until(
                lambda: zendesk.ticket(tid)["assignee_id"] == ann,
                60,
                f"Ann as owner\n{system.log('worker.log')}",
            )
            await wait_until(
                lambda: any("Breached" in c["body"] for c in serviceflow_notes()),
                60,
                "the escalation (see worker.log)",
            )
            # Every copy of every delivery is in by now; give late copies a moment to arrive.
            await wait_until(lambda: not relay.pending and relay.forwarded >= 4, 10, "the relay to drain")
        finally:
            stop.set()
            await relaying

    created = stamp(zendesk.ticket(tid)["created_at"])
    notes = serviceflow_notes()
    markers = [re.search(r"\[sf:([^\]]+)\]", c["body"]).group(1) for c in notes]  # type: ignore[union-attr]
    assert len(markers) == len(set(markers)), f"a note was written twice: {markers}"
    # Texts name people by name; the lead follows the ticket, so Zendesk emails them the note.
    (warning,) = [c for c in notes if c["body"].startswith("To: Ann\nAt risk")]
    (escalation,) = [c for c in notes if c["body"].startswith("To: Lee\nBreached")]
    assert "escalation level 1" in escalation["body"]
    assert lee in zendesk.ticket(tid)["follower_ids"]
    told = {(n.user_id, n.via) for n in zendesk.notifications(tid) if n.comment_id == escalation["id"]}
    assert (lee, "follower") in told
    warned_after = (stamp(warning["created_at"]) - created).total_seconds()
    escalated_after = (stamp(escalation["created_at"]) - created).total_seconds()
    assert TARGET_SECONDS / 2 - 1 <= warned_after < TARGET_SECONDS, warned_after
    assert TARGET_SECONDS - 1 <= escalated_after <= TARGET_SECONDS + 6, escalated_after
    assignments = [
        call for call in zendesk.calls_to("PUT", f"/api/v2/tickets/{tid}") if b'"assignee_id"' in call.body
    ]
    assert len(assignments) == 1
    assert relay.statuses and set(relay.statuses) == {200}
    assert relay.forwarded >= 2 * 2  # every delivery went twice
    assert relay.largest_batch >= 2  # and some overtook others


async def test_bad_deliveries_get_their_status_and_reach_nothing(system: System) -> None:
    url = f"{system.receiver_url}/webhooks"
    body = b'{"type": "zen:event-type:ticket.created"}'
    timestamp = datetime.now().astimezone().isoformat(timespec="seconds")
    signed = {
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "x-zendesk-webhook-signature": sign(SECRET, timestamp, b"not json"),
        "content-type": "application/json",
    }
    async with httpx.AsyncClient(timeout=30) as http:
        cases = [
            (await http.post(f"{url}/zendesk", content=body), 401),  # no signature
            (
                await http.post(
                    f"{url}/zendesk",
                    content=body,
                    headers={**signed, "x-zendesk-webhook-signature": "AAAA"},
                ),
                401,
            ),
            (await http.post(f"{url}/nosuchdesk", content=body), 404),
            (await http.post(f"{url}/zendesk", content=b"not json", headers=signed), 400),
            (await http.post(f"{url}/zendesk", content=b"x" * (2 * 1024 * 1024)), 413),
            (await http.get(f"{url}/zendesk"), 405),
        ]
        metrics = (await http.get(f"{system.receiver_url}/metrics")).text
    assert [response.status_code for response, _ in cases] == [status for _, status in cases]
    assert "not json" not in metrics and SECRET not in system.log("serve.log")
    client = await Client.connect(system.server.address, data_converter=pydantic_data_converter)
    query = f'TaskQueue = "{system.queue}" AND WorkflowType = "Case"'
    started = [w async for w in client.list_workflows(query)]
    assert started == []


async def test_suspended_mail_joins_the_customers_case_or_gets_a_reviewer(system: System) -> None:
    """The manager's suspended email from a customer with an open case is recovered and joins
    the case; a stranger's gets a reviewer, a warning and an escalation, and a person's deleting
    it in the helpdesk closes the review."""
    zendesk = system.zendesk
    zendesk.add_webhook(f"{system.receiver_url}/webhooks/zendesk", secret=SECRET)
    ann, tia, lee = (system.ann["id"], system.tia["id"], system.lee["id"])  # type: ignore[attr-defined]
    casey, first = await casey_writes_in(zendesk, owner=ann)
    zendesk.add_suspended(
        "casey@example.com", author_name="Casey", subject="Third time: my refund",
        content="Nobody answers me.", recipient="manager@shop.example",
    )  # fmt: skip
    recovered = await wait_until(
        lambda: [t for t in zendesk.tickets() if t["subject"] == "Third time: my refund"], 60, "the recovery"
    )
    new = recovered[0]["id"]
    assert recovered[0]["requester_id"] == casey["id"]  # the customer, not the API user
    await wait_until(lambda: zendesk.ticket(new)["assignee_id"] == ann, 60, "the same owner")
    await wait_until(
        lambda: any(f"Case summary for zendesk:127.0.0.1:{first}" in (c.get("body") or "")
                    for c in zendesk.comments(new)),
        60, "the case summary on the recovered ticket",
    )  # fmt: skip
    stranger = zendesk.add_suspended("press@news.example", subject="Interview request", content="Hello")
    sink: JsonSink = system.sink  # type: ignore[attr-defined]
    review = f"zendesk:127.0.0.1:quarantine-{stranger['id']}"
    await wait_until(
        lambda: any(n["case"] == review and n["escalation_level"] == 1 for n in sink.received),
        60, "the review's escalation",
    )  # fmt: skip
    mine = [n for n in sink.received if n["case"] == review]
    assert [n["recipients"] for n in mine] == [[str(tia)], [str(lee)]]  # warned, then the lead
    assert mine[0]["escalation_level"] is None
    assert [s["id"] for s in zendesk.suspended_tickets()] == [stranger["id"]]  # Casey's was recovered
    listed = subprocess.run(
        [sys.executable, "-m", "serviceflow", "case", "list", "--address", system.server.address],
        capture_output=True, text=True, timeout=60, env=system.env(),
    )  # fmt: skip
    rows = [line for line in listed.stdout.splitlines() if f"quarantine-{stranger['id']}" in line]
    # The reviewer owns it, shown by the name the helpdesk's roster gives (not the agent id).
    assert rows and "review" in rows[0] and "│ Tia " in rows[0] and str(tia) not in rows[0], listed.stdout
    assert any(
        f"zendesk:127.0.0.1:{first}" in line and "ticket" in line for line in listed.stdout.splitlines()
    )
    zendesk.delete_suspended(stranger["id"])  # a person deals with it in Zendesk
    client = await Client.connect(system.server.address, data_converter=pydantic_data_converter)
    handle = client.get_workflow_handle(review)

    async def closed() -> bool:
        return (await handle.describe()).status.name == "COMPLETED"

    await eventually(closed, 60, "the review case to close")
