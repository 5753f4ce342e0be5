"""The quarantine watcher on a real time-skipping server, against a quarantine that a person can
empty and that answers 429 on demand: nothing lost, nothing doubled, reviews that escalate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from durable_support import FakeQuarantine, NotificationSink, eventually, wait_until
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.messages import CaseResult, WatchStart
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.waiting import skip_time, skip_to_next
from serviceflow.model import CaseState, Requester, TargetState, TicketKind

REPO = Path(__file__).resolve().parents[2]
HOUR = 3600.0
OFFICE = ZoneInfo("Europe/Amsterdam")  # the shipped office calendar's zone
TUESDAY = 1


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own: days pass here, and a workflow another
    module left behind on a queue with no worker would hold the clock still."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=pydantic_data_converter,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


async def watch(
    env: WorkflowEnvironment, built: Worker, *, interval: float = HOUR, polls_before_continue: int = 200
) -> WorkflowHandle:
    return await env.client.start_workflow(
        QuarantineWatcher.run,
        WatchStart(
            vendor="demo",
            account="demo",
            interval_seconds=interval,
            polls_before_continue=polls_before_continue,
        ),
        id=f"quarantine:demo:demo:{uuid.uuid4()}",
        task_queue=built.task_queue,
    )


async def state_when(
    env: WorkflowEnvironment, case_id: str, predicate: Callable[[CaseState], bool], what: str
) -> CaseState:
    """The case's state once it exists and ``predicate`` holds (bounded wait)."""
    handle = env.client.get_workflow_handle(case_id)

    async def state() -> CaseState | None:
        found = await handle.query(CaseWorkflow.case_state)
        return found if found is not None and predicate(found) else None

    return await eventually(state, 30, f"{what} on {case_id}")  # type: ignore[no-any-return]


def _review(state: CaseState) -> TargetState:
    return next(t for t in state.targets if t.name == "review")


def _escalations(sink: NotificationSink) -> list[dict[str, Any]]:
    return [n for n in sink.received if n["escalation_level"]]


async def _stranger_under_review(
    env: WorkflowEnvironment, built: Worker, quarantine: FakeQuarantine, message: str, at: time
) -> tuple[WorkflowHandle, str, datetime, datetime]:
    """A stranger's message arrives on the next Tuesday at ``at`` (office time), not at the real
    time of day the test server's clock started at: the review's 4 business hours then fall due
    where the test says. Returns the watcher, the review's case id, the arrival and the due time."""
    now = await skip_to_next(env, TUESDAY, at, OFFICE)
    quarantine.add(message, now, subject="Partnership", sender=Requester(id="press@news.example"))
    watcher = await watch(env, built)
    case_id = f"demo:demo:quarantine-{message}"
    state = await state_when(env, case_id, lambda s: s.owner is not None, "a reviewer")
    assert state.owner == "tia" and state.ticket.kind is TicketKind.QUARANTINED
    due = _review(state).due_at
    assert due is not None
    return watcher, case_id, now, due


async def test_a_strangers_message_gets_a_reviewer_and_escalates_when_not_reviewed(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine, notifications: NotificationSink
) -> None:
    built = worker(notify_url=notifications.url)
    async with built:
        watcher, case_id, now, due = await _stranger_under_review(env, built, quarantine, "m1", time(10))
        assert due - now == timedelta(hours=5)  # 10:00-12:30, lunch, 13:30-15:00: due in business hours
        await skip_time(env, due - now - timedelta(minutes=1))
        assert _escalations(notifications) == []  # before the deadline only the owner is warned, if anyone
        assert all(n["recipients"] == ["tia"] for n in notifications.received)
        await skip_time(env, timedelta(minutes=2))
        await wait_until(
            lambda: any(n["escalation_level"] == 1 for n in notifications.received), 20, "the escalation"
        )
        (escalation,) = [n for n in notifications.received if n["escalation_level"] == 1]
        assert escalation["recipients"] == ["lee"]
        assert escalation["case"] == case_id and escalation["rule"] == "review"
        metric = built.activities.metrics.registry.get_sample_value  # type: ignore[attr-defined]
        assert metric("serviceflow_review_breaches_total", {"rule": "review"}) == 1
        assert metric("serviceflow_quarantined_total", {"vendor": "demo", "verdict": "review"}) == 1
        await watcher.terminate("done")
        await env.client.get_workflow_handle(case_id).terminate("done")


async def test_a_review_breached_at_closing_time_escalates_when_the_office_opens(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine, notifications: NotificationSink
) -> None:
    """The ladder's first level is sent in business hours only: a review that arrives at lunch
    falls due at 17:30, as the office closes, and its escalation waits for 09:00 the next day."""
    built = worker(notify_url=notifications.url)
    async with built:
        watcher, case_id, _, due = await _stranger_under_review(env, built, quarantine, "m8", time(12, 45))
        assert due.astimezone(OFFICE).time() == time(17, 30)  # 13:30-17:30, the day's last hours
        opening = datetime.combine(due.astimezone(OFFICE).date() + timedelta(days=1), time(9), tzinfo=OFFICE)
        await skip_time(env, due - await env.get_current_time() + timedelta(minutes=1))
        breached = await state_when(env, case_id, lambda s: _review(s).breached_at is not None, "the breach")
        held = [d.send_at for d in breached.deferred if getattr(d.action, "escalation_level", None) == 1]
        assert held == [opening]
        await skip_time(env, opening - await env.get_current_time() - timedelta(minutes=1))
        assert _escalations(notifications) == []  # not told overnight
        await skip_time(env, timedelta(minutes=2))
        await wait_until(
            lambda: any(n["escalation_level"] == 1 for n in notifications.received), 20, "the escalation"
        )
        (escalation,) = _escalations(notifications)
        assert escalation["recipients"] == ["lee"] and escalation["case"] == case_id
        await watcher.terminate("done")
        await env.client.get_workflow_handle(case_id).terminate("done")


