"""History size and Temporal Cloud actions per ticket lifetime, on the time-skipping test server.

Tickets from bench_engine's workload (created, replies, notes, customer messages, a pending/open
round trip, a promise, solved: up to 9 events each) live their whole lives as serviceflow cases
with the shipped policies and journeys (policies/, workflows/): each event is signalled at its
time (signal-with-start), time is skipped between events so that the case's own timers (at-risk
warnings, breaches, promises, stages) fire as they would, and after the last event time is skipped
30 days. Then each case's history is read and counted:

- events and bytes of history (what the server stores per ticket);
- **billable actions**, counted as Temporal Cloud counts them (https://docs.temporal.io/cloud/
  actions, from temporalio/documentation docs/evaluate/cloud/actions.mdx): a signal-with-start is
  one action whether or not it starts the workflow; every other signal one; every timer started
  one; all the local activities of one workflow task one (so: each completed workflow task that
  recorded a marker); every activity scheduled one; every search-attribute upsert one, except
  the ``TemporalChangeVersion`` upsert that ``workflow.patched`` makes (exempt); a
  continue-as-new one. Queries are actions too: the decision on a new ticket queries each of the
  requester's other open cases (none here: every requester is new).

Run: .venv/bin/python benchmarks/bench_history.py [--tickets 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import REPO, ROSTER, workload  # noqa: E402
from bench_helpdesk import bench_activities, register_helpdesk  # noqa: E402
from machine import describe  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from serviceflow.durable.activities import CaseActivities  # noqa: E402
from serviceflow.durable.binaries import temporal_test_server  # noqa: E402
from serviceflow.durable.cases import deliver  # noqa: E402
from serviceflow.durable.policy_store import PolicyStore  # noqa: E402
from serviceflow.durable.workflows import CaseWorkflow  # noqa: E402
from serviceflow.engine.inputs import EventInput  # noqa: E402
from serviceflow.model import TicketEvent  # noqa: E402

E = EventType


def billable_actions(history: WorkflowHistory) -> Counter[str]:
    """The history's billable actions by kind (see the module docstring for the rules)."""
    actions: Counter[str] = Counter()
    marker_tasks: set[int] = set()
    for event in history.events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            actions["signal (the first with its start)"] += 1
        elif kind == E.EVENT_TYPE_TIMER_STARTED:
            actions["timer started"] += 1
        elif kind == E.EVENT_TYPE_MARKER_RECORDED:
            marker_tasks.add(event.marker_recorded_event_attributes.workflow_task_completed_event_id)
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            actions["activity scheduled"] += 1
        elif kind == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if set(fields) - {"TemporalChangeVersion"}:
                actions["search attributes upserted"] += 1
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            actions["continue-as-new"] += 1
        elif kind == E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            actions["signal to another case"] += 1
    if marker_tasks:
        actions["workflow tasks with local activities"] = len(marker_tasks)
    return actions


async def settled(client: Client, workflow_id: str, timeout: float = 30) -> None:
    """Until the case has no workflow task pending (its last input is decided)."""
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = await handle.describe()
        if description.raw_description.pending_workflow_task.ByteSize() == 0:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{workflow_id} still has a workflow task pending after {timeout} s")


def shifted(events: list[TicketEvent], by: Callable[[object], object]) -> list[TicketEvent]:
    return [
        event.model_copy(
            update={
                "time": by(event.time),
                "ticket": event.ticket.model_copy(
                    update={
                        "vendor": "bench",  # carried out by the benchmark's helpdesk below
                        "created_at": by(event.ticket.created_at),
                        "updated_at": by(event.ticket.updated_at),
                    }
                ),
            }
        )
        for event in events
    ]


async def main(tickets: int) -> None:
    lives: dict[str, list[TicketEvent]] = {}
    for ticket_id, engine_input, _ in workload(tickets):
        if isinstance(engine_input, EventInput):
            lives.setdefault(ticket_id, []).append(engine_input.event)
    register_helpdesk("bench", lambda ticket_id, action: None)  # every action done at once
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        queue = f"history-{uuid.uuid4()}"
        activities = CaseActivities(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
        folder = Path(tempfile.mkdtemp(prefix="bench-history-"))  # the outcome store
        worker = Worker(
            env.client, task_queue=queue, workflows=[CaseWorkflow],
            activities=bench_activities(activities, env.client, queue, folder),
        )  # fmt: skip
        totals: list[Counter[str]] = []
        sizes: list[tuple[int, int]] = []
        closed = 0
        cpu = time.process_time()
        async with worker:
            for life in lives.values():
                now = await env.get_current_time()
                gap = now - life[0].time
                life = shifted(life, lambda t, gap=gap: t + gap)  # type: ignore[operator,misc]
                for event in life:
                    ahead = event.time - await env.get_current_time()
                    if ahead.total_seconds() > 0:
                        await env.sleep(ahead)
                    await deliver(env.client, event, queue, index_requester=False)
                    await settled(env.client, event.ticket.key)
                await env.sleep(60 * 60 * 24 * 30)
                await settled(env.client, life[0].ticket.key)
                history = await env.client.get_workflow_handle(life[0].ticket.key).fetch_history()
                totals.append(billable_actions(history))
                sizes.append((len(history.events), sum(e.ByteSize() for e in history.events)))
                closed += history.events[-1].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
        cpu = time.process_time() - cpu
        print(f"# bench_history - {describe()}")
        count = sum(len(v) for v in lives.values())
        print(
            f"{len(lives)} tickets from bench_engine's workload, {count} events in all, shipped policies "
            f"and journeys, time-skipping test server; {closed} cases closed when their ticket was solved"
        )
        events = [len(v) for v in lives.values()]
        print(
            f"per ticket: {statistics.mean(events):.1f} ticket events; history "
            f"{statistics.mean(s[0] for s in sizes):.0f} events (max {max(s[0] for s in sizes)}), "
            f"{statistics.mean(s[1] for s in sizes) / 1024:.1f} KiB "
            f"(max {max(s[1] for s in sizes) / 1024:.1f})"
        )
        tasks = sum(total["workflow tasks with local activities"] for total in totals)
        print(
            f"worker and client CPU per ticket lifetime (this process, the cases cached): "
            f"{cpu / len(lives) * 1000:.0f} ms, {cpu / max(1, tasks) * 1000:.1f} ms per workflow task"
        )
        kinds = sorted({kind for total in totals for kind in total})
        per_ticket = {kind: statistics.mean(total[kind] for total in totals) for kind in kinds}
        overall = sum(per_ticket.values())
        print(
            f"billable actions per ticket lifetime: {overall:.1f} (per 1,000 tickets: {overall * 1000:,.0f})"
        )
        for kind in kinds:
            print(f"  {per_ticket[kind]:5.1f}  {kind}")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.tickets))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
