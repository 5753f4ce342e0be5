"""The case workflow on a real time-skipping server: timers, escalations, errors, idempotency."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from durable_support import FakeHelpdesk
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
from temporalio.client import Client, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from serviceflow.durable.cases import deliver
from serviceflow.durable.messages import CaseStart, Operation
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.inputs import EventInput, LinkContact, ReassignOwner
from serviceflow.fakes.waiting import skip_time
from serviceflow.model import (
    Actor,
    ActorRole,
    CaseState,
    EventKind,
    Requester,
    TargetStatus,
    Ticket,
    TicketEvent,
)
from serviceflow.policy import load_policy_set

REPO = Path(__file__).resolve().parents[2]


TICKET_IDS = itertools.count(1000)
CURRENT = {"id": "0"}


def new_ticket_id() -> str:
    """Each test's case is a new workflow id: a running case from another test is not reused."""
    CURRENT["id"] = str(next(TICKET_IDS))
    return CURRENT["id"]


def ticket(now, **changes) -> Ticket:  # type: ignore[no-untyped-def]
    return Ticket.model_validate(
        {
            "id": CURRENT["id"], "vendor": "demo", "account": "demo", "subject": "Charged twice",
            "tags": ["billing"], "requester": Requester(id="dana"), "created_at": now,
            "updated_at": now, **changes,
        }
    )  # fmt: skip


def event(kind: str, now, role: str, event_id: str, body: str = "", **changes) -> TicketEvent:  # type: ignore[no-untyped-def]
    return TicketEvent(
        id=event_id, kind=EventKind(kind), time=now, actor=Actor(role=ActorRole(role), id="ann"),
        ticket=ticket(now, **changes), body=body,
    )  # fmt: skip


async def start_case(env: WorkflowEnvironment, queue: str, first: TicketEvent):  # type: ignore[no-untyped-def]
    """Signal-with-start, as the webhook receiver does it (the time-skipping test server knows
    no custom search attributes, so cases are not indexed by requester here)."""
    case_id = await deliver(env.client, first, queue, index_requester=False)
    return env.client.get_workflow_handle(case_id)


QUERY_TIMEOUT = timedelta(seconds=90)


async def state_of(handle) -> CaseState:  # type: ignore[no-untyped-def]
    # Bounded, but longer than the default RPC timeout: right after a skip over days, the worker
    # may still be deciding the timers the skip fired when the query comes (a busy machine).
    return await handle.query(CaseWorkflow.case_state, result_type=CaseState, rpc_timeout=QUERY_TIMEOUT)


async def wait_for_state(handle, check, timeout: float = 30):  # type: ignore[no-untyped-def]
    """The case's state once ``check`` holds (each query waits for a running task to end)."""
    async with asyncio.timeout(timeout):
        while not check(state := await state_of(handle)):
            pass
        return state


async def test_a_missed_promise_escalates_on_its_day_and_not_before(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    office = BusinessCalendar.from_spec(
        "office", load_policy_set([REPO / "policies"]).settings.calendars["office"]
    )
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "e1"))
        await env.client.get_workflow_handle(handle.id).signal(
            "event", event("agent_reply", now, "agent", "e2")
        )
        note = event("internal_note", now, "agent", "e3", body="#promise refund in 5 business days")
        await handle.signal("event", note)
        await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied))
        due = office.add_business_days(now, 5)

        def escalations(applied):  # type: ignore[no-untyped-def]
            return [a for a in applied if a.rule == "refund" and getattr(a, "escalation_level", None)]

        await skip_time(env, due - now - timedelta(minutes=1))
        state = await state_of(handle)
        refund = next(t for t in state.targets if t.name == "refund")
        assert refund.due_at == due
        assert refund.status is TargetStatus.RUNNING
        assert escalations(helpdesk.applied) == []
        await skip_time(env, timedelta(minutes=2))
        await helpdesk.wait_for(lambda applied: len(escalations(applied)) == 1)
        (escalation,) = escalations(helpdesk.applied)
        assert escalation.recipients == ("ann", "lee")
        metric = built_activities(built).metrics.registry.get_sample_value
        assert metric("serviceflow_breaches_total", {"policy": "standard", "rule": "refund"}) == 1
        labels = {"policy": "standard", "rule": "refund", "level": "1"}
        assert metric("serviceflow_escalations_total", labels) == 1
        state = await state_of(handle)
        fired = next(d for d in state.decisions if any(a.key == escalation.key for a in d.actions))
        assert abs(fired.time - due) < timedelta(seconds=1)  # the durable timer fired on time
        assert fired.time.astimezone(ZoneInfo("Europe/Amsterdam")).weekday() < 5
        await handle.terminate("done")  # its later timers must not hold up other tests


