"""The reconciler on a real Temporal dev server against the fake Zendesk over HTTP, with no
webhook delivered at all: the sweep alone opens each case, brings it what happened on its
ticket, at the real times, and ends it when the ticket closes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from reconcile_support import ACCOUNT, Desk, case_when, eventually, reconcile, wait_until
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.reconcile import Reconciler
from serviceflow.model import CaseState, TargetStatus, TicketStatus


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_a_ticket_nobody_told_us_about_gets_a_case_that_follows_it_to_closure(
    env: WorkflowEnvironment, desk: Desk, worker: Callable[[Desk], Worker]
) -> None:
    built = worker(desk)
    client = env.client
    async with built:
        tid = desk.customer_ticket("Charged twice", "My card was charged twice.")
        sweeper = await reconcile(client, built)
        state = await case_when(client, tid, lambda s: s.owner is not None, "an owner")
        assert state.owner == str(desk.ann["id"])
        assert state.opened_at == stamp(desk.fake.ticket(tid)["created_at"])  # the real time
        await wait_until(
            lambda: desk.fake.ticket(tid)["assignee_id"] == desk.ann["id"], 30, "the assignment in Zendesk"
        )
        # Ann replies and sets it pending in Zendesk; the webhook is lost.
        desk.fake.update_ticket(
            tid,
            {"status": "pending", "comment": {"body": "Refunded.", "public": True}},
            actor_id=desk.ann["id"],
        )
        replied_at = stamp(desk.fake.ticket(tid)["updated_at"])
        pending = await case_when(client, tid, lambda s: s.ticket.status is TicketStatus.PENDING, "pending")
        assert pending.owner == str(desk.ann["id"])
        (reply,) = [t for t in pending.targets if t.name == "reply"]
        assert reply.status is TargetStatus.MET and reply.met_at == replied_at  # at the reply's real time
        # Casey answers by email; that webhook is lost too.
        desk.fake.update_ticket(
            tid, {"status": "open", "comment": {"body": "Thanks, not yet on my card.", "public": True}},
            actor_id=desk.casey["id"],
        )  # fmt: skip

        def answered(s: CaseState) -> bool:
            return s.ticket.status is TicketStatus.OPEN and any("not yet on my card" in t for t in s.timeline)

        await case_when(client, tid, answered, "the customer's message")
        assert (
            len(
                [
                    e
                    for e in (await case_when(client, tid, answered, "it")).seen_events
                    if e.startswith("zendesk-audit:")
                ]
            )
            >= 3
        )
        desk.fake.update_ticket(tid, {"status": "closed"}, actor_id=desk.ann["id"])
        handle = client.get_workflow_handle(f"zendesk:{ACCOUNT}:{tid}")

        async def ended() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED

        await eventually(ended, 60, "the case to end")
        progress = await sweeper.query(Reconciler.progress)
        assert progress.totals.get("opened") == 1
        assert progress.totals.get("ended", 0) + progress.totals.get("caught_up", 0) >= 1
        assert progress.cursor is not None and progress.cursor.token
        sample = built.metrics.get_sample_value  # type: ignore[attr-defined]
        labels = {"vendor": "zendesk", "account": ACCOUNT}
        assert sample("serviceflow_reconcile_repairs_total", {**labels, "repair": "opened"}) == 1
        # Nothing but the case's own assignment was written to the helpdesk.
        writes = [c for c in desk.fake.calls if c.method != "GET"]
        assert [c.path for c in writes] == [f"/api/v2/tickets/{tid}"], writes
        await sweeper.terminate("done")
        await asyncio.sleep(0)
