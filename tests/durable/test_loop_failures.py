"""The long-running loops (the quarantine watcher, the reconciler) are never failed by a value they
cannot read: a result that does not validate fails the workflow task, which the worker retries,
and the run stays open with everything it carried, for a fixed worker to go on with.

This is why neither definition sets ``failure_exception_types=[pydantic.ValidationError]``:
with it, temporalio (sdk-python PR #882, merged 2025-06; 1.35.0 here) raises a converter's
ValidationError unwrapped, and "exceptions that, if a workflow-thrown exception extends, will
cause the workflow/update to fail instead of suspending the workflow via task failure"
(``workflow.defn``'s docstring) then covers the decoding of every activity result and of every
start after continue-as-new, not only a hand-built first start: one bad listing would end a
watcher for good, with what it knows. (Set on both, this test fails: each run is failed.)

A start out of range is another matter: built by hand (``temporal workflow start`` with
``interval_seconds: 1e30``), it would fail its first task for ever, and the worker's own start
keeps a running loop, so the account's loop stays stuck. It decodes without the bounds and the run
checks them first (``intervals.checked_start``): the run fails at once, naming the field.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from durable_support import eventually
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.intervals import OUT_OF_RANGE
from serviceflow.durable.messages import WatchStart
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.reconcile import Reconciler
from serviceflow.durable.reconcile_messages import ReconcileStart


@activity.defn(name="list_quarantined")
async def list_quarantined_wrongly(vendor: str, account: str) -> dict[str, Any]:
    return {"messages": "not a list"}  # what a buggy or newer activity could answer


@activity.defn(name="reconcile_page")
async def reconcile_page_wrongly(page: dict[str, Any]) -> dict[str, Any]:
    return {"more": "not a flag"}


async def _task_failure(handle: WorkflowHandle[Any, Any]) -> Failure:
    async def failed() -> Failure | None:
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes.failure
        return None

    found: Failure = await eventually(failed, 20, "the workflow task's failure")
    return found


@pytest.mark.parametrize(
    ("loop", "start", "wrong", "model"),
    [
        (
            QuarantineWatcher,
            WatchStart(vendor="demo", account="demo"),
            list_quarantined_wrongly,
            "QuarantineListing",
        ),
        (Reconciler, ReconcileStart(vendor="demo", account="demo"), reconcile_page_wrongly, "SweepResult"),
    ],
    ids=["quarantine-watcher", "reconciler"],
)
async def test_a_result_the_loop_cannot_read_fails_its_task_not_the_run(
    env: WorkflowEnvironment, loop: type, start: Any, wrong: Any, model: str
) -> None:
    queue = f"loops-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[loop], activities=[wrong]):
        handle = await env.client.start_workflow(loop.run, start, id=f"{queue}-run", task_queue=queue)
        failure = await _task_failure(handle)
        assert failure.message == "Failed decoding arguments"
        assert failure.cause.message.startswith(f"1 validation error for {model}")
        assert failure.cause.application_failure_info.type == "ValidationError"
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
        await handle.terminate("done")


@pytest.mark.parametrize(
    ("loop", "start", "fields"),
    [
        (QuarantineWatcher, {"interval_seconds": 1e30}, ["interval_seconds"]),
        (
            Reconciler,
            {"lookback_seconds": 1e12, "settle_seconds": -5},
            ["lookback_seconds", "settle_seconds"],
        ),
        (Reconciler, {"interval_seconds": 0.001}, ["interval_seconds"]),
        (Reconciler, {"deferred": [str(n) for n in range(1_001)]}, ["deferred"]),
    ],
    ids=["watcher-interval", "reconciler-lookback-settle", "reconciler-interval", "reconciler-deferred"],
)
async def test_a_start_out_of_range_fails_the_run_naming_the_field(
    env: WorkflowEnvironment, loop: type, start: dict[str, Any], fields: list[str]
) -> None:
    queue = f"loops-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[loop]):
        handle = await env.client.start_workflow(
            loop.__name__,  # the workflow's name
            {"vendor": "demo", "account": "demo", **start},  # as `temporal workflow start` sends it
            id=f"{queue}-run",
            task_queue=queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), 30)  # a stuck run would time out here
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == OUT_OF_RANGE and cause.non_retryable
    for field in fields:
        assert field in cause.message
    assert "1e+30" not in cause.message and "1e+12" not in cause.message  # never the value
    assert (await handle.describe()).status is WorkflowExecutionStatus.FAILED
