"""The full ticket (issue 12 E, the shell's half) on a real time-skipping server: read from the
helpdesk when a case opens, so a policy on the recipient or the organization matches what no
webhook carried; kept in the case (one read, however many events); retried under a rate limit;
and a helpdesk that cannot be read never holds a decision: the case decides on what the webhook
gave, and says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from durable_support import FakeHelpdesk, FullTickets, eventually, stand_in
from temporalio.testing import WorkflowEnvironment
from test_case_workflow import event, new_ticket_id, start_case, state_of, ticket

from serviceflow.adapters.records import Organization, Person, TicketRecord
from serviceflow.durable.full_ticket import completed, lacking
from serviceflow.model import CaseState, Requester, TicketOrganization

POLICY = """\
apiVersion: serviceflow/v1
kind: Policy
name: p
owner:
  - name: manager-mail
    when: ticket.recipient == "manager@shop.example"
    pick: fixed
    from: [agent:max]
  - name: acme
    when: ticket.organization.name == "ACME" && "vip" in ticket.organization.tags
    pick: fixed
    from: [agent:lee]
"""


def record_for(recipient: str | None, organization: str | None = None):  # type: ignore[no-untyped-def]
    def make(ticket_id: str) -> TicketRecord:
        base = ticket(_now(), recipient=recipient)
        base = base.model_copy(update={"requester": Requester(id="dana")})
        org = Organization(id="o1", name=organization, tags=("vip",)) if organization else None
        return TicketRecord(
            ticket=base,
            requester=Person(id="dana", name="Dana Smith", email="dana@customer.example"),
            organization=org,
        )

    return make


_NOW: list = []


def _now():  # type: ignore[no-untyped-def]
    return _NOW[0]


@pytest.fixture
def tickets() -> Iterator[FullTickets]:
    full = FullTickets(make=record_for("manager@shop.example"))
    with stand_in(tickets=full):
        yield full


async def owner_of(handle) -> CaseState:  # type: ignore[no-untyped-def]
    async def owned() -> CaseState | None:
        state = await state_of(handle)
        return state if state.owner else None

    state: CaseState = await eventually(owned, 20, "the case to have an owner")
    return state


async def test_a_policy_on_the_recipient_matches_what_only_the_helpdesk_knows(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, tickets: FullTickets, write_policies
) -> None:
    built = worker([write_policies({"p.yaml": POLICY})])
    async with built:
        now = await env.get_current_time()
        _NOW[:] = [now]
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "f1"))
        state = await owner_of(handle)
        assert state.owner == "max"  # the manager-mail rule matched the recipient read
        assert state.ticket.recipient == "manager@shop.example"
        assert state.ticket.requester.email == "dana@customer.example"
        assert state.ticket.requester.name == "Dana Smith"
        assert state.ticket_read == "read"
        for n in range(2, 5):  # later webhooks without the recipient: completed from the case
            await handle.signal("event", event("customer_message", now, "customer", f"f{n}"))

        async def all_decided() -> bool:
            return "f4" in (await state_of(handle)).seen_events

        await eventually(all_decided, 20, "the later events decided")
        state = await state_of(handle)
        assert state.owner == "max" and state.ticket.recipient == "manager@shop.example"
        assert len(tickets.reads) == 1  # cached in the case
        metric = built.activities.metrics.registry.get_sample_value  # type: ignore[attr-defined]
        assert metric("serviceflow_ticket_reads_total", {"vendor": "demo", "outcome": "read"}) == 1
        await handle.terminate("done")


async def test_a_rate_limited_read_is_retried_and_the_organization_is_read(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, tickets: FullTickets, write_policies
) -> None:
    tickets.make = record_for(None, organization="ACME")
    tickets.rate_limited = 2
    built = worker([write_policies({"p.yaml": POLICY})])
    async with built:
        now = await env.get_current_time()
        _NOW[:] = [now]
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "g1"))
        state = await owner_of(handle)
        assert state.owner == "lee"  # the organization's rule
        assert state.ticket.organization == TicketOrganization(id="o1", name="ACME", tags=("vip",))
        assert len(tickets.reads) == 3
        assert state.ticket_read == "read"
        metric = built.activities.metrics.registry.get_sample_value  # type: ignore[attr-defined]
        assert metric("serviceflow_ticket_reads_total", {"vendor": "demo", "outcome": "retrying"}) == 2
        await handle.terminate("done")


async def test_a_helpdesk_that_cannot_be_read_holds_no_decision(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, tickets: FullTickets, write_policies
) -> None:
    tickets.rate_limited = 10_000  # never answers
    built = worker([write_policies({"p.yaml": POLICY})])
    async with built:
        now = await env.get_current_time()
        _NOW[:] = [now]
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "h1"))
        state = await owner_of(handle)
        assert state.owner != "max"  # decided on the webhook's ticket, which names no recipient
        assert state.ticket_read is not None and state.ticket_read.startswith("failed")
        (note,) = [n for n in state.decisions[0].notes if "webhook's ticket" in n]
        assert "recipient" in note and "429" in note
        await handle.terminate("done")


def test_an_event_ticket_is_completed_only_from_the_same_ticket() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    _NOW[:] = [now]
    bare = ticket(now)
    known = record_for("manager@shop.example", organization="ACME")("1")
    full = completed(bare, known.ticket.model_copy(update={"id": bare.id}))
    assert full.recipient == "manager@shop.example"
    assert completed(bare, known.ticket.model_copy(update={"id": "other"})) == bare
    assert "recipient" in lacking(bare) and "organization" in lacking(bare)
    changed = bare.model_copy(update={"recipient": "support@shop.example"})
    assert completed(changed, full).recipient == "support@shop.example"  # the event's own wins
