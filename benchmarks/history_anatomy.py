"""Where a case's history bytes go: bench_durable's case shape (one ticket, a first-response
target of ``--within`` s, its at-risk warning and its breach), run by a durable_worker.py process
against a dev server as bench_durable runs it, then one case's history sized event by event and,
inside each event, payload by payload (the start input, the signal, each marker's data and
details, the user metadata, headers, search attributes). ``--before DIR`` runs the same on
another checkout's src/ (e.g. ``git archive main``), in the same run, and prints both.

Run: .venv/bin/python benchmarks/history_anatomy.py [--before /tmp/base] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from durable_phase import ROSTER, Bench  # noqa: E402
from google.protobuf.message import Message  # noqa: E402
from machine import describe  # noqa: E402
from temporalio.api.common.v1 import Payload  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.api.history.v1 import HistoryEvent  # noqa: E402
from temporalio.client import Client  # noqa: E402

from serviceflow.durable.devserver import DevServer  # noqa: E402
from serviceflow.durable.settings import Settings  # noqa: E402
from serviceflow.durable.worker import connect  # noqa: E402
from serviceflow.fakes.server import free_port  # noqa: E402


def payloads_in(message: Message, path: str = "") -> list[tuple[str, Payload]]:
    """Every payload in a protobuf message, with its field path."""
    found: list[tuple[str, Payload]] = []
    if isinstance(message, Payload):
        return [(path, message)]
    for descriptor, value in message.ListFields():
        here = f"{path}.{descriptor.name}" if path else descriptor.name
        if descriptor.message_type is None:
            continue
        if not isinstance(value, Message):  # a repeated field or a map
            items = value.items() if hasattr(value, "items") else enumerate(value)
            for key, item in items:
                if isinstance(item, Message):
                    found.extend(payloads_in(item, f"{here}[{key}]"))
        else:
            found.extend(payloads_in(value, here))
    return found


def anatomy(event: HistoryEvent) -> dict[str, Any]:
    """One event: its type, its bytes, and each payload's bytes (data, metadata)."""
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
    parts = []
    for path, payload in payloads_in(event):
        parts.append({"path": path, "bytes": payload.ByteSize(), "data": len(payload.data),
                      "metadata": sum(len(k) + len(v) for k, v in payload.metadata.items())})  # fmt: skip
    return {"id": event.event_id, "type": name, "bytes": event.ByteSize(), "payloads": parts}


def json_fields(data: bytes) -> dict[str, int]:
    """A JSON object's top-level fields and the bytes of each (key and value)."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {key: len(json.dumps({key: item}, separators=(",", ":"))) - 2 for key, item in value.items()}


def report(label: str, events: list[HistoryEvent]) -> dict[str, Any]:
    total = sum(e.ByteSize() for e in events)
    print(f"\n## {label}: {len(events)} events, {total} bytes ({total / 1024:.1f} KiB)")
    rows = []
    for event in events:
        row = anatomy(event)
        rows.append(row)
        print(f"{row['id']:>3} {row['type']:<45} {row['bytes']:>6}")
        for part in row["payloads"]:
            sizes = f"(data {part['data']}, metadata {part['metadata']})"
            print(f"      {part['path']:<70} {part['bytes']:>6} {sizes}")
        for _, payload in payloads_in(event):
            fields = json_fields(payload.data)
            if fields and payload.ByteSize() > 300:
                big = sorted(fields.items(), key=lambda kv: -kv[1])
                print("        fields: " + ", ".join(f"{k} {n}" for k, n in big))
                for key, n in big:  # one level further into large JSON-in-JSON (state_json)
                    inner = json.loads(payload.data)[key]
                    if isinstance(inner, str) and n > 300 and inner.startswith("{"):
                        nested = sorted(json_fields(inner.encode()).items(), key=lambda kv: -kv[1])
                        print(f"          {key}: " + ", ".join(f"{k} {m}" for k, m in nested))
                    elif isinstance(inner, dict) and n > 300:
                        nested = sorted(
                            json_fields(json.dumps(inner).encode()).items(), key=lambda kv: -kv[1]
                        )
                        print(f"          {key}: " + ", ".join(f"{k} {m}" for k, m in nested))
    return {"label": label, "events": len(events), "bytes": total, "rows": rows}


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="serviceflow-anatomy-"))
    (root / "policies").mkdir()
    (root / "roster.yaml").write_text(ROSTER)
    server = DevServer.on_free_ports(root / "temporal", free_port)
    await server.start()
    print(f"# history_anatomy - {describe()}; load {os.getloadavg()}", flush=True)
    out = []
    try:
        clients = {
            "case": await connect(Settings(temporal_address=server.address)),
            "floor": await Client.connect(server.address),
        }
        bench = Bench(root, server, clients)
        bench.before = args.before
        kinds = ["case", "floor"] + (["before"] if args.before else [])
        for kind in kinds:
            phase = await bench.phase(kind, args.cases, args.rate, args.within)
            tag = f"p{bench.phases}-0"
            workflow_id = f"floor-{tag}" if kind == "floor" else f"bench:bench:{tag}"
            history = (
                await clients["floor" if kind == "floor" else "case"]
                .get_workflow_handle(workflow_id)
                .fetch_history()
            )
            out.append(report(f"{kind} ({phase.source or 'floor'})", list(history.events)))
            if args.save is not None:  # the whole history, as `temporal workflow show --output json`
                (args.save / f"{kind}.json").write_text(history.to_json())
    finally:
        server.stop()
    print(f"\nload average at the end: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--within", type=float, default=6.0)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--json", default=None, help="the sizes, as JSON, to this file")
    parser.add_argument("--save", type=Path, default=None, help="each kind's history to DIR/<kind>.json")
    asyncio.run(main(parser.parse_args()))
