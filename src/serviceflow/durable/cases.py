"""Talking to case workflows from outside: deliver events (signal-with-start), read cases."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus

from serviceflow.durable.messages import CaseStart
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import CaseState, TicketEvent


async def deliver(client: Client, event: TicketEvent, task_queue: str) -> str:
    """Signal the event to its case, starting the case if needed; returns the case id.

    The case id is ``{vendor}:{account}:{ticket_id}``: one workflow per ticket.
    """
    await client.start_workflow(
        CaseWorkflow.run,
        CaseStart(),
        id=event.ticket.key,
        task_queue=task_queue,
        start_signal="event",
        start_signal_args=[event],
    )
    return event.ticket.key


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    status: str
    state: CaseState | None


async def list_cases(client: Client, *, include_closed: bool = False, limit: int = 200) -> list[CaseSummary]:
    query = 'WorkflowType = "Case"' + ("" if include_closed else ' AND ExecutionStatus = "Running"')
    found = []
    async for execution in client.list_workflows(query, limit=limit):
        state = None
        if execution.status == WorkflowExecutionStatus.RUNNING:
            state = await read_case(client, execution.id)
        status = execution.status.name.lower() if execution.status else "unknown"
        found.append(CaseSummary(execution.id, status, state))
    return found


async def read_case(client: Client, case_id: str) -> CaseState | None:
    handle = client.get_workflow_handle(case_id)
    return await handle.query(CaseWorkflow.case_state, result_type=CaseState)
