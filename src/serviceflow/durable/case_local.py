"""The case workflow's (case_flow.py) two local activities that hold none of its state: the
engine's decision (bounded retries, then the fallback, then the last resort) and the read of the
full ticket. Workflow code, passed through the sandbox with case_flow.py: as deterministic as
any workflow code. Split out of case_flow.py, unchanged: each asks what it asked there, in order.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from serviceflow.durable import case_options as options
from serviceflow.durable.case_calls import failure
from serviceflow.durable.compact import compacted, expanded
from serviceflow.durable.fallback import last_resort
from serviceflow.durable.messages import DecideRequest, DecideResult, TicketRead, TicketReadResult
from serviceflow.durable.ui_text import decide_summary


async def engine_decision(request: DecideRequest, bounded: bool) -> DecideResult:
    """The engine's decision; after DECIDE_ATTEMPTS failures, the fallback's. ``bounded``: the
    run has options.BOUNDED_DECIDE (cases started before the change replay as they ran)."""
    result: DecideResult
    if not bounded:
        result = await workflow.execute_local_activity(
            "decide", request, result_type=DecideResult, start_to_close_timeout=options.DECIDE_TIMEOUT
        )
        return result
    try:
        result = await workflow.execute_local_activity(
            "decide",
            request,
            result_type=DecideResult,
            start_to_close_timeout=options.DECIDE_TIMEOUT,
            retry_policy=options.DECIDE_RETRY,
            summary=decide_summary(request.input),
        )
        return result
    except (ActivityError, ApplicationError) as exc:  # a local activity's failure is the latter
        error = failure(exc)
    workflow.logger.error("the engine could not decide (%s); falling back", error)
    try:
        result = await workflow.execute_local_activity(
            "decide",
            request.model_copy(update={"failure": error}),
            result_type=DecideResult,
            start_to_close_timeout=options.DECIDE_TIMEOUT,
            retry_policy=options.DECIDE_RETRY,
        )
        return result
    except (ActivityError, ApplicationError) as exc:
        workflow.logger.error("the fallback failed too (%s); the input is set aside", failure(exc))
    if request.compact:
        return compacted(last_resort(expanded(request), error), request)
    return last_resort(request, error)


async def read_ticket(vendor: str, account: str, ticket_id: str) -> TicketReadResult:
    """The full ticket from the helpdesk, or how the read failed (``failed: ...``)."""
    try:
        result: TicketReadResult = await workflow.execute_local_activity(
            "fetch_ticket",
            TicketRead(vendor=vendor, account=account, ticket_id=ticket_id),
            result_type=TicketReadResult,
            start_to_close_timeout=options.READ_TIMEOUT,
            schedule_to_close_timeout=options.READ_DEADLINE,
            retry_policy=options.READ_RETRY,
            # No summary: "fetch_ticket" says it, and a summary costs (ui_text.decide_summary).
        )
        return result
    except (ActivityError, ApplicationError) as exc:
        return TicketReadResult(outcome=f"failed: {failure(exc)}"[:500])
