"""The whole system on 127.0.0.1: a Temporal dev server, `serviceflow worker` and `serviceflow
serve` as their own processes, the fake Zendesk, and a relay between the fake and the receiver
that delivers every webhook twice and out of order."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.durable.devserver import DevServer
from serviceflow.fakes.server import free_port as free_port
from serviceflow.fakes.sink import read_body
from serviceflow.fakes.waiting import eventually as eventually
from serviceflow.fakes.waiting import wait_until as wait_until

SECRET = "sf-e2e-webhook-secret"

POLICIES = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: e2e
defaults: {escalation: quick, at_risk: 0.5}
fallback: {owner: group:Frontline}
escalations:
  quick:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: e2e
owner:
  - {name: desk, pick: round_robin, from: [group:Frontline]}
targets:
  - {name: reply, type: first_response, within: 8s}
same_case:
  when: other_ticket.requester.id == ticket.requester.id
---
apiVersion: serviceflow/v1
kind: Policy
name: e2e-quarantine
applies_to: quarantined
quarantine:
  - {name: known-customer, when: size(open_cases) > 0, do: recover}
  - {name: review-the-rest, do: review}
owner:
  - {name: triage, from: [group:Triage]}
targets:
  - {name: review, start: event.kind == "created", stop: ticket.status == "closed", within: 6s}
"""
# Zendesk has no team leads: who leads whom is laid over the helpdesk's roster, by email.
ROSTER_OVERLAY = """\
agents:
  - {id: ann@shop.example, lead: lee@shop.example}
  - {id: tia@shop.example, lead: lee@shop.example}
"""


@dataclass
class Relay:
    """Takes the fake's webhooks (answering 200) and passes each on to the receiver twice, every
    batch newest first: a vendor that retries and reorders, as real ones do."""

    target: str = ""
    pending: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    forwarded: int = 0
    largest_batch: int = 0  # deliveries reversed together (>1: some came out of order)

    async def app(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        body = await read_body(receive)
        headers = {
            k.decode(): v.decode()
            for k, v in scope["headers"]
            if k.decode().startswith("x-zendesk") or k.decode() == "content-type"
        }
        self.pending.append((headers, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not stop.is_set():
                batch, self.pending = self.pending, []
                self.largest_batch = max(self.largest_batch, len(batch))
                for _copy in range(2):
                    for headers, body in reversed(batch):
                        response = await client.post(self.target, content=body, headers=headers)
                        self.statuses.append(response.status_code)
                        self.forwarded += 1
                try:
                    await asyncio.wait_for(stop.wait(), 0.4)  # let a batch gather
                except TimeoutError:
                    pass


def stamp(value: str) -> datetime:
    """A helpdesk timestamp (``...Z``) as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class System:
    """Everything of one end-to-end run, in ``root``."""

    def __init__(self, root: Path, zendesk: FakeZendesk, policies: str = POLICIES) -> None:
        self.root = root
        self.zendesk = zendesk
        (root / "policies").mkdir()
        (root / "policies" / "e2e.yaml").write_text(policies)
        (root / "roster.yaml").write_text(ROSTER_OVERLAY)
        self.server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
        self.queue = f"e2e-{uuid.uuid4()}"
        self.receiver_port = free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.notify_url = ""  # where review cases' notifications go (set before starting)
        self.extra_env: dict[str, str] = {}  # more settings for the processes (set before starting)

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def env(self) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items() if not key.startswith("SERVICEFLOW_")}
        return {
            **environment,
            "SERVICEFLOW_TEMPORAL_ADDRESS": self.server.address,
            "SERVICEFLOW_TASK_QUEUE": self.queue,
            "SERVICEFLOW_POLICIES": json.dumps([str(self.root / "policies")]),
            "SERVICEFLOW_ROSTER": str(self.root / "roster.yaml"),
            "SERVICEFLOW_ROSTER_FROM": "zendesk:127.0.0.1",
            "SERVICEFLOW_ZENDESK_BASE_URL": self.zendesk.base_url,
            "SERVICEFLOW_ZENDESK_EMAIL": self.zendesk.email,
            "SERVICEFLOW_ZENDESK_API_TOKEN": self.zendesk.api_token,
            "SERVICEFLOW_ZENDESK_WEBHOOK_SECRET": SECRET,
            "SERVICEFLOW_QUARANTINE_WATCH": '["zendesk:127.0.0.1"]',
            "SERVICEFLOW_QUARANTINE_INTERVAL": "1",
            "SERVICEFLOW_NOTIFY_URL": self.notify_url,
            **self.extra_env,
        }

    def start(self, *command: str, log: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "serviceflow", *command],
            env=self.env(),
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

    def log(self, name: str) -> str:
        return (self.root / name).read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.server.stop()