async def test_a_rule_error_is_recorded_and_the_case_goes_on(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, write_policies
) -> None:
    folder = write_policies(
        {
            "p.yaml": "apiVersion: serviceflow/v1\nkind: Policy\nname: p\n"
            "owner:\n  - name: desk\n    when: ticket.custom_fields.language == 'de'\n"
            "    from: [group:billing]\n"
        }
    )
    built = worker([folder])
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "x1"))
        await helpdesk.wait_for(lambda applied: any(a.type == "add_internal_note" for a in applied))
        state = await state_of(handle)
        assert "p/desk: no such member in mapping: 'language'" in state.decisions[-1].errors[0]
        await handle.signal("event", event("customer_message", now, "customer", "x2"))
        operation = Operation(input=ReassignOwner(agent="ann", reason="speaks German", by="lee"))
        assert await handle.execute_update(CaseWorkflow.operate, operation) == "queued"
        await helpdesk.wait_for(lambda applied: any(getattr(a, "agent", None) == "ann" for a in applied))
        state = await state_of(handle)
        assert "x2" in state.seen_events and state.owner == "ann"
        await handle.terminate("done")  # its later timers must not hold up other tests


async def test_an_action_is_carried_out_once_when_its_activity_retries(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    helpdesk.fail_first_attempt_after_writing = True
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "r1"))
        await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied))
        (assign,) = [a for a in helpdesk.applied if a.type == "assign_owner"]
        await helpdesk.wait_for(lambda applied: helpdesk.attempts.get(assign.key, 0) >= 2)
        assert [a.key for a in helpdesk.applied].count(assign.key) == 1
        await handle.terminate("done")


async def test_a_long_case_continues_as_new_and_remembers_everything(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        first = event("created", now, "customer", "n0")
        handle = await env.client.start_workflow(
            CaseWorkflow.run,
            CaseStart(history_limit=5),
            id=first.ticket.key,
            task_queue=built.task_queue,
            start_signal="event",
            start_signal_args=[first],
        )
        for n in range(1, 8):
            kind = "customer_message" if n % 2 else "agent_reply"
            role = "customer" if n % 2 else "agent"
            await handle.signal("event", event(kind, now, role, f"n{n}"))
        await helpdesk.wait_for(lambda applied: True)
        operation = Operation(input=ReassignOwner(agent="lee", reason="last step", by="max"))
        latest = env.client.get_workflow_handle(handle.id)
        await latest.execute_update(CaseWorkflow.operate, operation)
        await helpdesk.wait_for(lambda applied: any(getattr(a, "agent", None) == "lee" for a in applied))
        state = await state_of(latest)
        assert [f"n{n}" for n in range(8)] == [e for e in state.seen_events if e.startswith("n")]
        description = await latest.describe()
        assert description.run_id != handle.result_run_id  # it continued as new at least once
        await latest.terminate("done")


async def ended_case(env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk, event_id: str):  # type: ignore[no-untyped-def]
    """A case started, owned and ended as a continue-as-new ends a run, with no worker left:
    its state (which the next run carries), its task queue and the time it started at."""
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", event_id))
        await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied))
        carried = await state_of(handle)
        await handle.terminate("continued as new, by hand")
    return carried, built.task_queue, now


