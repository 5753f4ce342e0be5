"""The worker's metrics endpoints, for real: `serviceflow worker` as a process on a dev server
serves serviceflow's metrics, /healthz and /readyz on SERVICEFLOW_METRICS_PORT and the Temporal
SDK's own on SERVICEFLOW_TEMPORAL_METRICS_PORT; every SDK metric the dashboard queries is there;
its JSON log lines are JSON, and those logged for a case (the SDK's activity lines, at DEBUG)
carry the case id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from deploy_support import dashboard_metric_names, exposed_names
from lab_support import dev_server, lab_environment, open_case

from serviceflow.durable.devserver import DevServer
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually


async def test_the_worker_serves_its_metrics_health_and_the_sdks(
    dev_server: DevServer, tmp_path: Path
) -> None:
    queue, ours, sdk = f"m-{uuid.uuid4()}", free_port(), free_port()
    env = lab_environment(
        dev_server, tmp_path, queue, metrics_port=str(ours), temporal_metrics_port=str(sdk),
        log_format="json", log_level="DEBUG",
    )  # fmt: skip
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
            client = await connect(Settings(temporal_address=dev_server.address))
            case = await open_case(client, queue, "1")

            async def breached() -> str | None:
                text = (await http.get(f"http://127.0.0.1:{ours}/metrics")).text
                return text if 'serviceflow_breaches_total{policy="quick",rule="reply"} 1.0' in text else None

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
    with_case = [line for line in lines if line.get("case") == case]
    assert with_case, "no log line names the case"


__all__ = ["dev_server"]  # a fixture, used by name
