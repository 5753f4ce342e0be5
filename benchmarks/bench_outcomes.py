"""What recording outcomes costs a case: worker CPU per case without it, with an empty
``record_outcomes`` activity (the local activity alone), and with the real one (derive and an
SQLite write), in alternating rounds on one Temporal dev server this script starts.

Each round runs a fresh in-process worker on its own task queue and N cases of three events
(created, an agent reply, solved: 3 decisions, 4 actions); the figure is this process's CPU per
case (worker and client; the client's share is the same in every variant), the median of the
rounds, and the ratio to the variant without recording.

Run: .venv/bin/python benchmarks/bench_outcomes.py [--cases 60 --rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "outcomes"))
sys.path.insert(0, str(HERE.parent / "tests"))  # first: its conftest holds MINIMAL_SET

from machine import describe, load_average  # noqa: E402
from outcomes_support import CONTEXT, POLICY  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from temporal_support import Case  # noqa: E402
from temporalio import activity  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from conftest import MINIMAL_SET  # noqa: E402
from serviceflow.durable.activities import CaseActivities  # noqa: E402
from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.policy_store import PolicyStore  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.durable.workflows import CaseWorkflow  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402
from serviceflow.model import Action, CaseState  # noqa: E402
from serviceflow.outcomes.activity import OutcomeActivities  # noqa: E402
from serviceflow.outcomes.recording import RecordRequest, RecordResult  # noqa: E402
from serviceflow.outcomes.store import OutcomeStore  # noqa: E402
from serviceflow.plugins import get_plugin_manager, hookimpl  # noqa: E402
from serviceflow.plugins.demo import DemoAdapter  # noqa: E402

VARIANTS = ("without", "empty activity", "recording")


class Quiet(DemoAdapter):
    """The demo helpdesk, without its log: every action is done at once."""

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        return "done"

    @hookimpl
    def serviceflow_register_adapters(self, register: Any) -> None:
        register(self)


@activity.defn(name="record_outcomes")
async def record_nothing(request: RecordRequest) -> RecordResult:
    return RecordResult(rows=0, written=0)


async def one_round(client: Client, policies: Path, store: OutcomeStore, variant: str, cases: int) -> float:
    case_activities = CaseActivities(PolicyStore([policies]), CONTEXT.roster)
    activities: list[Any] = [case_activities.decide, case_activities.carry_out]
    if variant == "empty activity":
        activities.append(record_nothing)
    elif variant == "recording":
        activities.append(OutcomeActivities(store, registry=CollectorRegistry()).record_outcomes)
    worker = Worker(
        client, task_queue=f"bench-{uuid.uuid4()}", workflows=[CaseWorkflow], activities=activities
    )
    started = time.process_time()
    async with worker:
        now = datetime.now(UTC)
        opened = []
        for _ in range(cases):
            case = Case(client, worker.task_queue)
            await case.send("created", now)
            await case.send("agent_reply", now + timedelta(seconds=1))
            await case.send("status_changed", now + timedelta(seconds=2), status="solved")
            opened.append(case)
        for case in opened:
            assert case.handle is not None
            for _ in range(1_200):  # at most a minute a case
                state = await case.handle.query(CaseWorkflow.case_state, result_type=CaseState)
                if state is not None and len(state.seen_events) == 3:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"case {case.id} did not decide its three events within a minute")
    return (time.process_time() - started) / cases


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(describe())
    print(f"load average before: {load_average()}")
    root = Path(tempfile.mkdtemp(prefix="bench-outcomes-"))
    policies = root / "policies"
    policies.mkdir()
    (policies / "policyset.yaml").write_text(MINIMAL_SET)
    (policies / "simple.yaml").write_text(POLICY)
    get_plugin_manager().register(Quiet(), name="bench-quiet-demo")
    server = DevServer.on_free_ports(root / "temporal", free_port)
    await server.start()
    try:
        client = await connect(Settings(temporal_address=server.address))
        store = OutcomeStore(str(root / "outcomes.sqlite3"))
        await one_round(client, policies, store, "recording", 10)  # warm up
        cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):
            for variant in VARIANTS:
                cpu[variant].append(await one_round(client, policies, store, variant, args.cases))
        base = statistics.median(cpu["without"])
        for variant in VARIANTS:
            median = statistics.median(cpu[variant])
            print(f"{variant:>15}: {median * 1000:5.1f} ms CPU per case, {median / base:.2f}x without")
        print(f"rows kept: {len(store.read())}")
    finally:
        server.stop()
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    asyncio.run(main())
