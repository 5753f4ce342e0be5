"""One list of activities for every worker, and one behaviour when a worker lacks one anyway: the
worker is refused when built from the list; a case on a hand-built worker without one waits (its
workflow task fails and is retried) and goes on whole once a complete worker takes it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from durable_support import REPO, ROSTER, FakeHelpdesk, outcomes_in
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_case_workflow import event, new_ticket_id, start_case, state_of

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.registration import (
    ACTIVITY_NAMES,
    MissingActivities,
    check_registered,
    missing_activities,
    worker_activities,
)
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import build_worker
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.waiting import eventually

SOURCES = REPO / "src" / "serviceflow"
CALLED = re.compile(r"execute_(?:local_)?activity\(\s*\"([a-z_]+)\"")


def test_the_list_holds_every_activity_a_workflow_runs() -> None:
    called = {"deliver_notification"}  # notifier.py names it by a constant
    for path in [*(SOURCES / "durable").glob("*.py"), SOURCES / "outcomes" / "recording.py"]:
        called.update(CALLED.findall(path.read_text()))
    assert called == ACTIVITY_NAMES


async def test_serviceflow_worker_registers_the_list(env: WorkflowEnvironment, tmp_path: Path) -> None:
    activities = CaseActivities(PolicyStore([REPO / "policies"]), ROSTER)
    built = build_worker(
        env.client, Settings(task_queue="registered"), activities, outcomes=outcomes_in(tmp_path)
    )
    registered = built._config["activities"]  # type: ignore[typeddict-item]
    assert missing_activities(registered) == set()
    assert len(registered) == len(ACTIVITY_NAMES)


def test_a_worker_without_one_is_refused_by_name(tmp_path: Path) -> None:
    activities = CaseActivities(PolicyStore([REPO / "policies"]), ROSTER)
    outcomes = outcomes_in(tmp_path)
    everything = worker_activities(activities, None, "q", outcomes)  # type: ignore[arg-type]
    without = [a for a in everything if a != outcomes.record_outcomes]
    with pytest.raises(MissingActivities, match="missing: record_outcomes$"):
        check_registered(without)
    assert missing_activities([activities.decide, outcomes.record_outcomes]) == ACTIVITY_NAMES - {
        "decide",
        "record_outcomes",
    }


async def test_a_case_on_a_worker_without_an_activity_waits_then_goes_on_whole(
    env: WorkflowEnvironment, helpdesk: FakeHelpdesk, tmp_path: Path
) -> None:
    activities = CaseActivities(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
    queue = f"partial-{uuid.uuid4()}"
    partial = Worker(  # an embedder's worker, built by hand without the outcome store's activity
        env.client,
        task_queue=queue,
        workflows=[CaseWorkflow],
        activities=[activities.decide, activities.carry_out, activities.fetch_ticket],
        max_cached_workflows=0,  # no sticky queue left behind when it stops
    )
    async with partial:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, queue, event("created", now, "customer", "r1"))

        async def failed() -> bool:
            history = await handle.fetch_history()
            return any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)

        await eventually(failed, 30, "the case's workflow task to fail (to be retried)")
        assert helpdesk.applied == []  # nothing done without the whole step
    outcomes = outcomes_in(tmp_path / "outcomes")
    complete = Worker(
        env.client,
        task_queue=queue,
        workflows=[CaseWorkflow, QuarantineWatcher],
        activities=worker_activities(activities, env.client, queue, outcomes, index_requester=False),
    )
    async with complete:
        await helpdesk.wait_for(lambda applied: bool(applied), timeout=60)
        state = await state_of(handle)
        assert state.owner is not None and state.decisions

        async def recorded() -> int:
            return len(outcomes.store.read())

        await eventually(recorded, 30, "the decision's outcomes in the store")
