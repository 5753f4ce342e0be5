"""The worker's metrics endpoints, for real: `serviceflow worker` as a process on a dev server
serves serviceflow's metrics, /healthz and /readyz on SERVICEFLOW_METRICS_PORT and the Temporal
SDK's own on SERVICEFLOW_TEMPORAL_METRICS_PORT; every SDK metric the dashboard queries is there;
its JSON log lines are JSON, and those logged for a case (the SDK's activity lines, at DEBUG)
carry the case id."""

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

import httpx
import pytest_asyncio
from deploy_support import dashboard_metric_names, exposed_names

from serviceflow.durable.cases import deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: m
defaults: {escalation: quick}
fallback: {owner: group:desk}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: m
owner:
  - {name: desk, from: [group:desk]}
targets:
  - {name: reply, type: first_response, within: 1s}
"""
ROSTER = "agents:\n  - {id: ann, groups: [desk], lead: lee}\n  - {id: lee, groups: [leads]}\n"


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[DevServer]:
    running = DevServer(state_dir=tmp_path / "temporal", port=free_port(), ui_port=free_port())
    await running.start()
    try:
        yield running
    finally:
        running.stop()


async def test_the_worker_serves_its_metrics_health_and_the_sdks(server: DevServer, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "m.yaml").write_text(POLICIES)
    (tmp_path / "roster.yaml").write_text(ROSTER)
    queue, ours, sdk = f"m-{uuid.uuid4()}", free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")} | {
        "SERVICEFLOW_TEMPORAL_ADDRESS": server.address,
        "SERVICEFLOW_TASK_QUEUE": queue,
        "SERVICEFLOW_POLICIES": json.dumps([str(tmp_path / "policies")]),
        "SERVICEFLOW_ROSTER": str(tmp_path / "roster.yaml"),
        "SERVICEFLOW_DEMO_LOG": str(tmp_path / "actions.jsonl"),
        "SERVICEFLOW_LOAD_PLUGINS": "",
        "SERVICEFLOW_METRICS_PORT": str(ours),
        "SERVICEFLOW_TEMPORAL_METRICS_PORT": str(sdk),
        "SERVICEFLOW_LOG_FORMAT": "json",
        "SERVICEFLOW_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "serviceflow", "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(timeout=10) as http:

            async def ready() -> bool:
                try:
                    return (await http.get(f"http://127.0.0.1:{ours}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, 60, "the worker's /readyz")
            assert (await http.get(f"http://127.0.0.1:{ours}/healthz")).json() == {"status": "ok"}
            client = await connect(Settings(temporal_address=server.address))
            now = datetime.now(UTC)
            ticket = Ticket(
                id="1", vendor="demo", account="m", subject="Hello", requester=Requester(id="c"),
                created_at=now, updated_at=now,
            )  # fmt: skip
            event = TicketEvent(
                id="created-1", kind=EventKind.CREATED, time=now, actor=Actor(role=ActorRole.CUSTOMER),
                ticket=ticket,
            )  # fmt: skip
            await deliver(client, event, queue)

            async def breached() -> str | None:
                text = (await http.get(f"http://127.0.0.1:{ours}/metrics")).text
                return text if 'serviceflow_breaches_total{policy="m",rule="reply"} 1.0' in text else None

            ours_text = await eventually(breached, 60, "the breach counted")
            assert f'serviceflow_open_cases{{task_queue="{queue}"}}' in ours_text

            async def sdk_metrics() -> set[str] | None:
                names = exposed_names((await http.get(f"http://127.0.0.1:{sdk}/metrics")).text)
                wanted = {n for n in dashboard_metric_names() if n.startswith("temporal_")}
                return names if wanted <= names else None

            await eventually(sdk_metrics, 60, "every SDK metric the dashboard queries")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines, log.read_text()
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    with_case = [line for line in lines if line.get("case") == "demo:m:1"]
    assert with_case, "no log line names the case"
