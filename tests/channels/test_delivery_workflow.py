"""Deliveries as the shell runs them, on the time-skipping Temporal test server: one activity per
(notification, channel), so a channel that keeps failing is retried on its own schedule (its
Retry-After, else backoff) while the other channel's delivery is done at once, and a channel that
never recovers ends as a recorded outcome, not a failed workflow."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from channel_support import Waits, breach, channels_for
from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from serviceflow.channels import Delivery, DeliveryOutcome
from serviceflow.channels.fake import FakeMattermost, FakeSlack
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.notifier import (
    MAX_DELIVERY_ATTEMPTS,
    DeliveryRequest,
    NotificationActivities,
    deliver_all,
)


@workflow.defn(name="NotifyAll")
class NotifyAll:
    """Delivers in a task, as a case should, and counts the ticks it kept doing meanwhile."""

    @workflow.run
    async def run(self, requests: list[DeliveryRequest]) -> tuple[list[Delivery], int]:
        task = asyncio.create_task(deliver_all(requests))
        ticks = 0
        while not task.done():
            ticks += 1
            try:
                await workflow.wait_condition(task.done, timeout=timedelta(seconds=5))
            except TimeoutError:  # the case's own timers go on meanwhile
                pass
        return await task, ticks


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


async def _run(env: WorkflowEnvironment, activities: NotificationActivities, requests: list[DeliveryRequest]):  # type: ignore[no-untyped-def]
    queue = f"notify-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[NotifyAll],
        activities=[activities.deliver_notification],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        return await env.client.execute_workflow(
            NotifyAll.run, requests, id=f"notify-{uuid.uuid4()}", task_queue=queue,
            result_type=tuple[list[Delivery], int],
        )  # fmt: skip


async def test_a_failing_channel_is_retried_on_its_own_while_the_other_is_delivered(
    env: WorkflowEnvironment, slack: FakeSlack, mattermost: FakeMattermost, waits: Waits
) -> None:
    channels = channels_for(
        {"slack": {"url": slack.url}, "mattermost": {"url": mattermost.url}}, waits, attempts=1
    )
    slack.fail(503, times=2)
    slack.fail(429, retry_after=600)  # then a Retry-After too long for the worker: the server waits
    requests = [DeliveryRequest(channel=c, notification=breach()) for c in ("slack", "mattermost")]
    started = await env.get_current_time()
    (on_slack, on_mattermost), ticks = await _run(env, NotificationActivities(channels), requests)
    assert await env.get_current_time() - started >= timedelta(
        seconds=10 + 20 + 600
    )  # backoff, then Retry-After
    assert on_mattermost.outcome is DeliveryOutcome.DELIVERED and len(mattermost.accepted) == 1
    assert on_slack.outcome is DeliveryOutcome.DELIVERED and len(slack.messages) == 1
    assert [p.status for p in slack.calls.snapshot()] == [503, 503, 429, 200]
    assert ticks > 1  # the workflow went on while Slack was retried
    # pacing, and a short hold, if any (on a slow machine the attempts are further apart than the
    # pace, and nothing waits in the worker); the server waited the 600 s out
    assert max(waits.waited, default=0.0) <= 30


async def test_a_channel_that_never_recovers_ends_as_a_recorded_outcome(
    env: WorkflowEnvironment, slack: FakeSlack, waits: Waits
) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits, attempts=1)
    slack.fail(500, times=MAX_DELIVERY_ATTEMPTS + 5)
    (delivery,), _ = await _run(
        env, NotificationActivities(channels), [DeliveryRequest(channel="slack", notification=breach())]
    )
    assert delivery.outcome is DeliveryOutcome.RETRYABLE
    assert delivery.detail.startswith(f"gave up after {MAX_DELIVERY_ATTEMPTS} attempts: 500")
    assert len(slack.calls.snapshot()) == MAX_DELIVERY_ATTEMPTS
