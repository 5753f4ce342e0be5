"""Serve an ASGI app with uvicorn on a loopback port in a background thread (a fake's server).

Tests, the demo and plugin authors need a real HTTP server (real sockets, real headers, real
keep-alive) without a subprocess. The port is chosen by the OS when the socket is bound here, so
parallel runs never collide, and start-up waits on an event set by uvicorn's own start-up, bounded
by a timeout: no polling, no sleeps.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn


class ServerStartError(RuntimeError):
    """The background server did not come up in time, or crashed while starting."""


class _SignallingServer(uvicorn.Server):
    """A uvicorn server that sets an event once it is accepting connections."""

    def __init__(self, config: uvicorn.Config, started: threading.Event) -> None:
        super().__init__(config)
        self._started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._started_event.set()


class ServerThread:
    """One ASGI app on ``127.0.0.1:<OS-chosen port>``, served from a daemon thread.

    Usable as a context manager or with explicit :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        name: str = "asgi-server",
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        """Prepare (but do not start) the server.

        Args:
            app: The ASGI application.
            host: A loopback address; anything else is refused, because these servers are test
                doubles and must never be reachable from the network.
            name: Thread name, for debugging.
            startup_timeout: Seconds :meth:`start` waits for the server to accept connections.
            shutdown_timeout: Seconds :meth:`stop` waits for the thread to finish.

        Raises:
            ValueError: ``host`` is not a loopback address.
        """
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"refusing to serve on non-loopback address {host!r}")
        self._app = app
        self._host = host
        self._name = name
        self._startup_timeout = startup_timeout
        self._shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._server: _SignallingServer | None = None
        self._port: int | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        """The bound port; only valid while running."""
        if self._port is None:
            raise RuntimeError("server is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind a port, start serving, and return once connections are accepted.

        Raises:
            ServerStartError: uvicorn crashed during start-up or did not start in time.
        """
        if self.running:
            return
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only for
        # sockets that say they are TCP, and without it every response waits ~40 ms (Nagle
        # against delayed ACK) because uvicorn writes headers and body separately.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind((self._host, 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_config=None,  # never reconfigure the host process's logging
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        started = threading.Event()
        self._error = None
        self._server = _SignallingServer(config, started)
        self._thread = threading.Thread(target=self._run, args=(sock, started), name=self._name, daemon=True)
        self._thread.start()
        if not started.wait(self._startup_timeout) or not self._server.started:
            self.stop()
            raise ServerStartError(
                f"{self._name} did not start within {self._startup_timeout}s"
            ) from self._error

    def stop(self) -> None:
        """Stop serving and join the thread; open keep-alive connections are not waited for.

        Raises:
            RuntimeError: the thread did not finish within the shutdown timeout.
        """
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
            server.force_exit = True
        if thread is not None:
            thread.join(self._shutdown_timeout)
            if thread.is_alive():
                raise RuntimeError(f"{self._name} did not stop within {self._shutdown_timeout}s")
        self._thread = None
        self._server = None
        self._port = None

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, sock: socket.socket, started: threading.Event) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to start() via the error slot
            self._error = exc
        finally:
            sock.close()
            started.set()  # wake start() if start-up failed before uvicorn set it


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test or a benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
