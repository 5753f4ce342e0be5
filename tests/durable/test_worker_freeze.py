"""Once started, the worker moves start-up's objects out of the cyclic collector's full
collections (durable/worker.py freeze_startup; RESULTS.md memory10: about 0.3 ms of worker CPU a
case less in the collector): garbage is collected first, what lives is frozen, and `serviceflow
worker` does it against a real Temporal dev server."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import sys
import weakref
from pathlib import Path

from serviceflow.durable.devserver import DevServer
from serviceflow.durable.worker import freeze_startup
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
FROZE = re.compile(r"froze (\d+) objects of start-up out of the collector's full collections")


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_freezing_collects_first_then_moves_what_lives_out_of_the_collectors_reach() -> None:
    garbage, kept = Node(), Node()
    gone = weakref.ref(garbage)
    del garbage
    before = gc.get_freeze_count()
    try:
        freeze_startup()
        assert gone() is None  # collected, not frozen
        assert gc.get_freeze_count() > before
        assert not any(o is kept for o in gc.get_objects())  # frozen objects are not tracked
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects(generation=2))


async def test_the_worker_freezes_once_it_has_started(tmp_path: Path) -> None:
    server = DevServer.on_free_ports(tmp_path / "temporal", free_port)
    await server.start()
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    env.update(
        SERVICEFLOW_TEMPORAL_ADDRESS=server.address,
        SERVICEFLOW_TASK_QUEUE="freeze",
        SERVICEFLOW_POLICIES=json.dumps([str(REPO / "policies")]),
        SERVICEFLOW_LOG_LEVEL="DEBUG",
        SERVICEFLOW_LOAD_PLUGINS="",
    )
    command = [sys.executable, "-m", "serviceflow", "worker"]
    worker = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:

        async def froze() -> bool:
            return FROZE.search(log.read_text(errors="replace")) is not None

        await eventually(froze, 90, "the worker to start and freeze (see worker.log)")
        found = FROZE.search(log.read_text(errors="replace"))
        assert found is not None and int(found.group(1)) > 10_000  # start-up's modules and types
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, log.read_text(errors="replace")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        server.stop()
