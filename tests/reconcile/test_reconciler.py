"""The reconciler on a real Temporal dev server against the fake Zendesk over HTTP, with no
webhook delivered at all: the sweep alone opens each case, brings it what happened on its
ticket, at the real times, and ends it when the ticket closes."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from reconcile_support import ACCOUNT, LAG, Desk, case_when, eventually, reconcile, wait_until
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from serviceflow.durable.reconcile import Reconciler, reconciler_id
from serviceflow.durable.reconcile_messages import ReconcileStart
from serviceflow.model import CaseState, TargetStatus, TicketStatus

HISTORIES = Path(__file__).parent / "histories"


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
        history = await sweeper.fetch_history()
        replayed = await Replayer(
            workflows=[Reconciler], data_converter=pydantic_data_converter
        ).replay_workflow(history, raise_on_replay_failure=True)
        assert replayed.replay_failure is None
        if os.environ.get("SERVICEFLOW_RECORD_HISTORIES"):  # re-record the committed fixture on purpose
            (HISTORIES / "reconciler.json").write_text(history.to_json())
        await sweeper.terminate("done")


async def _cli(env: WorkflowEnvironment, *arguments: str) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    environment["SERVICEFLOW_TEMPORAL_ADDRESS"] = env.client.service_client.config.target_host
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "serviceflow", "reconcile", *arguments,
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_reconcile_sweeps_now_or_says_no_reconciler_runs(
    env: WorkflowEnvironment, desk: Desk, worker: Callable[[Desk], Worker]
) -> None:
    code, out = await _cli(env, "zendesk:nowhere")
    assert code == 1 and "no reconciler runs for zendesk:nowhere" in out, out
    built = worker(desk)
    async with built:
        handle = await env.client.start_workflow(
            Reconciler.run,
            ReconcileStart(vendor="zendesk", account=ACCOUNT, interval_seconds=3600, settle_seconds=0),
            id=reconciler_id("zendesk", ACCOUNT),
            task_queue=built.task_queue,
        )
        await eventually(lambda: _swept(handle, 1), 30, "the first sweep")
        tid = desk.customer_ticket("Nobody told us")
        # The export leaves out the newest LAG seconds (as Zendesk leaves out the last minute):
        # ask for the sweep once the ticket is old enough to be listed, or it waits an hour.
        listed_from = desk.fake.ticket(tid)["generated_timestamp"] + LAG
        await wait_until(lambda: time.time() > listed_from, 30, "the ticket to be old enough to list")
        code, out = await _cli(env, f"zendesk:{ACCOUNT}")
        assert code == 0 and "sweeping now" in out, out
        await case_when(env.client, tid, lambda s: s.owner is not None, "an owner after the sweep asked for")
        await handle.terminate("done")


async def _swept(handle: Any, sweeps: int) -> bool:
    return bool((await handle.query(Reconciler.progress)).sweeps >= sweeps)
