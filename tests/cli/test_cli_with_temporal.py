"""The CLI against a real Temporal dev server, as processes: cases nobody serves are listed with
the reason (not a 100-line "no poller seen" traceback), an unknown case is one line, owners and
recipients are names, JSON is JSON; `serviceflow dev` ends the cases of its earlier runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus

from serviceflow.durable.cases import deliver
from serviceflow.durable.devserver import DevServer, end_demo_runs, listening
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import wait_until
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

REPO = Path(__file__).resolve().parents[2]
POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: cli
defaults: {escalation: quick}
fallback: {owner: group:desk}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: cli
owner:
  - {name: desk, from: [group:desk]}
targets:
  - {name: reply, type: first_response, within: 2s}
"""
ROSTER = """\
agents:
  - {id: a17, name: Ada Agent, groups: [desk], lead: l9}
  - {id: l9, name: Lee Lead, groups: [leads]}
groups:
  - {id: desk, name: Front desk}
"""


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[DevServer]:
    running = DevServer(state_dir=tmp_path / "temporal", port=free_port(), ui_port=free_port())
    await running.start()
    try:
        yield running
    finally:
        running.stop()


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "serviceflow", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=cwd,
    )


def environment(server: DevServer, root: Path, queue: str) -> dict[str, str]:
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "cli.yaml").write_text(POLICIES)
    (root / "roster.yaml").write_text(ROSTER)
    base = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    return {
        **base,
        "SERVICEFLOW_TEMPORAL_ADDRESS": server.address,
        "SERVICEFLOW_TASK_QUEUE": queue,
        "SERVICEFLOW_POLICIES": json.dumps([str(root / "policies")]),
        "SERVICEFLOW_ROSTER": str(root / "roster.yaml"),
        "SERVICEFLOW_DEMO_LOG": str(root / "actions.jsonl"),
        "SERVICEFLOW_LOAD_PLUGINS": "",
    }


async def open_case(client: Client, queue: str, ticket_id: str) -> str:
    now = datetime.now(UTC)
    ticket = Ticket(
        id=ticket_id, vendor="demo", account="cli", subject="Charged twice", requester=Requester(id="c1"),
        created_at=now, updated_at=now,
    )  # fmt: skip
    event = TicketEvent(
        id=f"created-{ticket_id}-{uuid.uuid4()}", kind=EventKind.CREATED, time=now,
        actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket,
    )  # fmt: skip
    return await deliver(client, event, queue)


