"""Instructions per webhook in `serviceflow serve`, counted by callgrind: stable under load.

Wall-clock CPU per webhook (bench_ingest) moves by 10 % or more from run to run on a shared
machine; instructions do not. This script starts a dev server and the fake Zendesk, then for this
checkout (and, with ``--base DIR``, another checkout's code, as bench_ingest's ``--base``) runs
`serviceflow serve` under ``valgrind --tool=callgrind`` with instrumentation off until the
receiver is ready and warmed up, turns it on for ``--webhooks`` signed ticket.created deliveries
(``--concurrency`` in flight), and prints the instructions per webhook of the receiver's whole
process: every thread, the Temporal SDK's Rust threads included.

Run: .venv/bin/python benchmarks/callgrind_receiver.py [--webhooks 300] [--concurrency 8] [--base DIR]
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

from bench_ingest import Webhooks, envelope, start_receiver, wait_ready  # noqa: E402
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


async def count(
    name: str,
    source: Path | None,
    address: str,
    zendesk: FakeZendesk,
    webhooks: int,
    concurrency: int,
    numbers: Iterator[int],
) -> float:
    root = Path(tempfile.mkdtemp(prefix=f"serviceflow-callgrind-{name}-"))
    outs = root / "callgrind.out.%p"
    prefix = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={outs}")
    process, port = start_receiver(root, name, address, zendesk, source, prefix)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=600)
        hooks = Webhooks(port, "/webhooks/zendesk", concurrency)
        now = datetime.now(UTC)
        await hooks.batch([envelope(next(numbers), now) for _ in range(40)])  # warm up
        control("-i", "on", str(process.pid))
        await hooks.batch([envelope(next(numbers), now) for _ in range(webhooks)])
        control("-i", "off", str(process.pid))
        control("-d", str(process.pid))
        await hooks.aclose()
        failures = hooks.failures
    finally:
        process.terminate()
        process.wait(120)
    instructions = sum(total_instructions(out) for out in root.glob("callgrind.out.*"))
    if failures:
        print(f"[{name}] {failures} deliveries not answered 200")
    return instructions / webhooks


async def main(webhooks: int, concurrency: int, base: Path | None) -> None:
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
            per = await count(
                name.replace(" ", "-"), source, server.address, zendesk, webhooks, concurrency, numbers
            )
            results[name] = per
            print(f"[{name}] instructions per webhook: {per / 1e6:.2f} M")
        if base is not None:
            print(f"this checkout / base: {results['this checkout'] / results['base']:.3f}")
    finally:
        server.stop()
        zendesk.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--base", type=Path, help="also count another checkout's receiver (git archive main)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.webhooks, arguments.concurrency, arguments.base))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300
