"""The receiver under measurement, as a process of its own: started on a checkout's code, waited
for, and read from /proc (CPU by thread, context switches) and its metrics (its own mean time per
delivery). Used by bench_ingest.py and callgrind_receiver.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.fakes.server import free_port

SECRET = "bench-ingest-secret"
ACCOUNT = "bench"


async def receiver_mean_latency(url: str) -> float:
    """The receiver's own mean time per delivery, from its latency histogram."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(url)).text
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("serviceflow_webhook_seconds_sum"):
            total = float(line.split()[-1])
        elif line.startswith("serviceflow_webhook_seconds_count"):
            count = float(line.split()[-1])
    return total / count if count else 0.0


async def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200")


def receiver_environment(
    address: str, zendesk: FakeZendesk, task_queue: str, secret: str, **more: str
) -> dict[str, str]:
    """This process's environment without its SERVICEFLOW_ settings, and a `serviceflow serve`'s
    for a Zendesk account (``ACCOUNT``) on ``zendesk`` signing with ``secret``, and ``more``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    environment.update(
        SERVICEFLOW_TEMPORAL_ADDRESS=address,
        SERVICEFLOW_TASK_QUEUE=task_queue,
        SERVICEFLOW_ZENDESK_SUBDOMAIN=ACCOUNT,
        SERVICEFLOW_ZENDESK_BASE_URL=zendesk.base_url,
        SERVICEFLOW_ZENDESK_EMAIL=zendesk.email,
        SERVICEFLOW_ZENDESK_API_TOKEN=zendesk.api_token,
        SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=secret,
        **more,
    )
    return environment


def start_receiver(
    root: Path,
    name: str,
    address: str,
    zendesk: FakeZendesk,
    source: Path | None,
    prefix: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], int]:
    """`serviceflow serve` in a process of its own; with ``source``, that checkout's code (its
    src/ and plugins' src/ first on PYTHONPATH) instead of this one's; ``prefix`` runs it under
    another command (valgrind)."""
    port = free_port()
    environment = receiver_environment(address, zendesk, "bench-webhooks", SECRET)
    if source is not None:
        paths = [source / "src", *sorted((source / "plugins").glob("*/src"))]
        environment["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "serviceflow", "serve", "--port", str(port)],
        env=environment,
        stdout=(root / f"serve-{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, port


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds by thread name ("python" for the event loop's, "tokio-rt-worker" for the
    Temporal SDK's Rust threads), summed over threads of one name, and the kernel's share of all
    of them as "(in the kernel)" (Linux)."""
    by_name: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
        by_name["(in the kernel)"] = by_name.get("(in the kernel)", 0.0) + int(fields[12]) / tick
    return by_name


def switches(pid: int) -> tuple[int, int]:
    """Context switches of every thread of a process so far: voluntary (it blocked: a lock, the
    GIL, a poll) and involuntary (it was preempted) (Linux)."""
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:  # the thread ended meanwhile
            continue
        for line in lines:
            if line.startswith("voluntary_ctxt_switches:"):
                voluntary += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                involuntary += int(line.split()[1])
    return voluntary, involuntary
