"""A dev server is ready when its ``default`` namespace answers, not when its port listens: the
server listens before the namespace is registered (temporalio/temporal#1057)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from serviceflow.durable.devserver import DevServer
from serviceflow.errors import ServiceflowError


async def test_a_port_that_listens_but_serves_no_namespace_is_not_ready(tmp_path: Path) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    listener = await asyncio.start_server(hang_up, "127.0.0.1", 0, family=socket.AF_INET)
    port = listener.sockets[0].getsockname()[1]
    try:
        server = DevServer(tmp_path, port=port)
        with pytest.raises(ServiceflowError, match="did not serve the namespace default"):
            await server.wait_ready(timeout=3)
    finally:
        listener.close()
        await listener.wait_closed()
