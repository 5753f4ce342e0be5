"""Instructions per Zendesk webhook in the plugin alone (its verify and its parse), counted by
callgrind in-process: load-independent, and a few seconds a count.

callgrind_receiver.py counts the whole receiver (HTTP, the SDK's threads, the log line); this
counts only what the Zendesk adapter does with a delivery the receiver hands it: ``verify_webhook``
(settings, the HMAC, the timestamp window) and ``parse_webhook`` (the envelope's JSON and models,
the TicketEvent), on bench_ingest's bodies (a ``ticket.created`` and a requester's
``ticket.comment_added``). Each stage runs in a fresh ``python`` under ``valgrind
--tool=callgrind`` twice, with 0 and with ``--calls`` calls after the same set-up and warm-up;
the difference divided by ``--calls`` is the figure. Start-up's objects are frozen out of the
cyclic collector's reach first, as `serviceflow serve` does, so a full collection costs what it
costs the receiver. With ``--base DIR`` (``git archive main``)
the same counts run on that checkout's code (its src/ and plugins' src/ first on PYTHONPATH), and
the ratios are printed.

Run: .venv/bin/python benchmarks/ingest_plugin.py [--calls 2000] [--base DIR]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

STAGES = ("verify", "parse-new", "parse-update")
SECRET = "bench-ingest-secret"


def child(stage: str, calls: int) -> None:
    """The measured loop (run under valgrind by the parent)."""
    from datetime import UTC, datetime

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest_workload import envelope
    from serviceflow_zendesk.signature import sign

    from serviceflow.adapters import WebhookRequest
    from serviceflow.adapters.registry import registry

    now = datetime.now(UTC)
    body = envelope(7, now, 1 if stage == "parse-update" else 0)
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    headers = {
        "content-type": "application/json",
        "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "x-zendesk-webhook-invocation-id": "6d0a2f4e-5b1c-4a57-9d0e-3f2b8c7a1e90",
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-signature": sign(SECRET, stamp, body),
    }
    adapter = registry().require("zendesk")
    request = WebhookRequest(method="POST", headers=headers, body=body)
    if stage == "verify":
        verdict = adapter.verify_webhook(request)
        assert verdict.accepted, verdict

        def call() -> object:
            return adapter.verify_webhook(request)
    else:
        (event,) = adapter.parse_webhook(request, account="bench", identity=None)

        def call() -> object:
            return adapter.parse_webhook(request, account="bench", identity=None)

    for _ in range(200):  # warm-up: caches, the settings' first read
        call()
    gc.collect()
    gc.freeze()  # as `serviceflow serve` does once serving (receiver/server.py settle_collector)
    for _ in range(calls):
        call()


def instructions(out: Path) -> int:
    found = re.findall(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    return int(found[-1])


def count(stage: str, calls: int, source: Path | None) -> float:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    environment.update(
        PYTHONHASHSEED="0",
        SERVICEFLOW_ZENDESK_SUBDOMAIN="bench",
        SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=SECRET,
    )
    if source is not None:
        paths = [source / "src", *sorted((source / "plugins").glob("*/src"))]
        environment["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    totals = []
    with tempfile.TemporaryDirectory(prefix="serviceflow-plugin-callgrind-") as root:
        for n in (0, calls):
            out = Path(root) / f"callgrind.{n}"
            subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                 sys.executable, __file__, "--child", stage, "--calls", str(n)],
                env=environment, check=True, capture_output=True, timeout=900,
            )  # fmt: skip
            totals.append(instructions(out))
    return (totals[1] - totals[0]) / calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--base", type=Path, help="also count another checkout (git archive main)")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.calls)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import describe

    print(f"# ingest_plugin - {describe()}")
    print(f"instructions per call of the Zendesk adapter, {arguments.calls} calls, callgrind")
    for stage in arguments.stages:
        ours = count(stage, arguments.calls, None)
        line = f"{stage:13} this checkout {ours / 1e3:8.1f} k"
        if arguments.base is not None:
            theirs = count(stage, arguments.calls, arguments.base)
            line += f"   base {theirs / 1e3:8.1f} k   this / base {ours / theirs:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
