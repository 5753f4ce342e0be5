"""A decision that keeps raising is tried a bounded number of times, then the case records the
error and falls back (the policy set's safe owner, a note); if even the fallback raises, the input
is set aside. The case always goes on. The failure is injected at the decide activity, as
FakeHelpdesk injects a helpdesk's: the engine itself is being made never to raise, and this guard
must hold whatever the engine does."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

from durable_support import REPO, ROSTER, FakeHelpdesk, outcomes_in
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_case_workflow import event, new_ticket_id, start_case, state_of

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.fallback import DECIDE_ATTEMPTS
from serviceflow.durable.messages import DecideRequest, DecideResult
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.engine.inputs import EventInput
from serviceflow.fakes.waiting import eventually
from serviceflow.model import AddInternalNote, AssignOwner


class FaultyDecide(CaseActivities):
    """The real decide activity, except that an event whose body says ``#boom`` makes it raise
    (``#boom-always``: the fallback too)."""

    calls: Counter[str]

    @activity.defn(name="decide")
    async def decide(self, request: DecideRequest) -> DecideResult:
        body = request.input.event.body if isinstance(request.input, EventInput) else ""
        self.calls["fallback" if request.failure else "decide"] += 1
        if "#boom" in body and (request.failure is None or "#boom-always" in body):
            raise OverflowError("date value out of range")
        return await super().decide(request)


def faulty_worker(env: WorkflowEnvironment, folder: Path) -> tuple[Worker, FaultyDecide]:
    activities = FaultyDecide(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
    activities.calls = Counter()
    queue = f"faulty-{uuid.uuid4()}"
    outcomes = outcomes_in(folder)
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[CaseWorkflow],
        activities=worker_activities(activities, env.client, queue, outcomes, index_requester=False),
    )
    return worker, activities


async def test_a_decision_that_keeps_raising_falls_back_to_the_safe_owner_and_a_note(
    env: WorkflowEnvironment, helpdesk: FakeHelpdesk, tmp_path: Path
) -> None:
    worker, activities = faulty_worker(env, tmp_path)
    async with worker:
        now = await env.get_current_time()
        new_ticket_id()
        first = event("created", now, "customer", "f1", body="#boom")
        handle = await start_case(env, worker.task_queue, first)
        await helpdesk.wait_for(lambda applied: any(isinstance(a, AddInternalNote) for a in applied))
        state = await state_of(handle)
        assert activities.calls == Counter(decide=DECIDE_ATTEMPTS, fallback=1)
        assert state.owner == "tia"  # the triage pool of the policy set's fallback
        assert "OverflowError: date value out of range" in state.decisions[-1].errors[0]
        assigned = [a for a in helpdesk.applied if isinstance(a, AssignOwner)]
        assert [(a.agent, a.policy) for a in assigned] == [("tia", "fallback")]
        note = next(a for a in helpdesk.applied if isinstance(a, AddInternalNote))
        assert "could not decide on created f1" in note.body

        await handle.signal("event", event("customer_message", now, "customer", "f2", body="Any news?"))

        async def decided_again() -> bool | None:
            decisions = (await state_of(handle)).decisions
            return True if decisions[-1].input.endswith("f2") and not decisions[-1].errors else None

        await eventually(decided_again, 20, "the next event decided by the engine")


async def test_when_the_fallback_raises_too_the_input_is_set_aside_and_the_case_goes_on(
    env: WorkflowEnvironment, helpdesk: FakeHelpdesk, tmp_path: Path
) -> None:
    worker, activities = faulty_worker(env, tmp_path)
    async with worker:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(
            env, worker.task_queue, event("created", now, "customer", "g1", body="#boom-always")
        )

        async def recorded() -> bool | None:
            state = await state_of(handle)
            return True if state is not None and state.decisions and state.decisions[-1].errors else None

        await eventually(recorded, 20, "the error recorded in the case")
        state = await state_of(handle)
        assert "set aside" in state.decisions[-1].notes[0] and state.owner is None
        assert activities.calls == Counter(decide=DECIDE_ATTEMPTS, fallback=DECIDE_ATTEMPTS)
        await handle.signal("event", event("customer_message", now, "customer", "g2", body="Hello?"))
        await helpdesk.wait_for(lambda applied: any(isinstance(a, AssignOwner) for a in applied))
        assert (await state_of(handle)).owner is not None
