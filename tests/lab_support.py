"""A Temporal dev server and `serviceflow` processes against it, for the tests of the CLI and of
the worker's endpoints: a quick policy set (a first response within 2 s, escalated to the lead),
a roster with names, the environment a `serviceflow worker` or `case` process reads, and those
processes: a command run to its end (:func:`cli`), a worker for the length of a block."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client

from serviceflow.durable.cases import deliver
from serviceflow.durable.devserver import DevServer
from serviceflow.fakes.server import free_port
from serviceflow.logs import configure_logging
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

QUICK_SET = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: quick
defaults: {escalation: lead}
fallback: {owner: group:desk}
escalations:
  lead:
    levels:
      - notify: [owner.lead]
---
apiVersion: serviceflow/v1
kind: Policy
name: quick
owner:
  - {name: desk, from: [group:desk]}
targets:
  - {name: reply, type: first_response, within: 2s}
"""
NAMED_ROSTER = """\
agents:
  - {id: a17, name: Ada Agent, groups: [desk], lead: l9}
  - {id: l9, name: Lee Lead, groups: [leads]}
groups:
  - {id: desk, name: Front desk}
"""


@pytest_asyncio.fixture
async def dev_server(tmp_path: Path) -> AsyncIterator[DevServer]:
    running = DevServer.on_free_ports(tmp_path / "temporal", free_port)
    await running.start()
    try:
        yield running
    finally:
        running.stop()


def lab_environment(server: DevServer, root: Path, queue: str, **settings: str) -> dict[str, str]:
    """The environment of a `serviceflow` process on ``queue``, with the quick set and the named
    roster written into ``root``; ``settings`` adds SERVICEFLOW_* variables (name without prefix)."""
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "quick.yaml").write_text(QUICK_SET)
    (root / "roster.yaml").write_text(NAMED_ROSTER)
    base = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    return (
        base
        | {
            "SERVICEFLOW_TEMPORAL_ADDRESS": server.address,
            "SERVICEFLOW_TASK_QUEUE": queue,
            "SERVICEFLOW_POLICIES": json.dumps([str(root / "policies")]),
            "SERVICEFLOW_ROSTER": str(root / "roster.yaml"),
            "SERVICEFLOW_DEMO_LOG": str(root / "actions.jsonl"),
            "SERVICEFLOW_LOAD_PLUGINS": "",
        }
        | {f"SERVICEFLOW_{name.upper()}": value for name, value in settings.items()}
    )


async def open_case(client: Client, queue: str, ticket_id: str, account: str = "lab") -> str:
    """A customer opens ticket ``ticket_id`` of the demo helpdesk; returns the case id."""
    now = datetime.now(UTC)
    ticket = Ticket(
        id=ticket_id, vendor="demo", account=account, subject="Charged twice", requester=Requester(id="c1"),
        created_at=now, updated_at=now,
    )  # fmt: skip
    event = TicketEvent(
        id=f"created-{ticket_id}-{uuid.uuid4()}", kind=EventKind.CREATED, time=now,
        actor=Actor(role=ActorRole.CUSTOMER), ticket=ticket,
    )  # fmt: skip
    return await deliver(client, event, queue)


def without_settings() -> dict[str, str]:
    """This process's environment without any ``SERVICEFLOW_*`` variable: a command run with it
    reads only what the test gives it (and the ``.env`` of its folder)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``serviceflow *args`` as its own process, run to its end (at most 90 s), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "serviceflow", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=cwd,
    )


@contextlib.contextmanager
def serviceflow_worker(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``serviceflow worker`` as its own process, its output in ``cwd / "worker.log"``, stopped by
    SIGTERM (and awaited) when the block ends."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "serviceflow", "worker"], env=env, cwd=cwd,
        stdout=(cwd / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)


@contextlib.contextmanager
def logs_captured(log_format: str, level: str) -> Iterator[io.StringIO]:
    """The root logger set up as a serviceflow process sets it (``configure_logging``), writing
    to the stream yielded; as it was before when the block ends."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(log_format, level, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
