"""uvicorn's h11 protocol with a deadline for a request's headers.

uvicorn has no such timeout: ``timeout_keep_alive`` runs only between requests, once an answer is
sent, and every byte received resets it (encode/uvicorn#157, "--timeout-request-start", not
done), so a client that connects and sends nothing, or a header a byte at a time, holds its
connection for ever. Here a timer starts when the connection opens and closes it if no complete
request head has arrived ``header_timeout`` seconds later; after each answer the timer allows the
keep-alive time on top, so an idle kept-alive connection ends by uvicorn's own timeout first.
Once the head is in, the app's body deadline takes over (``SERVICEFLOW_RECEIVER_BODY_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = logging.getLogger("serviceflow.receiver")


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes a connection whose request head takes over ``header_timeout``."""

    header_timeout: float = 10.0
    keep_alive: float = 5.0

    def __init__(self, config: Config, server_state: ServerState, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, server_state, *args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a request head arrived and its cycle began
            self._disarm()

    def on_response_complete(self) -> None:
        cycle = self.cycle
        self._arm(self.keep_alive + self.header_timeout)  # before a pipelined request starts a cycle
        super().on_response_complete()
        if self.cycle is not cycle:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(seconds, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        log.warning("connection closed: no complete request head in time (%.0f s)", self.header_timeout)
        self.transport.close()


def protocol_with(header_timeout: float, keep_alive: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for uvicorn's ``http=`` setting, with these deadlines."""
    fields = {"header_timeout": header_timeout, "keep_alive": keep_alive}
    return type("HeaderDeadline", (HeaderDeadlineProtocol,), fields)
