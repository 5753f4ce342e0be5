"""Slow, stalled and vanishing clients against the receiver, over real sockets on 127.0.0.1: every
connection that stalls is closed within its deadline, a trickle of bytes never starves /healthz,
a client gone mid-body is one log line, and the connection and delivery limits answer 503."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hostile_support import configure_plugins, known_identities
from temporalio.client import Client

from serviceflow.fakes.server import free_port
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.protocol import BODY_COMPLETE, protocol_with
from serviceflow.receiver.server import serving, serving_app

DEADLINE = 1.0  # the header and body timeouts of these tests
CLOSED_WITHIN = 15.0  # a generous bound on "closed", so a loaded machine never fails the test


@pytest_asyncio.fixture(params=["httptools", "h11"])
async def serve(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[..., Any]]:
    """serve(**limits) -> (host, port, receiver) with Temporal never reached, on each of the
    HTTP parsers the receiver can run on (httptools when installed, else h11)."""
    configure_plugins(monkeypatch)
    stack: list[Any] = []
    released = asyncio.Event()

    async def start(**limits: Any) -> tuple[str, int, Receiver]:
        async def connect() -> Client:
            await released.wait()  # Temporal "hangs" until the test ends: deliveries stay in flight
            raise RuntimeError("Temporal is not there")

        defaults: dict[str, Any] = {"body_timeout": DEADLINE, "header_timeout": DEADLINE}
        receiver = Receiver(
            connect=connect,
            task_queue="slow",
            limits=ReceiverLimits(**{**defaults, **limits}),
            identities=known_identities(),
        )
        port = free_port()
        context = serving(receiver, "127.0.0.1", port, parser=request.param)
        await context.__aenter__()
        stack.append(context)
        return "127.0.0.1", port, receiver

    yield start
    released.set()
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


async def closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (bounded by CLOSED_WITHIN)."""
    return await asyncio.wait_for(reader.read(), CLOSED_WITHIN)


