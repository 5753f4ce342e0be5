"""The Temporal SDK's DEBUG lines say what happened, never with what data: an activity's result
(a ticket read, with its requester's email) must not reach the log."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from lab_support import logs_captured
from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.binaries import temporal_test_server

SECRET = "jane.customer@example.com wrote: my card number is 4242"


@activity.defn
async def read_the_ticket() -> str:
    activity.heartbeat(SECRET)
    return SECRET


@workflow.defn(sandboxed=False)
class ReadsTheTicket:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(read_the_ticket, start_to_close_timeout=timedelta(seconds=30))


@pytest.fixture
def debug_lines() -> Iterator[io.StringIO]:
    with logs_captured("text", "DEBUG") as stream:
        yield stream


async def test_activity_results_and_heartbeats_are_withheld(debug_lines: io.StringIO) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(temporal_test_server()))
    try:
        queue = f"withheld-{uuid.uuid4()}"
        async with Worker(
            env.client, task_queue=queue, workflows=[ReadsTheTicket], activities=[read_the_ticket]
        ):
            result = await env.client.execute_workflow(ReadsTheTicket.run, id=queue, task_queue=queue)
    finally:
        await env.shutdown()
    assert result == SECRET  # the data went through; only the log withholds it
    text = debug_lines.getvalue()
    assert "Completing activity with completion: <ActivityTaskCompletion withheld>" in text
    assert "Recording heartbeat with details <" in text
    assert "4242" not in text and "jane.customer" not in text


def test_mapping_arguments_and_our_own_lines(debug_lines: io.StringIO) -> None:
    logging.getLogger("temporalio.worker").debug(
        "details %(d)s of %(id)s", {"d": {"email": SECRET}, "id": "run-1"}
    )
    logging.getLogger("serviceflow.durable").debug("case %s", "zendesk:acme:1")
    lines = debug_lines.getvalue().splitlines()
    assert lines[0].endswith("details <dict withheld> of run-1")
    assert lines[1].endswith("case zendesk:acme:1")
