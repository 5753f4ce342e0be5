"""uvicorn's HTTP protocol with a deadline and a size bound for a request's headers.

uvicorn has no such timeout: ``timeout_keep_alive`` runs only between requests, and every byte
resets it (encode/uvicorn#157, not done), so a client that sends nothing, or a header a byte at
a time, holds its connection for ever. Here a timer closes a connection without a complete head
``header_timeout`` seconds after it opened (after an answer, the keep-alive time on top); once
the head is in, the app's body deadline takes over (``SERVICEFLOW_RECEIVER_BODY_TIMEOUT``). The
deadline is :mod:`serviceflow.receiver.head_deadline`'s, shared with the h11 protocol there.

The parser is httptools (llhttp, in C) when it is installed, as it is with serviceflow's own
dependencies, else h11 (pure Python): httptools costs a fraction of h11's CPU per request
(benchmarks/RESULTS.md, "The receiver under 1 ms"). llhttp has no bound of its own on a head's
size (h11 stops at 16 KiB, its ``max_incomplete_event_size``), so the same bound is kept here:
a request head over :data:`MAX_HEAD_BYTES` is answered 431 and its connection closed (h11
answers 400). Nor does it bound a chunked body's framing (chunk extensions, trailers), which h11
holds to the same 16 KiB: here a message's bytes that are not body (its head and framing) may be
at most twice :data:`MAX_HEAD_BYTES` more than the body itself, else the answer is 400 and the
connection closes. Both count a message's own bytes whatever the read boundaries (a read is
parsed in pieces of :data:`PIECE_BYTES`: at most a piece goes uncounted). Pipelined requests are
bounded too (:data:`MAX_PIPELINED`), where uvicorn queued all of every read (attack11, F1). A
chunked body's trailer fields are dropped, as h11 drops them, not appended to its headers.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from serviceflow.receiver.head_deadline import HeaderDeadline, HeaderDeadlineProtocol

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle as HttpToolsCycle
try:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 it is
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger("serviceflow.receiver")

#: Bytes a request line and headers may take (h11's default incomplete-event size).
MAX_HEAD_BYTES = 16 * 1024
#: Requests one connection may have parsed and queued behind the one being answered (HTTP/1.1
#: pipelining): past it the rest of the read is held unparsed and reading stops until the queue
#: drains. The piece that fills it may queue at most PIECE_BYTES more of requests.
MAX_PIPELINED = 16
#: A read longer than this (or one behind queued requests) is parsed in pieces of this size.
PIECE_BYTES = 4096
#: A request's scope key, True once its whole body has arrived (httptools): the app then reads
#: it without starting its body deadline (nothing is left to wait for).
BODY_COMPLETE = "serviceflow.body_complete"
#: A request's scope key (httptools): the whole body, set with :data:`BODY_COMPLETE`. Whole
#: while the app has not read from ``receive`` yet: an app that finds BODY_COMPLETE at its start
#: may take it instead (uvicorn's cycle keeps the body it has not handed out in ``cycle.body``).
BODY = "serviceflow.body"
#: A request's scope key (httptools): ``respond(status, head, body, close) -> bool``, the whole
#: answer in one transport write (the status line, uvicorn's default headers, ``head``: the
#: app's header lines, each ending in CRLF, ``content-length`` among them, and the body), the
#: cycle completed as uvicorn's
#: ``RequestResponseCycle.send`` completes it. False when the answer must go by ASGI ``send``
#: instead (already started, the client gone, writing paused, an access log to write).
RESPOND = "serviceflow.respond"


class HeadTooLarge(Exception):
    """Raised inside httptools' callback to stop parsing a head over MAX_HEAD_BYTES (answered)."""


_FRAMING = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\nconnection: close\r\n\r\nchunked framing over its bound\r\n"
)

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 26\r\nconnection: close\r\n\r\nrequest head over 16 KiB\r\n"
)


