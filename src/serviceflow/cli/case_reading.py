"""Reading cases for a person: every case listed even when some cannot answer.

A case's state comes from a query to its workflow, which a worker on the case's task queue
answers. Cases whose queue no worker polls (an earlier demo run's, a worker that is down) cannot
answer; asked anyway, Temporal fails the query ("no poller seen for task queue recently") after
a wait. So the pollers of each queue are looked up once, cases of queues with none are listed
without a state and with the reason, and every query has a short timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.cli.boundary import CliError
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import QUARANTINE_PREFIX, CaseState

QUERY_TIMEOUT = timedelta(seconds=5)
#: A worker long-polls its queue without pause; one not seen for this long is gone.
POLLER_SEEN_WITHIN = timedelta(minutes=2)
CONCURRENT_QUERIES = 8


@dataclass(frozen=True)
class CaseRow:
    """One case as listed: what Temporal knows of it, its state when it could be read, or why not."""

    case_id: str
    status: str
    task_queue: str
    started_at: datetime | None
    state: CaseState | None
    problem: str | None = None

    @property
    def kind(self) -> str:
        return "review" if QUARANTINE_PREFIX in self.case_id else "ticket"


async def served_queues(client: Client, queues: set[str]) -> dict[str, bool]:
    """For each task queue: does a worker poll it now?"""
    now = datetime.now(UTC)
    answer = {}
    for queue in sorted(queues):
        request = DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        response = await client.workflow_service.describe_task_queue(request)
        answer[queue] = any(
            now - poller.last_access_time.ToDatetime(tzinfo=UTC) < POLLER_SEEN_WITHIN
            for poller in response.pollers
        )
    return answer


async def query_state(client: Client, case_id: str) -> CaseState | None:
    """The case's state by query, within QUERY_TIMEOUT.

    Raises:
        CliError: Temporal has no such case, or no worker answered in time.
    """
    handle = client.get_workflow_handle(case_id)
    try:
        state: CaseState | None = await handle.query(CaseWorkflow.case_state, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no case {case_id} in Temporal (ids are vendor:account:ticket)") from None
        raise CliError(f"case {case_id} did not answer: {_worded(exc)}") from None
    except WorkflowQueryFailedError as exc:
        raise CliError(f"case {case_id} could not be read: {exc}") from None
    return state


def _worded(exc: RPCError) -> str:
    if "no poller" in exc.message:
        return "no worker serves its task queue (start `serviceflow worker` on it)"
    if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return f"no worker answered within {QUERY_TIMEOUT.seconds} s"
    return exc.message


async def list_rows(client: Client, *, include_closed: bool, limit: int = 200) -> list[CaseRow]:
    query = 'WorkflowType = "Case"' + ("" if include_closed else ' AND ExecutionStatus = "Running"')
    executions: list[WorkflowExecution] = [e async for e in client.list_workflows(query, limit=limit)]
    running = [e for e in executions if e.status == WorkflowExecutionStatus.RUNNING]
    served = await served_queues(client, {e.task_queue for e in running if e.task_queue})
    gate = asyncio.Semaphore(CONCURRENT_QUERIES)

    async def row(execution: WorkflowExecution) -> CaseRow:
        status = execution.status.name.lower() if execution.status else "unknown"
        queue = execution.task_queue or ""
        state, problem = None, None
        if execution.status == WorkflowExecutionStatus.RUNNING:
            if not served.get(queue):
                problem = f"no worker serves task queue {queue}"
            else:
                async with gate:
                    try:
                        state = await query_state(client, execution.id)
                    except CliError as exc:
                        problem = str(exc)
        return CaseRow(execution.id, status, queue, execution.start_time, state, problem)

    return list(await asyncio.gather(*(row(e) for e in executions)))


async def show_row(client: Client, case_id: str) -> CaseRow:
    """One case, or a CliError that says why it cannot be shown."""
    try:
        description = await client.get_workflow_handle(case_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no case {case_id} in Temporal (ids are vendor:account:ticket)") from None
        raise
    queue = description.task_queue or ""
    status = description.status.name.lower() if description.status else "unknown"
    if description.status == WorkflowExecutionStatus.RUNNING:
        served = await served_queues(client, {queue})
        if not served.get(queue):
            raise CliError(
                f"case {case_id} is running on task queue {queue}, which no worker serves: "
                f"start `serviceflow worker` with SERVICEFLOW_TASK_QUEUE={queue} to read it"
            )
    state = await query_state(client, case_id)
    return CaseRow(case_id, status, queue, description.start_time, state)