async def test_stalled_uploads_are_answered_408_and_closed(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, receiver = await serve()
    connections = [await asyncio.open_connection(host, port) for _ in range(30)]
    for _, writer in connections:
        writer.write(
            b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 5000\r\n\r\n{"stalled": '
        )
        await writer.drain()
    answers = await asyncio.gather(*(closed(reader) for reader, _ in connections))
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[0][:200]
    assert all(b"body_timeout" in a for a in answers)
    for _, writer in connections:
        writer.close()


@pytest.mark.parametrize("sent", [b"", b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\n"])
async def test_a_connection_without_a_complete_request_head_is_closed(serve, sent: bytes) -> None:  # type: ignore[no-untyped-def]
    host, port, _ = await serve()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(sent)
    await writer.drain()
    assert await closed(reader) == b""
    writer.close()


async def test_a_request_head_over_16_kib_is_refused_and_closed(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, _ = await serve(header_timeout=60)  # the size bound, not the deadline, must close it
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nX-Padding: ")
    for _ in range(17):  # 17 KiB of one header, in pieces, never ending (and no more, so the
        writer.write(b"a" * 1024)  # server has read it all when it answers: no reset)
        await writer.drain()
    received = await closed(reader)
    assert received.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), received[:100]
    writer.close()


@pytest.mark.parametrize(
    "framing",
    [b"1;" + b"e" * 40_000 + b"\r\n{\r\n", b"1\r\n{\r\n0\r\nX-Trailer: " + b"t" * 40_000],
    ids=["chunk-extension", "trailer"],
)
async def test_chunked_framing_past_its_bound_is_refused_at_once(serve, framing: bytes) -> None:  # type: ignore[no-untyped-def]
    """Not taken until the body deadline (here a minute away): h11 and the bound both refuse."""
    host, port, _ = await serve(body_timeout=60)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    await writer.drain()
    for start in range(0, len(framing), 1024):  # in pieces, as a network delivers them
        writer.write(framing[start : start + 1024])
        try:
            await writer.drain()
        except ConnectionError:
            break  # refused and reset while sending: what h11 does
    try:
        received = await closed(reader)
    except ConnectionError:
        received = b""
    assert received == b"" or received.startswith(b"HTTP/1.1 400"), received[:100]
    writer.close()


async def test_the_receiver_runs_on_httptools_when_installed() -> None:
    assert "HttpToolsProtocol" in {c.__name__ for c in protocol_with(1, 1).__mro__}
    assert "H11Protocol" in {c.__name__ for c in protocol_with(1, 1, parser="h11").__mro__}
    with pytest.raises(ValueError, match="unknown HTTP parser"):
        protocol_with(1, 1, parser="picohttp")


async def test_httptools_marks_a_body_that_has_arrived_so_no_body_deadline_starts() -> None:
    seen: list[object] = []
    second_started = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope.get(BODY_COMPLETE))
        if len(seen) == 2:
            second_started.set()
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    port = free_port()
    limits = ReceiverLimits(body_timeout=DEADLINE, header_timeout=DEADLINE)
    async with serving_app(app, "127.0.0.1", port, limits=limits, parser="httptools"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = b"POST /webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
        writer.write(head + b"body")  # the whole request in one write
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.write(head + b"bo")  # the body still coming when the app starts
        await writer.drain()
        await asyncio.wait_for(second_started.wait(), CLOSED_WITHIN)
        writer.write(b"dy")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.close()
    assert seen == [True, None]


async def test_a_kept_alive_connection_gets_a_new_head_deadline_after_each_answer(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, _ = await serve(keep_alive=3)  # uvicorn's keep-alive timer stops at the first byte
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    writer.write(b"GET /heal")  # the next request's head starts and stalls
    await writer.drain()
    received = await closed(reader)
    assert received.startswith(b"HTTP/1.1 200") and received.count(b"HTTP/1.1") == 1
    writer.close()


async def test_healthz_answers_while_one_byte_uploads_trickle_in(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, _ = await serve(body_timeout=60)
    size = 16 * 1024

    loop = asyncio.get_running_loop()
    stop = threading.Event()
    head = f"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()

    async def turn() -> None:
        """Nothing: run on the server's loop, it returns once the loop has taken a turn."""

    def trickle() -> None:
        """One byte a segment, from a thread; after each, until the server's loop (this test's)
        has taken a turn, so that it reads every byte on its own, as from a client whose bytes
        come one by one (a bounded wait on that condition)."""
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(head)
            for _ in range(size):
                if stop.is_set():
                    return
                sock.sendall(b"x")
                asyncio.run_coroutine_threadsafe(turn(), loop).result(timeout=10)

    uploads = [asyncio.create_task(asyncio.to_thread(trickle)) for _ in range(3)]
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(5):
                assert (await http.get(f"http://{host}:{port}/healthz")).status_code == 200
    finally:
        stop.set()
        await asyncio.gather(*uploads, return_exceptions=True)


async def test_a_client_gone_mid_body_is_one_log_line_without_a_traceback(  # type: ignore[no-untyped-def]
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    host, port, receiver = await serve(body_timeout=30)
    with caplog.at_level(logging.INFO):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b'POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"half": ')
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        async def counted() -> float | None:
            return receiver.metrics.registry.get_sample_value(
                "serviceflow_webhook_rejected_total", {"vendor": "zendesk", "reason": "client_disconnected"}
            )

        from serviceflow.fakes.waiting import eventually

        await eventually(counted, CLOSED_WITHIN, "the disconnect to be counted")
    lines = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info is not None or "Exception in ASGI" in r.getMessage()]


async def test_too_large_is_413_and_a_client_that_then_stalls_is_closed(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, receiver = await serve(max_body_bytes=1000, keep_alive=1)
    for head in (
        b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
        b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n",
    ):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(head + b"x" * 2000)  # then nothing more: closed by the deadline after the 413
        await writer.drain()
        assert (await closed(reader)).startswith(b"HTTP/1.1 413")
        writer.close()
    async with httpx.AsyncClient(timeout=30) as http:  # a client that sends it all reads its 413
        answer = await http.post(f"http://{host}:{port}/webhooks/zendesk", content=b"x" * 200_000)
    assert answer.status_code == 413


async def test_deliveries_beyond_the_in_flight_limit_get_503_with_retry_after(serve) -> None:  # type: ignore[no-untyped-def]
    from hostile_support import zendesk_envelope, zendesk_headers

    host, port, receiver = await serve(max_in_flight=2)
    url = f"http://{host}:{port}/webhooks/zendesk"
    raw = httpx.Request("POST", url, json=zendesk_envelope()).content
    async with httpx.AsyncClient(timeout=30) as http:
        waiting = [
            asyncio.create_task(http.post(url, content=raw, headers=zendesk_headers(raw))) for _ in range(2)
        ]

        async def both_in_flight() -> bool | None:
            return True if receiver._in_flight == 2 else None

        from serviceflow.fakes.waiting import eventually

        await eventually(both_in_flight, CLOSED_WITHIN, "two deliveries in flight")
        busy = await http.post(url, content=raw, headers=zendesk_headers(raw))
        health = await http.get(f"http://{host}:{port}/healthz")
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
    assert (busy.status_code, busy.json()["error"], busy.headers["retry-after"]) == (503, "busy", "5")
    assert health.status_code == 200


async def test_connections_beyond_the_limit_get_503(serve) -> None:  # type: ignore[no-untyped-def]
    host, port, _ = await serve(max_connections=4, header_timeout=60)
    idle = [await asyncio.open_connection(host, port) for _ in range(4)]
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            refused = await http.get(f"http://{host}:{port}/healthz")
    finally:
        for _, writer in idle:
            writer.close()
    assert refused.status_code == 503
