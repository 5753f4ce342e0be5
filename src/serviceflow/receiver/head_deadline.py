"""The head's deadline that both HTTP protocols share, and the h11 protocol with it.

uvicorn has no timeout for a request's head: ``timeout_keep_alive`` runs only between requests,
and every byte resets it (encode/uvicorn#157, not done), so a client that sends nothing, or a
header a byte at a time, holds its connection for ever. Here a timer closes a connection without
a complete head ``header_timeout`` seconds after it opened (after an answer, the keep-alive time
on top). The httptools protocol, with its size bounds, is :mod:`serviceflow.receiver.protocol`.

h11 is the fallback when httptools is not installed (it is one of serviceflow's own
dependencies, and no setting selects h11): it bounds a head only while it is incomplete (its
``max_incomplete_event_size``, 16 KiB), so a larger head that arrives whole in one read is taken
there, where httptools answers 431 (UNVERIFIED beyond h11's own docs of that setting).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = logging.getLogger("serviceflow.receiver")


class HeaderDeadline:
    """What the two protocols share: the head's deadline and size bound (a mixin)."""

    header_timeout: float = 10.0
    keep_alive: float = 5.0
    # Given by uvicorn's protocols, which this mixes into.
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    # The deadline is a time (``_head_due``, None when disarmed) and one timer per connection
    # that may fire early: arming after each answer moves the time, and the timer, when it
    # fires before it, waits again for the rest. So a kept-alive connection makes no timer per
    # request (a TimerHandle, its heap push and its cancel were three of a webhook's steps).
    # On httptools the same timer keeps uvicorn's keep-alive too (``_idle_due``, below).
    def _deadline_init(self) -> None:
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_due: float | None = None
        self._idle_due: float | None = None

    def _arm(self, seconds: float) -> None:
        due = self.loop.time() + seconds
        self._head_due = due
        self._wake_by(due)

    def _wake_by(self, due: float) -> None:
        timer = self._head_deadline
        if timer is None or timer.when() > due:
            if timer is not None:
                timer.cancel()
            self._head_deadline = self.loop.call_at(due, self._head_timed_out)

    def _disarm(self) -> None:
        self._head_due = None  # a timer still scheduled finds nothing to do

    def _stop_deadline(self) -> None:
        self._head_due = self._idle_due = None
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        now, idle, due = self.loop.time(), self._idle_due, self._head_due
        if idle is not None and idle <= now:  # kept alive and idle: uvicorn's keep-alive timeout
            self._idle_due = None
            if not self.transport.is_closing():
                self.transport.close()
            return
        if due is not None and due <= now:
            self._head_due = due = None
            if not self.transport.is_closing() and self._waiting_for_head():
                late = "connection closed: no complete request head in time (%.0f s)"
                log.warning(late, self.header_timeout)
                self.transport.close()
                return
        later = [at for at in (idle, due) if at is not None]  # armed again since: wait for the rest
        if later and not self.transport.is_closing():
            self._head_deadline = self.loop.call_at(min(later), self._head_timed_out)


class HeaderDeadlineProtocol(HeaderDeadline, H11Protocol):
    """H11Protocol that closes a connection whose request head takes over ``header_timeout``."""

    def __init__(self, config: Config, server_state: ServerState, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, server_state, *args, **kwargs)
        self._deadline_init()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a request head arrived and its cycle began
            self._disarm()

    def on_response_complete(self) -> None:
        self._arm(self.keep_alive + self.header_timeout)  # before a pipelined request starts a cycle
        super().on_response_complete()
        if not self._waiting_for_head():  # a pipelined request's cycle began
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)
