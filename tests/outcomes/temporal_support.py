"""A real time-skipping Temporal test server and a worker that records outcomes in a real store.

Cases are on the built-in ``demo`` helpdesk, whose actions go to a JSON-lines log in a temporary
folder (``SERVICEFLOW_DEMO_LOG``)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from outcomes_support import CONTEXT, POLICY, ticket
from prometheus_client import CollectorRegistry
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.cases import deliver
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import Actor, ActorRole, EventKind, TicketEvent
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.store import OutcomeStore

TICKETS = itertools.count(1000)


def build_worker(
    client: Client, policies: Path, store: OutcomeStore, *, shadow: bool = False, in_decide: bool = True
) -> tuple[Worker, OutcomeActivities]:
    """in_decide=False: the decide activity has no store (as on a worker without it), so every
    decision's outcomes go to the record_outcomes local activity (the fallback)."""
    cases = CaseActivities(PolicyStore([policies]), CONTEXT.roster)
    outcomes = OutcomeActivities(store, shadow=shadow, registry=CollectorRegistry(), backoff=0.01)
    queue = f"outcomes-{uuid.uuid4()}"
    activities = worker_activities(cases, client, queue, outcomes, index_requester=False)
    if not in_decide:
        cases.outcomes = None
    worker = Worker(client, task_queue=queue, workflows=[CaseWorkflow], activities=activities)
    return worker, outcomes


def policies_in(write: Callable[..., Path]) -> Path:
    return write({"simple.yaml": POLICY})


class Case:
    """One ticket's case, driven by events as the receiver would deliver them."""

    def __init__(self, client: Client, queue: str) -> None:
        self.client, self.queue = client, queue
        self.id = str(next(TICKETS))
        self.handle: WorkflowHandle[CaseWorkflow, object] | None = None
        self.opened: datetime | None = None

    def event(self, kind: str, at: datetime, body: str = "", **changes: object) -> TicketEvent:
        self.opened = self.opened or at
        role = ActorRole.CUSTOMER if kind in ("created", "customer_message") else ActorRole.AGENT
        if kind != "created":
            changes.setdefault("assignee", "cat")
        return TicketEvent(
            id=f"{self.id}-{kind}-{at.timestamp()}",
            kind=EventKind(kind),
            time=at,
            actor=Actor(role=role, id="cat" if role is ActorRole.AGENT else "c1"),
            ticket=ticket(at, id=self.id, created_at=self.opened, **changes),
            body=body,
        )

    async def send(self, kind: str, at: datetime, body: str = "", **changes: object) -> None:
        case_id = await deliver(
            self.client, self.event(kind, at, body, **changes), self.queue, index_requester=False
        )
        self.handle = self.client.get_workflow_handle(case_id)
