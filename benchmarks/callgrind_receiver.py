"""Instructions per webhook in `serviceflow serve`, counted by callgrind: stable under load.

Wall-clock CPU per webhook (bench_ingest) moves by 10 % or more from run to run on a shared
machine; instructions do not. This script starts a dev server and the fake Zendesk, then for this
checkout (and, with ``--base DIR``, another checkout's code, as bench_ingest's ``--base``) runs
`serviceflow serve` under ``valgrind --tool=callgrind`` with instrumentation off until the
receiver is ready and warmed up, turns it on for ``--webhooks`` signed ticket.created deliveries
(``--concurrency`` in flight), and prints the instructions per webhook of the receiver's whole
process: every thread, the Temporal SDK's Rust threads included. With ``--updates``, it then
counts as many ticket.comment_added deliveries to the cases those webhooks started (events to
running cases: a plain signal where the receiver knows the case, else signal-with-start) and
prints their instructions per webhook too.

Run: .venv/bin/python benchmarks/callgrind_receiver.py [--webhooks 300] [--concurrency 8] [--updates]
     [--base DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import Webhooks  # noqa: E402
from ingest_receiver import start_receiver, wait_ready  # noqa: E402
from ingest_workload import envelope  # noqa: E402
from machine import describe  # noqa: E402
from serviceflow_zendesk.fake import FakeZendesk  # noqa: E402

from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402


def control(*arguments: str) -> None:
    subprocess.run(["callgrind_control", *arguments], check=True, capture_output=True, timeout=120)


def total_instructions(out: Path) -> int:
    text = out.read_text()
    found = re.findall(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    return int(found[-1]) if found else 0


def counted(root: Path) -> int:
    """Instructions in every dump so far."""
    return sum(total_instructions(out) for out in root.glob("callgrind.out.*"))


async def count(
    name: str,
    source: Path | None,
    address: str,
    zendesk: FakeZendesk,
    webhooks: int,
    concurrency: int,
    numbers: Iterator[int],
    updates: bool,
) -> tuple[float, float | None]:
    root = Path(tempfile.mkdtemp(prefix=f"serviceflow-callgrind-{name}-"))
    outs = root / "callgrind.out.%p"
    prefix = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={outs}")
    process, port = start_receiver(root, name, address, zendesk, source, prefix)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=600)
        hooks = Webhooks(port, "/webhooks/zendesk", concurrency)
        now = datetime.now(UTC)
        warm = [next(numbers) for _ in range(40)]
        await hooks.batch([envelope(number, now) for number in warm])  # warm up
        await hooks.batch([envelope(number, now, 1) for number in warm])
        tickets = [next(numbers) for _ in range(webhooks)]
        control("-i", "on", str(process.pid))
        await hooks.batch([envelope(number, now) for number in tickets])
        control("-i", "off", str(process.pid))
        control("-d", str(process.pid))
        new = counted(root)
        update = None
        if updates:
            control("-i", "on", str(process.pid))
            await hooks.batch([envelope(number, now, 1) for number in tickets])
            control("-i", "off", str(process.pid))
            control("-d", str(process.pid))
            update = (counted(root) - new) / webhooks
        await hooks.aclose()
        failures = hooks.failures
    finally:
        process.terminate()
        process.wait(120)
    if failures:
        print(f"[{name}] {failures} deliveries not answered 200")
    return new / webhooks, update


async def main(webhooks: int, concurrency: int, updates: bool, base: Path | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-callgrind-"))
    server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
    await server.start()
    zendesk = FakeZendesk().start()
    numbers = iter(range(1, 10**9))
    try:
        print(f"# callgrind_receiver - {describe()}")
        print(f"{webhooks} signed Zendesk ticket.created webhooks, {concurrency} in flight")
        results = {}
        for name, source in [("this checkout", None), *([("base", base)] if base else [])]:
            label = name.replace(" ", "-")
            results[name] = await count(
                label, source, server.address, zendesk, webhooks, concurrency, numbers, updates
            )
            new, update = results[name]
            print(f"[{name}] instructions per webhook: {new / 1e6:.2f} M (new tickets)")
            if update is not None:
                print(f"[{name}] instructions per webhook: {update / 1e6:.2f} M (updates to running cases)")
        if base is not None:
            ours, theirs = results["this checkout"], results["base"]
            print(f"this checkout / base: {ours[0] / theirs[0]:.3f} (new tickets)")
            if ours[1] is not None and theirs[1] is not None:
                print(f"this checkout / base: {ours[1] / theirs[1]:.3f} (updates)")
    finally:
        server.stop()
        zendesk.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--updates", action="store_true", help="also count a comment to each of those tickets' cases"
    )
    parser.add_argument("--base", type=Path, help="also count another checkout's receiver (git archive main)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.webhooks, arguments.concurrency, arguments.updates, arguments.base))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300
