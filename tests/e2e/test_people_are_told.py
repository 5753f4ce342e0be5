"""Issue 12's done-when, end to end with the echo on: a policy on the recipient matches (the
webhook carries none; the case reads the full ticket from the fake Zendesk), and the lead of a
breached promise is told through a channel: a local fake Slack receives the message naming the
ticket and the lead, and the case records the delivery. (The manager's email keeping its
acknowledgement target until a person acts is test_own_writes.py.)

Every part is a real process or server: a Temporal dev server, ``serviceflow worker`` (with
``SERVICEFLOW_CHANNELS`` naming the fake Slack), ``serviceflow serve``, the fake Zendesk and the
fake Slack, over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from e2e_support import SECRET, System, casey_writes_in, eventually, wait_until
from serviceflow_zendesk.fake import FakeZendesk
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from serviceflow.channels.fake import FakeSlack
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import CaseState

POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: e2e-told
defaults: {escalation: quick}
fallback: {owner: group:Frontline}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
  promise:
    levels:
      - notify: [owner.lead]
        via: [helpdesk, 'slack:leads']
---
apiVersion: serviceflow/v1
kind: Policy
name: e2e-told
owner:
  - name: manager-mail
    when: ticket.recipient == "manager@shop.example"
    pick: fixed
    from: [agent:max@shop.example]
  - {name: desk, pick: round_robin, from: [group:Frontline]}
promises:
  - name: refund
    recorded: event.kind == "internal_note" && event.body.startsWith("#promise refund")
    due: 6s
    kept: '"refund_paid" in ticket.tags'
    escalation: promise
"""


@pytest_asyncio.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    zendesk = FakeZendesk().start()
    slack = FakeSlack().start()
    running = System(tmp_path, zendesk, policies=POLICIES)
    running.extra_env = {"SERVICEFLOW_CHANNELS": json.dumps({"slack:leads": {"url": slack.url}})}  # type: ignore[attr-defined]
    running.slack = slack  # type: ignore[attr-defined]
    frontline, leads = zendesk.add_group("Frontline"), zendesk.add_group("Leads")
    running.ann = zendesk.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])  # type: ignore[attr-defined]
    running.lee = zendesk.add_agent("Lee Lead", email="lee@shop.example", groups=[leads["id"]])  # type: ignore[attr-defined]
    running.max = zendesk.add_agent("Max Manager", email="max@shop.example", groups=[leads["id"]])  # type: ignore[attr-defined]
    try:
        await running.run()
        yield running
    finally:
        running.stop()
        slack.stop()
        zendesk.stop()


async def test_a_policy_on_the_recipient_matches_and_the_lead_of_a_broken_promise_is_told(
    system: System,
) -> None:
    zendesk, slack = system.zendesk, system.slack  # type: ignore[attr-defined]
    zendesk.add_webhook(f"{system.receiver_url}/webhooks/zendesk", secret=SECRET)
    ann, max_ = system.ann["id"], system.max["id"]  # type: ignore[attr-defined]

    # An email to the manager: its webhook says nothing of the recipient; the helpdesk does.
    robin = zendesk.add_user("Robin", email="robin@example.com")
    email, _audit, _change = zendesk.state.create_ticket(
        {"subject": "Complaint", "comment": {"body": "I want the manager.", "public": True},
         "requester_id": robin["id"]},
        actor_id=robin["id"],
        system_fields={"via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
                       "recipient": "manager@shop.example"},
    )  # fmt: skip
    await wait_until(
        lambda: zendesk.ticket(email["id"])["assignee_id"] == max_,
        60, f"the manager's email owned by Max (the recipient rule)\n{system.log('worker.log')}",
    )  # fmt: skip

    # A promise to another customer, recorded by Ann, and missed: her lead is told on Slack.
    _casey, first = await casey_writes_in(zendesk, owner=ann)
    zendesk.update_ticket(
        first, {"comment": {"body": "#promise refund by tomorrow", "public": False}}, actor_id=ann
    )
    messages = await wait_until(
        lambda: slack.messages, 60, f"the breach on Slack\n{system.log('worker.log')}"
    )
    text = json.dumps(messages[0])
    assert f"ticket {first}" in text and "Charged twice" in text  # the ticket, by id and subject
    assert "Lee Lead" in text  # the lead, by name
    assert "Breached: refund" in text
    assert len(slack.messages) == 1

    # The case records both deliveries, and the requester as the helpdesk knows them.
    client = await Client.connect(system.server.address, data_converter=pydantic_data_converter)
    handle = client.get_workflow_handle(f"zendesk:127.0.0.1:{first}")

    async def recorded() -> CaseState | None:
        state = await handle.query(CaseWorkflow.case_state, result_type=CaseState)
        return state if {"helpdesk", "slack:leads"} <= {d.channel for d in state.deliveries} else None

    state = await eventually(recorded, 30, "the deliveries recorded in the case")
    on_slack = next(d for d in state.deliveries if d.channel == "slack:leads")
    assert on_slack.outcome == "delivered" and on_slack.recipients == ("Lee Lead",)
    assert state.ticket.requester.email == "casey@example.com" and state.ticket_read is not None
