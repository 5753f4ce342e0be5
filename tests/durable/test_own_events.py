"""An ``event`` signal that carries another ticket's event (``temporal workflow signal
--workflow-id <case of ticket A> --name event --input <an event of ticket B>``) is logged and
ignored by the case (durable/own_events.py, ``own-events-only``): its own events before and after
it decide as usual, its ticket stays its own. On main it was decided into the case: the case took
ticket B as its ticket (tests/durable/histories/foreign_event_decided.json, recorded with main's
code, still replays so: test_replay.py). On the real time-skipping test server."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from durable_support import FakeHelpdesk, eventually
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from test_case_workflow import event, new_ticket_id, state_of

from serviceflow.durable.messages import CaseResult, CaseStart
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.engine.inputs import LinkContact
from serviceflow.model import TicketEvent

SECRET = "card 4111-1111-1111-1111"  # what the other ticket's customer wrote: never in a log line


def foreign(now: Any, own: str, event_id: str = "x-foreign") -> TicketEvent:
    """An event of another ticket of the same helpdesk account (the id ``{own}0``)."""
    return event("customer_message", now, "customer", event_id, body=SECRET, id=f"{own}0")


def ignored_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "not of this case's ticket" in r.getMessage()]


async def start_case(
    env: WorkflowEnvironment, task_queue: str, first: TicketEvent
) -> WorkflowHandle[Any, CaseResult]:
    """The case of ``first``'s ticket, started by signal-with-start as the receiver does."""
    return await env.client.start_workflow(
        CaseWorkflow.run, CaseStart(), id=first.ticket.key, task_queue=task_queue,
        start_signal="event", start_signal_args=[first], result_type=CaseResult,
    )  # fmt: skip


async def _seen(handle: WorkflowHandle[Any, Any], event_id: str) -> bool | None:
    return True if event_id in (await state_of(handle)).seen_events else None


async def test_another_tickets_event_is_logged_and_ignored_and_the_case_goes_on(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    built = worker()
    async with built:
        now = await env.get_current_time()
        own = new_ticket_id()
        first = event("created", now, "customer", "x1")
        handle = await start_case(env, built.task_queue, first)
        await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied))
        await handle.signal("event", foreign(now, own))
        await handle.signal("event", event("customer_message", now, "customer", "x2", body="Any news?"))
        await eventually(lambda: _seen(handle, "x2"), 30, "the case's own event after the foreign one")
        state = await state_of(handle)
        assert state.seen_events == ("x1", "x2")
        assert state.ticket.key == handle.id and state.case_id == handle.id
        assert [d.input.split()[-1] for d in state.decisions] == ["x1", "x2"]
        await handle.terminate("done")
    (line,) = ignored_lines(caplog)
    assert line.startswith("signal 'event': ") and line.split(";")[0].endswith(f"ticket {handle.id}")
    assert f"demo:demo:{own}0" in line and "ignored" in line  # the key mismatch, named
    assert not any(SECRET in r.getMessage() for r in caplog.records)  # never what it said


async def test_a_foreign_event_in_the_cases_first_task_is_ignored(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, caplog: pytest.LogCaptureFixture
) -> None:
    """The case's first event and another ticket's, both sent before a worker runs: the first
    activation brings the two signals, handled before the run asks its changes, and the foreign
    one is still ignored, checked where it leaves the inbox."""
    caplog.set_level(logging.WARNING)
    built = worker()
    now = await env.get_current_time()
    own = new_ticket_id()
    first = event("created", now, "customer", "y1")
    handle = await start_case(env, built.task_queue, first)
    await handle.signal("event", foreign(now, own, "y-foreign"))
    await handle.signal("event", event("customer_message", now, "customer", "y2"))
    async with built:
        await eventually(lambda: _seen(handle, "y2"), 30, "the case's own second event")
        state = await state_of(handle)
        assert state.seen_events == ("y1", "y2") and state.ticket.key == handle.id
        await handle.terminate("done")
    assert len(ignored_lines(caplog)) == 1


async def test_a_closed_case_with_only_a_foreign_event_left_ends(
    env: WorkflowEnvironment, worker, caplog: pytest.LogCaptureFixture
) -> None:
    """The case's event closes it, and the same task brought a foreign event: ignored, the case
    ends, as it ends when nothing is left (it does not wait for an input that never comes)."""
    caplog.set_level(logging.WARNING)
    built = worker()
    now = await env.get_current_time()
    own = new_ticket_id()
    closing = event("created", now, "customer", "z1", status="closed")
    handle = await start_case(env, built.task_queue, closing)
    await handle.signal("event", foreign(now, own, "z-foreign"))  # both before any worker runs
    async with built:
        result = await asyncio.wait_for(handle.result(), 30)
    assert result.case_id == handle.id and result.closed_at is not None
    assert len(ignored_lines(caplog)) == 1


async def test_a_link_naming_another_ticket_is_still_taken(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    """A repeat contact's ``link`` names another ticket's key by design: not checked."""
    built = worker()
    async with built:
        now = await env.get_current_time()
        own = new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "l1"))
        await handle.signal("link", LinkContact(ticket_key=f"demo:demo:{own}0", time=now))
        await handle.signal("event", event("customer_message", now, "customer", "l2"))
        await eventually(lambda: _seen(handle, "l2"), 30, "the event after the link")
        assert (await state_of(handle)).linked_tickets == (f"demo:demo:{own}0",)
        await handle.terminate("done")
