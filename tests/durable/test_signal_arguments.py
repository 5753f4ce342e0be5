"""A signal with no argument, a null, a wrong shape or an argument too many, as an operator's
``temporal workflow signal`` (no ``--input``) or a hand-written client sends it, is logged and
ignored by every workflow the worker runs: the workflow goes on and decides the next real input.
On main each failed every workflow task of its workflow for good (attack11's F2): the case's
query answered "Workflow Task in failed state" and later events, timers and breaches waited."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from durable_support import FakeHelpdesk, eventually
from loop_fakes import POLLS, list_nothing, sweep_nothing
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_case_workflow import event, new_ticket_id, state_of

from serviceflow.durable.messages import CaseStart, WatchStart
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.reconcile import Reconciler
from serviceflow.durable.reconcile_messages import ReconcileStart
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import CaseState

SECRET = "card 4111-1111-1111-1111"  # what a customer wrote: never in a log line
# The arguments of each hostile signal: none, a null (binary/null), a wrong shape, two.
HOSTILE: list[list[Any]] = [[], [None], [{"id": 5, "body": SECRET}], ["a string"], [{}, {}]]


async def _signal(handle: WorkflowHandle[Any, Any], name: str, args: list[Any]) -> None:
    await handle.signal(name, args=args)


async def _assigned(helpdesk: FakeHelpdesk) -> None:
    await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied), timeout=30)


@pytest.mark.parametrize("name", ["event", "link"])
async def test_a_case_ignores_a_signal_without_its_argument_and_decides_the_next_event(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.WARNING)
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        first = event("created", now, "customer", "s1")
        # The case started by the hostile signal itself (signal-with-start, no argument): its
        # first task is the one that failed for ever on main.
        handle = await env.client.start_workflow(
            CaseWorkflow.run,
            CaseStart(),
            id=first.ticket.key,
            task_queue=built.task_queue,
            start_signal=name,
            start_signal_args=[],
        )
        for args in HOSTILE:
            await _signal(handle, name, args)
        await handle.signal("event", first)
        await _assigned(helpdesk)  # the real event was decided and its action carried out
        state: CaseState = await state_of(handle)  # the query answers
        assert state.seen_events == ("s1",)
        for args in HOSTILE[1:]:  # and the case goes on after hostile signals mid-case too
            await _signal(handle, name, args)
        await handle.signal("event", event("customer_message", now, "customer", "s2"))
        await eventually(lambda: _seen(handle, "s2"), 30, "the event after the hostile signals decided")
        await handle.terminate("done")
    ignored = [r.getMessage() for r in caplog.records if f"signal '{name}'" in r.getMessage()]
    assert len(ignored) >= len(HOSTILE) * 2 - 1 and all("ignored" in line for line in ignored)
    assert not any(SECRET in r.getMessage() for r in caplog.records)


async def _seen(handle: WorkflowHandle[Any, Any], event_id: str) -> bool | None:
    return True if event_id in (await state_of(handle)).seen_events else None


@pytest.mark.parametrize(
    ("loop", "start", "lister", "now_signal", "query"),
    [
        (QuarantineWatcher, WatchStart(vendor="demo", account="demo"), list_nothing, "poll_now", "known"),
        (Reconciler, ReconcileStart(vendor="demo", account="demo"), sweep_nothing, "sweep_now", "progress"),
    ],
    ids=["quarantine-watcher", "reconciler"],
)
async def test_a_loop_ignores_a_signal_without_its_argument_and_acts_on_the_next_one(
    env: WorkflowEnvironment,
    caplog: pytest.LogCaptureFixture,
    loop: type,
    start: Any,
    lister: Any,
    now_signal: str,
    query: str,
) -> None:
    """``configure`` with no interval (or a null, a wrong shape, two) and ``poll_now`` or
    ``sweep_now`` with arguments it does not take: logged and ignored; then ``*_now`` polls."""
    caplog.set_level(logging.WARNING)
    POLLS.clear()
    queue = f"loops-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[loop], activities=[lister]):
        handle = await env.client.start_workflow(loop.run, start, id=f"{queue}-run", task_queue=queue)
        await eventually(lambda: _polled(1), 20, "the first poll")
        for args in HOSTILE:
            await _signal(handle, "configure", args)
        await _signal(handle, now_signal, [{"at": "once"}])  # an argument it does not take
        await eventually(lambda: _polled(2), 20, f"{now_signal} with an argument, acted on")
        await handle.signal(now_signal)
        await eventually(lambda: _polled(3), 20, f"{now_signal} after the hostile signals")
        await handle.query(query)  # the query answers: no task in failed state
        await handle.terminate("done")
    assert not any(SECRET in r.getMessage() for r in caplog.records)  # never the value given


async def _polled(count: int) -> bool | None:
    return True if len(POLLS) >= count else None
