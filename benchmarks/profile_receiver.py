"""Where the receiver's CPU per webhook goes: each stage timed alone, then the whole receiver
under cProfile. A profile, not a benchmark: it changes nothing and asserts nothing.

Stages, on the Zendesk ``ticket.created`` envelope bench_ingest sends (timed in this process,
best of 5 runs of ``--repeat`` calls each):

- the signature check through the plugin hook (settings lookup, HMAC-SHA256, timestamp window);
- the parse through the plugin hook (JSON, the plugin's conversion, pydantic models);
- what signal-with-start converts with the pydantic data converter: the workflow's argument
  (``CaseStart()``) and the signal's (the ``TicketEvent``); and alternatives for that JSON
  (pydantic-core's ``model_dump_json``, the standard library, orjson and msgspec when installed);
- the request log line, and the Prometheus counters and histogram one delivery touches.

Then ``--webhooks N`` deliveries through the receiver's ASGI app in this process (httpx's ASGI
transport, so no HTTP parsing: uvicorn and its parser are not in it) against a dev server this
script starts, under cProfile, reported by the functions that take the most cumulative time. The
receiver connects as `serviceflow serve` does (gRPC uncompressed). For what HTTP and the SDK's
Rust threads cost, see callgrind_receiver.py (instructions, every thread) and bench_ingest.py
(CPU by thread).

Run: .venv/bin/python benchmarks/profile_receiver.py [--repeat 2000] [--webhooks 400]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SECRET = "profile-secret"
os.environ.update(SERVICEFLOW_ZENDESK_SUBDOMAIN="bench", SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=SECRET)

import httpx  # noqa: E402
from ingest_workload import envelope  # noqa: E402
from machine import describe  # noqa: E402
from serviceflow_zendesk.fake import FakeZendesk  # noqa: E402
from serviceflow_zendesk.signature import sign  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402

from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.messages import CaseStart  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402
from serviceflow.plugins import get_plugin_manager  # noqa: E402
from serviceflow.receiver.app import Receiver  # noqa: E402


def headers_for(body: bytes) -> dict[str, str]:
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "content-type": "application/json",
        "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "x-zendesk-webhook-invocation-id": str(uuid.uuid4()),
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-signature": sign(SECRET, stamp, body),
    }


def plugin_calls(headers: dict[str, str], body: bytes) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The Zendesk plugin's signature check and parse, through its adapter (the adapter API) or
    through the older plugin hooks, whichever this serviceflow has."""
    hooks = get_plugin_manager().hook
    if hasattr(hooks, "serviceflow_verify_webhook"):
        return (
            lambda: hooks.serviceflow_verify_webhook(
                vendor="zendesk", method="POST", headers=headers, body=body
            ),
            lambda: hooks.serviceflow_parse_webhook(vendor="zendesk", headers=headers, body=body),
        )
    from serviceflow.adapters import WebhookRequest  # type: ignore[import-not-found,unused-ignore]
    from serviceflow.adapters.registry import registry  # type: ignore[import-not-found,unused-ignore]

    adapter = registry().require("zendesk")
    request = WebhookRequest(method="POST", headers=headers, body=body)
    return (
        lambda: adapter.verify_webhook(request),
        lambda: adapter.parse_webhook(request, account="bench", identity=None),
    )


