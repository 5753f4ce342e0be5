"""End to end, as processes: `serviceflow worker` on a real Temporal dev server records a case's
outcomes in the store as the case decides, and `serviceflow report` reads them back; a store URL
it cannot use stops the worker with one line."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from lab_support import cli, dev_server, lab_environment, open_case, serviceflow_worker

from serviceflow.durable.devserver import DevServer
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.waiting import wait_until
from serviceflow.outcomes import OutcomeKind
from serviceflow.outcomes.store import OutcomeStore

__all__ = ["dev_server"]  # a fixture, used by name


async def test_the_worker_records_and_the_report_reads(dev_server: DevServer, tmp_path: Path) -> None:
    queue = f"outcomes-{uuid.uuid4()}"
    store_file = tmp_path / "store" / "outcomes.sqlite3"
    env = lab_environment(dev_server, tmp_path, queue, outcomes_url=str(store_file))
    with serviceflow_worker(env, tmp_path):
        client = await connect(Settings(temporal_address=dev_server.address))
        case = await open_case(client, queue, "7")

        def escalated() -> bool:
            if not store_file.exists():
                return False
            return any(r.kind is OutcomeKind.ESCALATION for r in OutcomeStore(str(store_file)).read())

        await wait_until(escalated, 60, "the escalation recorded by the worker")  # a 2 s target
    rows = [r for r in OutcomeStore(str(store_file)).read() if r.case_id == case]
    kinds = {r.kind for r in rows}
    assert {OutcomeKind.TARGET_BREACHED, OutcomeKind.ESCALATION, OutcomeKind.ACTION_DONE} <= kinds
    assert next(r for r in rows if r.kind is OutcomeKind.TARGET_BREACHED).agent == "a17"
    shown = cli("report", "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    tally = json.loads(shown.stdout)["tally"]
    assert tally["cases"] == 1 and tally["escalations"] == {"1": 1}
    assert {r["name"]: r["breached"] for r in tally["rates"] if r["dimension"] == "agent"} == {"a17": 1}
    table = cli("report", env=env, cwd=tmp_path)
    assert table.returncode == 0 and "quick/reply" in table.stdout and "100.0%" in table.stdout
    assert "Ada Agent (a17)" in table.stdout  # named as the roster names her
    bad = env | {"SERVICEFLOW_OUTCOMES_URL": "mysql://u:hunter2@db/x"}
    command = [sys.executable, "-m", "serviceflow", "worker"]
    refused = subprocess.run(command, env=bad, cwd=tmp_path, capture_output=True, text=True, timeout=90)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "error: SERVICEFLOW_OUTCOMES_URL: mysql:// is not a store serviceflow keeps outcomes in; use a file "
        "path, sqlite:///PATH or postgresql://user:password@host:5432/db"
    ]