async def test_a_message_a_person_deals_with_closes_its_review(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine
) -> None:
    built = worker()
    async with built:
        now = await env.get_current_time()
        quarantine.add("m2", now)
        watcher = await watch(env, built)
        await state_when(env, "demo:demo:quarantine-m2", lambda s: s.owner is not None, "a reviewer")
        del quarantine.queue["m2"]  # deleted in the helpdesk by a person
        await watcher.signal(QuarantineWatcher.poll)
        review = env.client.get_workflow_handle("demo:demo:quarantine-m2", result_type=CaseResult)
        result = await asyncio.wait_for(review.result(), 30)
        assert result.closed_at is not None
        known = await watcher.query(QuarantineWatcher.known_messages)
        assert "m2" not in known
        await watcher.terminate("done")


async def test_a_message_seen_on_many_polls_is_one_review_across_continue_as_new(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine
) -> None:
    built = worker()
    async with built:
        now = await env.get_current_time()
        quarantine.add("m3", now)
        watcher = await watch(env, built, polls_before_continue=1)  # a new run after every poll
        await state_when(env, "demo:demo:quarantine-m3", lambda s: s.owner is not None, "a reviewer")
        await skip_time(env, timedelta(hours=3, minutes=30))
        await wait_until(lambda: quarantine.polls >= 4, 20, "four polls")
        state = await state_when(env, "demo:demo:quarantine-m3", lambda s: True, "the review")
        assert state.seen_events == ("quarantine-m3/arrived",)
        assert len(state.ownership) == 1
        assert await watcher.query(QuarantineWatcher.known_messages) == {"m3": "review"}
        await watcher.terminate("done")
        await env.client.get_workflow_handle("demo:demo:quarantine-m3").terminate("done")


async def test_a_rate_limited_poll_is_retried_and_loses_nothing(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine
) -> None:
    built = worker()
    async with built:
        now = await env.get_current_time()
        quarantine.add("m4", now)
        quarantine.fail_next_polls = 2
        watcher = await watch(env, built)
        await state_when(env, "demo:demo:quarantine-m4", lambda s: s.owner is not None, "a reviewer")
        assert quarantine.failed_polls == 2 and quarantine.polls == 1
        await watcher.terminate("done")
        await env.client.get_workflow_handle("demo:demo:quarantine-m4").terminate("done")


POLICY = """apiVersion: serviceflow/v1
kind: Policy
name: q
applies_to: quarantined
quarantine:
  - {name: our-customers, when: 'message.sender.email.endsWith("@customer.example")', do: recover}
  - {name: junk, when: 'message.subject.contains("WIN")', do: dismiss}
"""


async def test_recover_and_dismiss_verdicts_are_carried_out_in_the_helpdesk(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine, helpdesk, write_policies
) -> None:
    folder = write_policies({"q.yaml": POLICY})
    built = worker([folder])
    async with built:
        now = await env.get_current_time()
        quarantine.add("m5", now, sender=Requester(id="c9", email="c9@customer.example"))
        quarantine.add("m6", now, subject="YOU WIN")
        watcher = await watch(env, built)
        await wait_until(lambda: quarantine.recovered and quarantine.dismissed, 20, "recover and dismiss")
        assert (quarantine.recovered, quarantine.dismissed) == (["m5"], ["m6"])
        case = await state_when(env, "demo:demo:rm5", lambda s: True, "the recovered ticket's case")
        assert case.ticket.kind is TicketKind.TICKET and case.ticket.requester.id == "c9"
        assert case.opened_at == now  # the customer has waited since the message arrived
        await watcher.terminate("done")
        await env.client.get_workflow_handle("demo:demo:rm5").terminate("done")


async def test_a_recovery_the_helpdesk_refuses_becomes_a_review_that_closes(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine, write_policies
) -> None:
    folder = write_policies({"q.yaml": POLICY})
    built = worker([folder])
    async with built:
        now = await env.get_current_time()
        quarantine.add("m7", now, sender=Requester(id="c7", email="c7@customer.example"))
        quarantine.unrecoverable.add("m7")
        watcher = await watch(env, built)
        await state_when(env, "demo:demo:quarantine-m7", lambda s: True, "a review instead")
        assert await watcher.query(QuarantineWatcher.known_messages) == {"m7": "review"}
        del quarantine.queue["m7"]  # a person dealt with it after all
        await watcher.signal(QuarantineWatcher.poll)
        review = env.client.get_workflow_handle("demo:demo:quarantine-m7", result_type=CaseResult)
        assert (await asyncio.wait_for(review.result(), 30)).closed_at is not None
        await watcher.terminate("done")


async def test_a_configure_signal_out_of_range_is_ignored_and_the_watcher_goes_on(
    env: WorkflowEnvironment, worker, quarantine: FakeQuarantine
) -> None:
    """1e30 s overflowed ``timedelta`` in the signal handler, failing every workflow task after it
    (a stuck watcher); now it is logged and ignored, and the next poll happens."""
    built = worker()
    async with built:
        watcher = await watch(env, built)
        for bad in (1e30, 1e-9, -5.0):
            await watcher.signal(QuarantineWatcher.configure, bad)
        quarantine.add("m9", await env.get_current_time())
        await watcher.signal(QuarantineWatcher.poll)
        await state_when(env, "demo:demo:quarantine-m9", lambda s: s.owner is not None, "a reviewer")
        await watcher.terminate("done")