if HttpToolsProtocol is not None:
    import httptools
    from uvicorn.protocols.http.flow_control import FlowControl

    class _HeldFlow(FlowControl):
        """Reading paused while requests are queued or bytes held: uvicorn resumes it at each answer
        and ``receive``, and each answer let one more read be parsed into cycles (F1)."""

        def __init__(self, transport: asyncio.Transport, protocol: HttpToolsDeadlineProtocol) -> None:
            super().__init__(transport)
            self._protocol = weakref.ref(protocol)

        def resume_reading(self) -> None:
            if (protocol := self._protocol()) is None or not (protocol.pipeline or protocol._held):
                super().resume_reading()

    class HttpToolsDeadlineProtocol(HeaderDeadline, HttpToolsProtocol):
        """HttpToolsProtocol with the same head deadline and size bound, and a bounded pipeline."""

        cycle: HttpToolsCycle

        def __init__(self, config: Config, server_state: ServerState, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, server_state, *args, **kwargs)
            self._deadline_init()
            # Bytes received (``_total``), and before the piece being parsed (``_mark``); a
            # message began in the piece between ``_begin`` and ``_begin_end``, at its start when
            # ``_began_at_start`` (no message ended in it before); ``_held``: read, not parsed.
            self._in_head, self._in_body, self._body_bytes = False, False, 0
            self._held: bytes | memoryview = b""
            self._total = self._mark = self._begin = self._begin_end = 0
            self._piece, self._ended_in, self._began_at_start = 0, -1, True
            self._refused_upgrade = False  # an Upgrade request came: nothing after it is read

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.flow = _HeldFlow(transport, self)
            self._arm(self.header_timeout)

        def data_received(self, data: bytes) -> None:
            if self._refused_upgrade:
                return  # what follows a refused upgrade is not parsed (_upgrade_refused)
            self._idle_due = None  # as uvicorn's keep-alive timer, stopped by any byte
            if len(data) > PIECE_BYTES or self.pipeline or self._held:
                self._feed_in_pieces(data)
            else:
                self._feed(data)

        def _feed(self, data: bytes | memoryview) -> None:
            cycle = self.cycle
            self._piece += 1
            self._mark = self._total
            self._total = total = self._mark + len(data)
            try:  # uvicorn's data_received, but for a head refused from a callback (logged once)
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                self._upgrade_refused()
                if self.cycle is not cycle:  # its cycle began: the head's deadline is done
                    self._disarm()
                return
            except httptools.HttpParserError:
                if not self.transport.is_closing():  # else answered 431 from on_headers_complete
                    self.logger.warning("Invalid HTTP request received.")
                    self.send_400_response("Invalid HTTP request received.")
                return
            # A message's own bytes (a lower bound): from its first piece on, all of that piece
            # when it began at the piece's start.
            if self._in_body:
                own = total - (self._begin if self._began_at_start else self._begin_end)
                if own - self._body_bytes > 2 * MAX_HEAD_BYTES + self._body_bytes:
                    self._refuse(_FRAMING, "a chunked body's framing over its bound")
                    return
            if self.cycle is not cycle:  # a head completed: its cycle began (or was queued)
                self._disarm()
            if self._in_head:
                own = total - (self._begin if self._began_at_start else self._begin_end)
                if own > MAX_HEAD_BYTES:
                    self._refuse(_TOO_LARGE, f"a request head over {MAX_HEAD_BYTES} bytes")

        def _feed_in_pieces(self, data: bytes) -> None:
            # llhttp cannot stop inside what it is given: in pieces, a Content-Length body's rest in
            # one, until MAX_PIPELINED wait (a read parsed whole queued every request in it).
            held = (bytes(self._held) + data if data else self._held) if self._held else data
            view, at, self._held = memoryview(held), 0, b""
            while at < len(view) and not self.transport.is_closing() and not self._refused_upgrade:
                if len(self.pipeline) >= MAX_PIPELINED:
                    self._held = view[at:]  # no copy: one held per answer copied 256 KiB each
                    self.flow.pause_reading()
                    return
                size = self._piece_bytes()
                self._feed(view[at : at + size])
                at += size

        def _upgrade_refused(self) -> None:
            # llhttp stops at a request asking to switch protocols (Upgrade), and the receiver
            # speaks only HTTP/1.1 (uvicorn's ws="none"): the request is answered as a plain one,
            # as RFC 9110 section 7.8 lets a server ignore Upgrade, and with "connection: close",
            # so nothing sent after it is parsed, which may be in the other protocol. uvicorn
            # (httptools_impl.py, data_received) drops the rest of that read only, keeps the
            # connection, and parses a later read as new requests.
            self._held, self._refused_upgrade = b"", True
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                cycle.keep_alive = False  # closes the connection once it is answered
            elif not self.transport.is_closing():
                self.transport.close()
            # llhttp (httptools 0.9) ends such a request at its head, so a body it declares is not
            # read: the app gets none (a webhook so sent is refused for its signature or JSON).
            fields = dict(self.headers)
            unread = b"transfer-encoding" in fields or fields.get(b"content-length", b"0") != b"0"
            log.warning(
                "an upgrade to %r refused: answered as HTTP/1.1%s, then the connection closed",
                fields.get(b"upgrade", b"")[:32].decode("latin-1"),
                " without its body (send it over HTTP/1.1 without Upgrade)" if unread else "",
            )

        def _piece_bytes(self) -> int:
            if self._in_body:
                for name, value in self.headers:
                    if name == b"content-length" and value.isdigit():
                        return max(int(value) - self._body_bytes, 0) + PIECE_BYTES
            return PIECE_BYTES

        def _refuse(self, answer: bytes, why: str) -> None:
            self._held = b""
            if not self.transport.is_closing():
                log.warning("connection closed: %s", why)
                self.transport.write(answer)
                self.transport.close()

        # The parser's callbacks. llhttp begins a message at its first byte. A head that begins
        # behind another message in the same piece (pipelining) is counted from the next piece
        # on, and a head that ends in a piece counted from its headers: at most a piece more.
        def on_message_begin(self) -> None:
            self._in_head, self._begin, self._begin_end = True, self._mark, self._total
            self._began_at_start = self._ended_in != self._piece
            super().on_message_begin()

        def on_header(self, name: bytes, value: bytes) -> None:
            # llhttp reports a chunked body's trailer fields as headers, and uvicorn appends them
            # to the list that is the scope's: a trailer's signature, secret or content-type was
            # taken as the head's (the last value wins). Dropped, as h11 drops them (RFC 9110
            # section 6.5.1: merged only where the field's rules are known; attack14).
            if not self._in_body:
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._in_body, self._body_bytes = True, 0
            if self._total - self._begin > MAX_HEAD_BYTES:  # it may be over: count it (F4)
                self._bound_head()
            cycle = self.cycle
            super().on_headers_complete()
            if self.cycle is not cycle and not self.access_log:  # a new request's cycle
                self.cycle.scope[RESPOND] = _responder(self, self.cycle)  # type: ignore[literal-required]

        def _bound_head(self) -> None:
            before = self._mark - (self._begin if self._began_at_start else self._begin_end)
            fields = len(self.url) + sum(len(name) + len(value) + 3 for name, value in self.headers)
            if max(before, fields) > MAX_HEAD_BYTES:  # both at most its bytes on the wire
                self._refuse(_TOO_LARGE, f"a request head over {MAX_HEAD_BYTES} bytes")
                raise HeadTooLarge(f"request head over {MAX_HEAD_BYTES} bytes: answered 431")

        def on_body(self, body: bytes) -> None:
            self._body_bytes += len(body)
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._ended_in = self._piece
            self._in_body = False
            cycle = self.cycle
            if cycle is not None:
                cycle.scope[BODY_COMPLETE] = True  # type: ignore[literal-required]
                cycle.scope[BODY] = cycle.body  # type: ignore[literal-required]
            super().on_message_complete()

        def _respond(self, cycle: HttpToolsCycle, status: int, head: bytes, body: bytes, close: bool) -> bool:
            # What RequestResponseCycle.send does for a start and a last body message (uvicorn
            # 0.55, protocols/http/httptools_impl.py), in one write: the default headers (server,
            # date) first; "connection: close" where the answer or the request ends the connection.
            if cycle.response_started or cycle.disconnected or cycle.flow.write_paused:
                return False
            if cycle.scope["method"] == "HEAD":  # its answer has no body: left to send()
                return False
            cycle.response_started = True
            cycle.waiting_for_100_continue = False
            if close:
                cycle.keep_alive = False
            parts = [STATUS_LINE[status]]
            for name, value in cycle.default_headers:
                parts += (name, b": ", value, b"\r\n")
            parts.append(head)
            if not cycle.keep_alive and not close:
                parts.append(b"connection: close\r\n")
            parts += (b"\r\n", body)
            self.transport.write(b"".join(parts))
            cycle.response_complete = True
            cycle.message_event.set()
            if not cycle.keep_alive:
                self.transport.close()
            cycle.on_response()
            return True

        def on_response_complete(self) -> None:
            # HttpToolsProtocol.on_response_complete (uvicorn 0.55) but for its keep-alive timer (the
            # one deadline timer checks ``_idle_due``) and its reading resumed with a queue (F1).
            self._arm(self.keep_alive + self.header_timeout)
            self.server_state.total_requests += 1
            if self.transport.is_closing():
                return
            self._unset_keepalive_if_required()
            if self.pipeline:
                cycle, app = self.pipeline.pop()
                self._start_asgi_task(cycle, app)
            if self._held:  # room in the pipeline: parse what was held
                self._feed_in_pieces(b"")
            if not self.pipeline and not self._held:
                self.flow.resume_reading()
                if self._waiting_for_head():
                    self._idle_due = self.loop.time() + self.timeout_keep_alive
                    self._wake_by(self._idle_due)
            if not self._waiting_for_head():  # a pipelined request is queued or began
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_deadline()
            self._held = b""
            super().connection_lost(exc)


