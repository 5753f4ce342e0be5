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
from pathlib import Path

from lab_support import cli, dev_server, lab_environment, open_case, serviceflow_worker
from temporalio.client import WorkflowExecutionStatus

from serviceflow.durable.devserver import DevServer, end_demo_runs, listening
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


async def test_cases_nobody_serves_are_listed_with_the_reason(dev_server: DevServer, tmp_path: Path) -> None:
    client = await connect(Settings(temporal_address=dev_server.address))
    orphan = await open_case(client, "demo-20200101-000000", "1")  # an earlier run's queue
    env = lab_environment(dev_server, tmp_path, "cli-live")
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


async def test_an_unknown_case_is_one_line(dev_server: DevServer, tmp_path: Path) -> None:
    shown = cli(
        "case", "show", "zendesk:acme:404", env=lab_environment(dev_server, tmp_path, "q"), cwd=tmp_path
    )
    assert shown.returncode == 1 and shown.stdout == ""
    assert shown.stderr.strip().splitlines() == [
        "error: no case zendesk:acme:404 in Temporal (ids are vendor:account:ticket)"
    ]


async def test_owners_and_recipients_by_name(dev_server: DevServer, tmp_path: Path) -> None:
    queue = f"cli-{uuid.uuid4()}"
    env = lab_environment(dev_server, tmp_path, queue)
    with serviceflow_worker(env, tmp_path):
        client = await connect(Settings(temporal_address=dev_server.address))
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


async def test_end_demo_runs_ends_only_other_demo_runs(dev_server: DevServer) -> None:
    client = await connect(Settings(temporal_address=dev_server.address))
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


__all__ = ["dev_server"]  # a fixture, used by name
