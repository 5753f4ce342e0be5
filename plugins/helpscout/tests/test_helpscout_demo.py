"""``serviceflow dev --helpdesk helpscout`` tells the story through the fake Help Scout: signed
webhooks to the receiver, which reads the conversations' threads, owners and case summaries
written back through the adapter, the spam folder watched. Real processes, a real Temporal dev
server; every wait is on the log, bounded."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import wait_until


def text(log: Path) -> str:
    return log.read_text(errors="replace")


async def test_serviceflow_dev_tells_its_story_through_the_fake_help_scout(tmp_path: Path) -> None:
    port, ui_port, webhook_port = free_port(), free_port(), free_port()
    log = tmp_path / "dev.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serviceflow",
            "dev",
            "--state-dir",
            str(tmp_path / "state"),
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--webhook-port",
            str(webhook_port),
            "--pace",
            "0.1",
            "--helpdesk",
            "helpscout",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_until(lambda: "fake Help Scout at http://127.0.0.1:" in text(log), 90, "the demo helpdesk")
        await wait_until(
            lambda: "'Charged twice for order 1042': owner Ada Agent" in text(log), 60, "an owner"
        )
        await wait_until(
            lambda: re.search(r"note: Case summary for helpscout:demo-[0-9-]+:100001", text(log)),
            60,
            "a summary",
        )
        await wait_until(lambda: "first response met" in text(log), 60, "a person's reply")
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(60)
    assert code == 0, text(log)
    assert "Traceback" not in text(log)