def protocol_with(
    header_timeout: float, keep_alive: float, *, parser: str = "auto"
) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's ``http=`` setting, with these deadlines.

    ``parser`` is ``httptools``, ``h11`` or ``auto`` (httptools when installed).
    """
    if parser not in ("auto", "httptools", "h11"):
        raise ValueError(f"unknown HTTP parser {parser!r}: auto, httptools or h11")
    if parser == "httptools" and HttpToolsProtocol is None:
        raise ValueError("the httptools HTTP parser is not installed")
    base: type[asyncio.Protocol] = HeaderDeadlineProtocol
    if parser != "h11" and HttpToolsProtocol is not None:
        base = HttpToolsDeadlineProtocol
    fields = {"header_timeout": header_timeout, "keep_alive": keep_alive}
    return type("ReceiverProtocol", (base,), fields)


def _responder(protocol: Any, cycle: HttpToolsCycle) -> Callable[[int, bytes, bytes, bool], bool]:
    """The scope's :data:`RESPOND` for ``cycle``: ``protocol._respond``, holding both weakly (a
    strong reference made a reference cycle per request that kept its body until the cyclic
    collector ran: up to 73 bodies of 256 KiB alive at once). Once either is gone: False."""
    protocol_ref, cycle_ref = weakref.ref(protocol), weakref.ref(cycle)

    def respond(status: int, head: bytes, body: bytes, close: bool) -> bool:
        serving, answering = protocol_ref(), cycle_ref()
        if serving is None or answering is None:
            return False
        answered: bool = serving._respond(answering, status, head, body, close)
        return answered

    return respond
