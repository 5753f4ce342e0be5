"""A requester's other open cases, for a repeat contact's first decision (and the quarantine
watcher's triage): listed in Temporal's visibility by the requester search attribute, read by
query, the cases started before the own one only."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.durable.cases import REQUESTER_ATTRIBUTE, read_case, requester_key
from serviceflow.model import CaseState, Ticket

log = logging.getLogger(__name__)


async def open_cases_of(client: Client, ticket: Ticket, *, limit: int = 20) -> list[CaseState]:
    """The requester's other running cases, the first started first, as their workflows
    report them (the engine joins the oldest by ``opened_at``; of equal ones, the first contact).

    When ``ticket``'s own case runs, only the cases started before it are read: a case started
    after it is a later contact, which joins this one, never the other way round. That is also
    what keeps cases of one requester that start together from waiting on each other. A query
    waits while its workflow's task is running, and a task that runs a local activity (the
    decide that called this) answers only when it completes or, at 80 % of the task timeout,
    heartbeats (temporalio/temporal#12174, temporalio/features#424): two first decisions that
    queried each other waited 8 s each. The oldest case now queries none, the next waits only
    for the oldest's decision, and so on. The own case's start is read from the listing, or,
    when visibility has not listed it yet or ``limit`` later cases hid it, from Temporal
    (describe), and then the cases started before it are listed. No own case (a message before
    its review case starts): every other case is read, as before.
    """
    key = requester_key(ticket)
    if '"' in key or "\\" in key:  # the model refuses such ids; never build a query from one
        return []
    query = f'WorkflowType = "Case" AND ExecutionStatus = "Running" AND {REQUESTER_ATTRIBUTE} = "{key}"'
    listed = [execution async for execution in client.list_workflows(query, limit=limit)]
    own = next((execution.start_time for execution in listed if execution.id == ticket.key), None)
    if own is None:
        own = await _started_at(client, ticket.key)
        if own is None:
            listed.sort(key=_started)
            return [state for e in listed if (state := await read_case(client, e.id)) is not None]
        before = f'{query} AND StartTime < "{own.isoformat()}"'  # own: to the microsecond
        listed = [execution async for execution in client.list_workflows(before, limit=limit)]
    older = sorted((e for e in listed if _started(e) < (own, ticket.key)), key=_started)
    found: list[CaseState] = []
    try:  # one budget for them all: the decide asking has 30 s (case_options.DECIDE_TIMEOUT)
        async with asyncio.timeout(UNDECIDED_WAIT_SECONDS):
            for execution in older:
                state = await _decided_case(client, execution.id)
                if state is not None:
                    found.append(state)
    except TimeoutError:
        log.info(
            "the requester's earlier cases had not all decided within %.0f s; %d of %d read",
            UNDECIDED_WAIT_SECONDS, len(found), len(older),
        )  # fmt: skip
    return found


def _started(execution: WorkflowExecution) -> tuple[datetime, str]:
    """The order cases of one requester started in (ties by id: the same for every reader)."""
    return execution.start_time, execution.id


async def _started_at(client: Client, case_id: str) -> datetime | None:
    """When the case's running workflow started; None if it has none."""
    try:
        description = await client.get_workflow_handle(case_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        return None
    return description.start_time


#: How often an older case that has not decided yet is asked again (each answer waits for its
#: next workflow task to complete), and how long the older cases are waited for in all: a first
#: task that runs long heartbeats after 8 s, and the decide asking has 30 s.
UNDECIDED_ASKS = 3
UNDECIDED_WAIT_SECONDS = 10.0


async def _decided_case(client: Client, case_id: str) -> CaseState | None:
    """An older case's state once it made its first decision. A query that reaches a case
    before its first task started rides on that task and is answered before the task's decide
    (measured on the dev server: no state, then the state with its owner when asked again);
    asked again while the task runs, it waits for the task to complete."""
    for _ in range(UNDECIDED_ASKS):
        state = await read_case(client, case_id)
        if state is not None:
            return state
    return None
