"""The whole system on 127.0.0.1 as real processes: a Temporal dev server, ``serviceflow worker``
and ``serviceflow serve``, pointed at a fake Zendesk, with a small policy set and a roster overlay
written into a folder. The end-to-end and tracing tests each add what is theirs (a relay and
notification settings, an OpenTelemetry collector) on top of :class:`System`.

The fake Zendesk in *this* process (a receiver or an adapter under test, no child process) is
:func:`serviceflow_zendesk.fake.environment.fake_zendesk_in_this_process` instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import environment_for

from serviceflow.durable.devserver import DevServer
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually


def frontline_policies(
    name: str,
    *,
    within: str | None = None,
    at_risk: float | None = None,
    policy: str | None = None,
    rest: str = "",
) -> str:
    """A policy set ``name`` with one policy (``policy``, the set's name by default): every case
    owned round-robin from the Frontline group, a breach told to the owner's lead, and (given
    ``within``) a first response due within it. ``rest`` is more YAML for that policy (and more
    documents after it)."""
    warn = f", at_risk: {at_risk}" if at_risk is not None else ""
    targets = f"targets:\n  - {{name: reply, type: first_response, within: {within}}}\n" if within else ""
    return f"""\
apiVersion: serviceflow/v1
kind: PolicySet
name: {name}
defaults: {{escalation: quick{warn}}}
fallback: {{owner: group:Frontline}}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: {policy or name}
owner:
  - {{name: desk, pick: round_robin, from: [group:Frontline]}}
{targets}{rest}"""


class System:
    """Temporal, the fake Zendesk, a worker and a receiver, each its own process, in ``root``.

    Set :attr:`settings` (more ``SERVICEFLOW_*`` variables, every process) before :meth:`run`,
    or extend :meth:`env`; a subclass adds one process's own in :meth:`service_settings`.
    """

    def __init__(
        self,
        root: Path,
        zendesk: FakeZendesk,
        *,
        name: str,
        policies: str,
        roster: str,
        secret: str,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.zendesk = zendesk
        self.secret = secret
        (root / "policies").mkdir()
        (root / "policies" / f"{name}.yaml").write_text(policies)
        (root / "roster.yaml").write_text(roster)
        self.server = DevServer.on_free_ports(root / "temporal", free_port)
        self.queue = f"{name}-{uuid.uuid4()}"
        self.receiver_port = free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.settings: dict[str, str] = dict(settings or {})

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def service_settings(self, service: str) -> dict[str, str]:
        """More variables for the process of ``service`` (``worker`` or ``serve``) only, on top
        of :meth:`env`; none here."""
        return {}

    def env(self) -> dict[str, str]:
        """The environment of a ``serviceflow`` process of this system: this process's, without
        its ``SERVICEFLOW_*``, pointed at this Temporal, task queue, policies, roster and fake."""
        base = {key: value for key, value in os.environ.items() if not key.startswith("SERVICEFLOW_")}
        return {
            **environment_for(self.zendesk, webhook_secret=self.secret, base=base),
            "SERVICEFLOW_TEMPORAL_ADDRESS": self.server.address,
            "SERVICEFLOW_TASK_QUEUE": self.queue,
            "SERVICEFLOW_POLICIES": json.dumps([str(self.root / "policies")]),
            "SERVICEFLOW_ROSTER": str(self.root / "roster.yaml"),
            "SERVICEFLOW_ROSTER_FROM": "zendesk:127.0.0.1",
            **self.settings,
        }

    def start(self, *command: str, log: str) -> subprocess.Popen[bytes]:
        """``python -m serviceflow *command``, its output into ``root / log``."""
        process = subprocess.Popen(
            [sys.executable, "-m", "serviceflow", *command],
            env={**self.env(), **self.service_settings(command[0])},
            stdout=(self.root / log).open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    async def run(self) -> None:
        """Start the Temporal dev server, ``serviceflow worker`` and ``serviceflow serve``, and
        wait for the receiver to be ready."""
        await self.server.start()
        self.start("worker", log="worker.log")
        self.start("serve", "--host", "127.0.0.1", "--port", str(self.receiver_port), log="serve.log")
        async with httpx.AsyncClient() as http:

            async def ready() -> bool:
                return (await http.get(f"{self.receiver_url}/readyz")).status_code == 200

            await eventually(ready, 60, "the receiver to be ready (see serve.log)")

    def stop(self) -> None:
        """SIGTERM each process (they finish what they send and leave), then the dev server."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.server.stop()

    def log(self, name: str) -> str:
        """A process's log (``worker.log``, ``serve.log``) as text."""
        return (self.root / name).read_text(errors="replace")

    def log_lines(self, name: str) -> list[dict[str, Any]]:
        """The JSON lines of a process's log (its other lines, the CLI's banner, are left out)."""
        return [json.loads(line) for line in self.log(name).splitlines() if line.startswith("{")]
