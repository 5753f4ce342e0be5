"""A dev server on free ports survives the race no port picker can close: another process takes
a port between its pick and the server's bind. It starts again on new ports, and never reuses a
server that happens to listen there (that would join two tests' cases on one server)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from serviceflow.durable.devserver import DevServer, PortTaken
from serviceflow.fakes.server import free_port


@pytest.fixture
def taken() -> Iterator[int]:
    """A loopback port another process (this one) listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def picks(*first: int) -> Callable[[], int]:
    """A port picker that answers ``first`` in order, then free ports."""
    queue = list(first)
    return lambda: queue.pop(0) if queue else free_port()


async def test_a_taken_ui_port_is_named_when_the_ports_were_given(tmp_path: Path, taken: int) -> None:
    server = DevServer(tmp_path, port=free_port(), ui_port=taken)
    try:
        with pytest.raises(PortTaken, match=f"UI {taken}.*another process uses it"):
            await server.start(timeout=30)
    finally:
        server.stop()


async def test_a_server_on_free_ports_starts_again_on_new_ones_when_a_port_was_taken(
    tmp_path: Path, taken: int
) -> None:
    main_port = free_port()
    server = DevServer.on_free_ports(tmp_path, picks(main_port, taken))  # its UI port is taken
    try:
        await server.start(timeout=60)
        assert server.ui_port != taken and server.port != main_port and not server.reused
        assert server.process is not None and server.process.poll() is None
    finally:
        server.stop()
    assert b"address already in use" in (tmp_path / "temporal.log").read_bytes()  # the first launch's


async def test_a_server_on_free_ports_never_reuses_what_listens_on_its_port(
    tmp_path: Path, taken: int
) -> None:
    server = DevServer.on_free_ports(tmp_path, picks(taken))
    try:
        await server.start(timeout=60)
        assert server.port != taken and not server.reused
    finally:
        server.stop()


async def test_given_ports_reuse_a_server_that_listens(tmp_path: Path, taken: int) -> None:
    server = DevServer(tmp_path, port=taken)
    await server.start(timeout=5)
    assert server.reused and server.process is None