def per_call_us(call: Callable[[], Any], repeat: int) -> float:
    call()
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def stages(repeat: int) -> list[tuple[str, float]]:
    body = envelope(7, datetime.now(UTC))
    headers = headers_for(body)
    verify, parse = plugin_calls(headers, body)
    (event,) = parse()
    converter = pydantic_data_converter.payload_converter
    results = [
        ("verify (the plugin)", verify),
        ("parse (the plugin)", parse),
        ("  of which json.loads of the body", lambda: json.loads(body)),
        ("convert CaseStart() + the event (pydantic data converter)",
            lambda: (converter.to_payloads([CaseStart()]), converter.to_payloads([event]))),
        ("  the event alone: converter.to_payloads([event])", lambda: converter.to_payloads([event])),
        ("  event.model_dump_json()", event.model_dump_json),
        ("  event.model_dump(mode='json') + json.dumps", lambda: json.dumps(event.model_dump(mode="json"))),
        ("  pydantic_core.to_json(event)", lambda: __import__("pydantic_core").to_json(event)),
    ]  # fmt: skip
    try:
        import orjson

        results.append(("  orjson.dumps(event.model_dump(mode='json'))",
                        lambda: orjson.dumps(event.model_dump(mode="json"))))  # fmt: skip
        results.append(("  orjson.loads of the body", lambda: orjson.loads(body)))
    except ImportError:
        pass
    try:
        import msgspec

        decoder = msgspec.json.Decoder()
        results.append(("  msgspec decode of the body", lambda: decoder.decode(body)))
    except ImportError:
        pass
    log = logging.getLogger("serviceflow.receiver")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(io.StringIO()))
    receiver = Receiver(connect=connect, task_queue="x")  # type: ignore[arg-type]
    results += [
        ("the log line (INFO, to a handler)", lambda: log.info(
            "webhook vendor=%s status=200 events=%d duplicates=%d", "zendesk", 1, 0)),
        ("the metrics one delivery touches", lambda: (
            receiver.metrics.received.labels("zendesk").inc(),
            receiver.metrics.signalled.labels("zendesk").inc(),
            receiver.metrics.latency.labels("zendesk").observe(0.01))),
    ]  # fmt: skip
    return [(name, per_call_us(call, repeat)) for name, call in results]


async def profile_receiver(webhooks: int, top: int) -> str:
    # The adapter API's receiver asks the helpdesk once who serviceflow is (users/me).
    zendesk = FakeZendesk().start()
    os.environ.update(
        SERVICEFLOW_ZENDESK_BASE_URL=zendesk.base_url,
        SERVICEFLOW_ZENDESK_EMAIL=zendesk.email,
        SERVICEFLOW_ZENDESK_API_TOKEN=zendesk.api_token,
    )
    root = Path(tempfile.mkdtemp(prefix="serviceflow-profile-"))
    server = DevServer(state_dir=root / "temporal", port=free_port(), ui_port=free_port())
    await server.start()
    try:
        settings = Settings(temporal_address=server.address, task_queue="profile-webhooks")
        receiver = Receiver(connect=lambda: connect(settings, compress=False), task_queue=settings.task_queue)
        logging.getLogger("serviceflow.receiver").setLevel(logging.INFO)
        transport = httpx.ASGITransport(app=receiver.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            bodies = [envelope(n, datetime.now(UTC)) for n in range(webhooks + 20)]
            for body in bodies[:20]:  # warm up: the client connects, the plugins load
                await http.post("/webhooks/zendesk", content=body, headers=headers_for(body))
            profile = cProfile.Profile()
            queue = list(reversed(bodies[20:]))

            async def lane() -> None:
                while queue:
                    body = queue.pop()
                    response = await http.post("/webhooks/zendesk", content=body, headers=headers_for(body))
                    assert response.status_code == 200, response.text

            started_cpu = time.process_time()
            profile.enable()
            await asyncio.gather(*(lane() for _ in range(16)))
            profile.disable()
            cpu = time.process_time() - started_cpu
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        return (
            f"{webhooks} webhooks, {cpu / webhooks * 1000:.2f} ms CPU each (profiled, client side included)\n"
            + (out.getvalue())
        )
    finally:
        server.stop()
        zendesk.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--webhooks", type=int, default=400)
    parser.add_argument("--top", type=int, default=45, help="functions listed from the profile")
    args = parser.parse_args()
    print(f"# profile_receiver - {describe()}")
    for name, us in stages(args.repeat):
        print(f"{us:8.1f} µs  {name}")
    if args.webhooks:
        print(asyncio.run(profile_receiver(args.webhooks, args.top)))
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300


if __name__ == "__main__":
    main()
