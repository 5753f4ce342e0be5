"""How many cases are open: counted in Temporal's visibility store, exported as a gauge.

Cases live in Temporal, not in the worker, so the worker asks Temporal every ``interval``
seconds how many case workflows run on its task queue. Several workers of one queue export the
same number: a dashboard takes ``max`` of it.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry, Gauge
from temporalio.client import Client

log = logging.getLogger(__name__)

OPEN_CASES_INTERVAL = 30.0


class OpenCases:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.gauge = Gauge(
            "serviceflow_open_cases", "Running case workflows (cases and reviews) on the task queue.",
            ["task_queue"], registry=registry,
        )  # fmt: skip

    async def count(self, client: Client, task_queue: str) -> int:
        query = f'WorkflowType = "Case" AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'
        counted = await client.count_workflows(query)
        self.gauge.labels(task_queue).set(counted.count)
        return counted.count

    async def keep_counting(
        self, client: Client, task_queue: str, stop: asyncio.Event, interval: float = OPEN_CASES_INTERVAL
    ) -> None:
        """Count now and every ``interval`` seconds until ``stop``; a failed count keeps the last."""
        while not stop.is_set():
            try:
                await self.count(client, task_queue)
            except Exception as exc:  # Temporal unreachable for a moment: the next count repairs it
                log.warning("counting open cases failed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