async def test_an_update_in_a_continued_runs_first_task_is_taken(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    """A run a continue-as-new started carries the case, but an update its first activation
    brings is validated before the run takes the state over: it was refused ("the case has
    not started yet"), seen once in the test above. Here the run is started as a continue-as-new
    starts it, and the update sent before a worker takes its first task."""
    carried, queue, now = await ended_case(env, worker, helpdesk, "c1")
    continued = await env.client.start_workflow(
        CaseWorkflow.run, CaseStart(state=carried), id=carried.case_id, task_queue=queue
    )
    operation = Operation(input=ReassignOwner(agent="lee", reason="first thing", by="max"))
    # Sent before the worker starts: the server holds it for the run's first task.
    accepting = asyncio.create_task(
        continued.start_update(
            CaseWorkflow.operate, operation, id="first", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    )
    await update_known(env.client, continued.id, "first")
    async with worker(queue=queue):
        assert await (await accepting).result() == "queued"  # refused before: "has not started yet"
        await helpdesk.wait_for(lambda applied: any(getattr(a, "agent", None) == "lee" for a in applied))
        assert (await state_of(continued)).owner == "lee"
        await continued.terminate("done")


async def test_inputs_carried_over_are_decided_before_those_the_new_run_brings(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    """What a run left undecided (``pending``) came before what reaches the next run: the new
    run's first activation applies its signal and update first, and they were decided first."""
    carried, queue, now = await ended_case(env, worker, helpdesk, "o1")
    pending = [EventInput(event=event("customer_message", now, "customer", "carried-first"))]
    continued = await env.client.start_workflow(
        CaseWorkflow.run,
        CaseStart(state=carried, pending=pending),
        id=carried.case_id,
        task_queue=queue,
        start_signal="event",
        start_signal_args=[event("customer_message", now, "customer", "signalled-later")],
    )
    async with worker(queue=queue):
        state = await wait_for_state(continued, lambda s: len(s.decisions) >= len(carried.decisions) + 2)
        decided = [d.input for d in state.decisions[len(carried.decisions) :]]
        assert [i.split()[-1] for i in decided] == ["carried-first", "signalled-later"], decided
        await continued.terminate("done")


async def update_known(client: Client, workflow_id: str, update_id: str) -> None:
    """Once the server holds the update: polling for it answers, or waits, instead of NOT_FOUND
    (the SDK's own poll hides which; the raw call tells)."""
    request = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=workflow_id), update_id=update_id
        ),
        identity=client.identity,
        wait_policy=WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
        ),
    )
    async with asyncio.timeout(30):
        while True:
            try:
                await client.workflow_service.poll_workflow_execution_update(
                    request, timeout=timedelta(seconds=0.3)
                )
                return
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    return  # known, and waiting for a worker to accept it


async def test_a_link_signal_joins_a_repeat_contact_to_the_case(
    env: WorkflowEnvironment, worker, helpdesk: FakeHelpdesk
) -> None:
    built = worker()
    async with built:
        now = await env.get_current_time()
        new_ticket_id()
        handle = await start_case(env, built.task_queue, event("created", now, "customer", "l1"))
        await helpdesk.wait_for(lambda applied: any(a.type == "assign_owner" for a in applied))
        await handle.signal("link", LinkContact(ticket_key="demo:demo:other", time=now))
        operation = Operation(input=ReassignOwner(agent="lee", reason="after the link", by="max"))
        await handle.execute_update(CaseWorkflow.operate, operation)
        await helpdesk.wait_for(lambda applied: any(getattr(a, "agent", None) == "lee" for a in applied))
        state = await state_of(handle)
        assert state.linked_tickets == ("demo:demo:other",)
        await handle.terminate("done")


def built_activities(built):  # type: ignore[no-untyped-def]
    """The CaseActivities instance a test worker runs (to read its metrics)."""
    return built.activities
