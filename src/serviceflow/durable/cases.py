"""Talking to case workflows from outside: deliver events (signal-with-start), read cases."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.durable.messages import CaseStart
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import CaseState, Ticket, TicketEvent

log = logging.getLogger(__name__)

#: A keyword search attribute on every case: ``{vendor}:{account}:{requester id}``. It finds a
#: customer's open cases, so a repeat contact joins its case. Register it once per namespace:
#: ``temporal operator search-attribute create --name ServiceflowRequester --type Keyword``
#: (``serviceflow dev`` does it for its dev server).
REQUESTER = SearchAttributeKey.for_keyword("ServiceflowRequester")


def requester_key(ticket: Ticket) -> str:
    return f"{ticket.vendor}:{ticket.account}:{ticket.requester.id}"


async def deliver(
    client: Client, event: TicketEvent, task_queue: str, *, index_requester: bool = True
) -> str:
    """Signal the event to its case, starting the case if needed; returns the case id.

    The case id is ``{vendor}:{account}:{ticket_id}``: one workflow per ticket. A new case is
    indexed by its requester (``index_requester``), which needs the search attribute above.
    """
    attributes = (
        TypedSearchAttributes([SearchAttributePair(REQUESTER, requester_key(event.ticket))])
        if index_requester and not _unindexed.get(id(client))
        else None
    )
    try:
        await _signal_with_start(client, event, task_queue, attributes)
    except RPCError as exc:
        if attributes is None or exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        # The namespace lacks the search attribute: cases still run, but repeat contacts
        # cannot find their case until it is registered (see REQUESTER).
        log.warning(
            "ServiceflowRequester is not a search attribute here (%s); "
            "repeat contacts will not join their cases",
            exc.message,
        )
        _unindexed[id(client)] = True
        await _signal_with_start(client, event, task_queue, None)
    return event.ticket.key


_unindexed: dict[int, bool] = {}


async def _signal_with_start(
    client: Client, event: TicketEvent, task_queue: str, attributes: TypedSearchAttributes | None
) -> None:
    await client.start_workflow(
        CaseWorkflow.run,
        CaseStart(),
        id=event.ticket.key,
        task_queue=task_queue,
        start_signal="event",
        start_signal_args=[event],
        search_attributes=attributes,
    )


async def open_cases_of(client: Client, ticket: Ticket, *, limit: int = 20) -> list[CaseState]:
    """The requester's other running cases, newest first, as their workflows report them."""
    query = (
        f'WorkflowType = "Case" AND ExecutionStatus = "Running" '
        f'AND ServiceflowRequester = "{requester_key(ticket)}"'
    )
    found = []
    async for execution in client.list_workflows(query, limit=limit):
        if execution.id == ticket.key:
            continue
        state = await read_case(client, execution.id)
        if state is not None:
            found.append(state)
    return found


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
    return await handle.query(CaseWorkflow.case_state)
