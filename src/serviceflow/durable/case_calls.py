"""Small steps of the case workflow (case_flow.py) that hold none of its state: an action through
the carry_out local activity, and an activity's failure as text. Workflow code, passed through the
sandbox with case_flow.py: as deterministic as any workflow code."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from serviceflow.durable import case_options as options
from serviceflow.durable.messages import ActionRequest, ActionResult
from serviceflow.durable.ui_text import action_summary
from serviceflow.model import Action


async def carry_out_locally(request: ActionRequest, action: Action) -> ActionResult:
    """The action through the carry_out local activity, with its retries."""
    result: ActionResult = await workflow.execute_local_activity(
        "carry_out",
        request,
        result_type=ActionResult,
        start_to_close_timeout=options.ACTION_TIMEOUT,
        retry_policy=options.ACTION_RETRY,
        summary=action_summary(action),
    )
    return result


def failure(exc: ActivityError | ApplicationError) -> str:
    """What an activity failed with, as ``Type: message``."""
    cause = exc.cause if isinstance(exc, ActivityError) and exc.cause is not None else exc
    kind = getattr(cause, "type", None) or type(cause).__name__
    message = getattr(cause, "message", None) or str(cause)
    return f"{kind}: {message}"