async def test_cases_nobody_serves_are_listed_with_the_reason(server: DevServer, tmp_path: Path) -> None:
    client = await connect(Settings(temporal_address=server.address))
    orphan = await open_case(client, "demo-20200101-000000", "1")  # an earlier run's queue
    env = environment(server, tmp_path, "cli-live")
    listed = cli("case", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr and "no poller" not in listed.stderr
    row = next(line for line in listed.stdout.splitlines() if orphan in line)
    assert "running (unread)" in row
    assert listed.stderr.strip().splitlines() == [
        "note: 1 case not read: no worker serves task queue demo-20200101-000000"
    ]
    as_json = json.loads(cli("case", "list", "--json", env=env, cwd=tmp_path).stdout)
    assert [c["case"] for c in as_json] == [orphan]
    assert as_json[0]["task_queue"] == "demo-20200101-000000" and as_json[0]["owner"] is None
    assert as_json[0]["problem"] == "no worker serves task queue demo-20200101-000000"
    shown = cli("case", "show", orphan, env=env, cwd=tmp_path)
    assert shown.returncode == 1
    assert shown.stderr.strip().splitlines() == [
        f"error: case {orphan} is running on task queue demo-20200101-000000, which no worker serves: "
        "start `serviceflow worker` with SERVICEFLOW_TASK_QUEUE=demo-20200101-000000 to read it"
    ]


async def test_an_unknown_case_is_one_line(server: DevServer, tmp_path: Path) -> None:
    shown = cli("case", "show", "zendesk:acme:404", env=environment(server, tmp_path, "q"), cwd=tmp_path)
    assert shown.returncode == 1 and shown.stdout == ""
    assert shown.stderr.strip().splitlines() == [
        "error: no case zendesk:acme:404 in Temporal (ids are vendor:account:ticket)"
    ]


async def test_owners_and_recipients_by_name(server: DevServer, tmp_path: Path) -> None:
    queue = f"cli-{uuid.uuid4()}"
    env = environment(server, tmp_path, queue)
    worker = subprocess.Popen(
        [sys.executable, "-m", "serviceflow", "worker"], env=env, cwd=tmp_path,
        stdout=(tmp_path / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = await connect(Settings(temporal_address=server.address))
        case = await open_case(client, queue, "2")
        actions = tmp_path / "actions.jsonl"
        await wait_until(
            lambda: actions.exists() and '"escalation_level": 1' in actions.read_text(), 60, "the breach"
        )
        listed = cli("case", "list", env=env, cwd=tmp_path)
        row = next(line for line in listed.stdout.splitlines() if case in line)
        assert "Ada Agent" in row and "a17" not in row, listed.stdout
        shown = cli("case", "show", case, env=env, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "owner: Ada Agent" in shown.stdout
        assert "to Lee Lead" in " ".join(shown.stdout.split())  # the escalation's recipient
        data = json.loads(cli("case", "show", case, "--json", env=env, cwd=tmp_path).stdout)
        assert data["case"] == case and data["status"] == "running" and data["task_queue"] == queue
        assert data["state"]["owner"] == "a17"
        assert data["names"] == {"a17": "Ada Agent", "l9": "Lee Lead"}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)


async def test_end_demo_runs_ends_only_other_demo_runs(server: DevServer) -> None:
    client = await connect(Settings(temporal_address=server.address))
    old = await open_case(client, "demo-20200101-000000", "10")
    current = await open_case(client, "demo-20200102-000000", "11")
    other = await open_case(client, "production", "12")
    ended = await end_demo_runs(client, "an earlier run ended", keep="demo-20200102-000000")
    assert ended == [old]
    statuses = {c: (await client.get_workflow_handle(c).describe()).status for c in (old, current, other)}
    assert statuses == {
        old: WorkflowExecutionStatus.TERMINATED,
        current: WorkflowExecutionStatus.RUNNING,
        other: WorkflowExecutionStatus.RUNNING,
    }
    assert await end_demo_runs(client, "this run ended", only="demo-20200102-000000") == [current]


async def test_serviceflow_dev_ends_the_cases_of_earlier_runs(tmp_path: Path) -> None:
    """Two runs of `serviceflow dev` on one kept database: the Web UI is left with no case that
    nobody serves, and each ended case says why."""
    port = free_port()
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    env["SERVICEFLOW_DEMO_LOG"] = str(tmp_path / "actions.jsonl")

    async def run_dev(log: Path, *, crash: bool) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "serviceflow", "dev", "--state-dir", str(state), "--port", str(port),
             "--ui-port", str(free_port()), "--webhook-port", str(free_port()), "--helpdesk", "builtin"],
            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            await wait_until(lambda: "demo tickets sent" in log.read_text(), 90, "serviceflow dev to start")
            await wait_until(lambda: log.read_text().count("assign_owner") >= 3, 90, "the demo's owners")
        finally:
            if crash:  # no chance to clean up: the next run must
                process.kill()
                process.wait(30)
                for child in _server_pids(state):
                    os.kill(child, signal.SIGKILL)
            else:
                process.send_signal(signal.SIGINT)
                assert process.wait(60) == 0, log.read_text()
        await wait_until(lambda: not listening("127.0.0.1", port), 30, "the dev server to stop")

    await run_dev(tmp_path / "first.log", crash=True)
    await run_dev(tmp_path / "second.log", crash=False)
    second = (tmp_path / "second.log").read_text()
    assert "ended 3 cases and watchers of earlier demo runs" in second
    assert "ended this run's 3 cases and watchers" in second
    inspector = DevServer(state_dir=state, port=port, ui_port=free_port())
    await inspector.start()
    try:
        client = await connect(Settings(temporal_address=inspector.address))
        running = [e async for e in client.list_workflows('ExecutionStatus = "Running"')]
        assert running == []
        ended = [e async for e in client.list_workflows('ExecutionStatus = "Terminated"')]
        assert len(ended) == 6  # three demo tickets, twice
        reasons = set()
        for execution in ended:
            async for event in client.get_workflow_handle(
                execution.id, run_id=execution.run_id
            ).fetch_history_events():
                if event.HasField("workflow_execution_terminated_event_attributes"):
                    reasons.add(event.workflow_execution_terminated_event_attributes.reason)
        assert reasons == {"an earlier serviceflow dev run ended", "the serviceflow dev run ended"}
    finally:
        inspector.stop()


def _server_pids(state: Path) -> list[int]:
    """The dev server a killed `serviceflow dev` left behind (its own child process)."""
    found = subprocess.run(
        ["pgrep", "-f", "--", f"--db-filename {state}/temporal.db"], capture_output=True, text=True
    )
    return [int(pid) for pid in found.stdout.split()]
