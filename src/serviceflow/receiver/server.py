"""Serving the receiver with uvicorn, in this event loop (so it shares the Temporal client)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

import uvicorn
from starlette.types import ASGIApp

from serviceflow import tracing
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.errors import PolicySetError
from serviceflow.policy.loader import PolicyPathError
from serviceflow.receiver import logs
from serviceflow.receiver.accounts import check_accounts
from serviceflow.receiver.app import Receiver
from serviceflow.receiver.limits import ReceiverLimits
from serviceflow.receiver.protocol import protocol_with


def receiver_for(settings: Settings, *, require_account: bool = True) -> Receiver:
    """A receiver for the settings: it connects to Temporal on first use, and is ready only
    while the policy set loads.

    Raises:
        AccountNotConfigured: a vendor plugin cannot name its account from configuration.
        TracingUnavailable: ``SERVICEFLOW_OTEL_ENDPOINT`` is set without the ``otel`` extra.
    """

    tracing.configure(settings)  # before the first delivery: its spans start before Temporal is reached
    stores: list[PolicyStore] = []

    async def policies_loaded() -> str | None:
        # Loaded once; after that the store itself reloads on change and keeps the last good set.
        if not stores:
            if not any(path.exists() for path in settings.policies):  # none: the variable is wrong
                shown = ", ".join(map(str, settings.policies)) or "none given"
                return f"policies: no such file or directory: {shown} (SERVICEFLOW_POLICIES)"
            try:
                stores.append(PolicyStore(settings.policies))
            except PolicyPathError as exc:  # one named path of several does not exist (a typo)
                return f"policies: {exc}"
            except PolicySetError as exc:  # the first problem says where to look (attack14 F10)
                first = exc.problems[0] if exc.problems else None
                where = f"; first: {first.location}: {first.message}" if first else ""
                return f"policies: {len(exc.problems)} problem(s){where}"
        stores[0].current()
        return None

    receiver = Receiver(
        # Uncompressed gRPC: a signal-with-start is 2 to 4 KiB, and gzip's state, set up and
        # zeroed for every message, was a fifth of the receiver's instructions (RESULTS.md).
        connect=lambda: connect(settings, compress=False),
        task_queue=settings.task_queue,
        ready_checks=[policies_loaded],
        limits=ReceiverLimits.from_settings(settings),
    )
    check_accounts(receiver.vendors(), require=require_account)
    return receiver


def serving(
    receiver: Receiver, host: str, port: int, *, parser: str = "auto"
) -> contextlib.AbstractAsyncContextManager[uvicorn.Server]:
    """Run the receiver on host:port inside the current event loop until the block ends
    (``parser``: see :func:`~serviceflow.receiver.protocol.protocol_with`)."""
    return serving_app(receiver.app(), host, port, limits=receiver.limits, parser=parser)


@contextlib.asynccontextmanager
async def serving_app(
    app: ASGIApp, host: str, port: int, *, limits: ReceiverLimits | None = None, parser: str = "auto"
) -> AsyncIterator[uvicorn.Server]:
    """Run an ASGI app on host:port inside the current event loop until the block ends.

    With ``limits``, uvicorn's own settings carry the connection limit and keep-alive timeout,
    and its HTTP protocol (httptools when installed, else h11) gets the header deadline and size
    bound (:mod:`serviceflow.receiver.protocol`).
    """
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", interface="asgi3")
    if limits is not None:
        logs.install()
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", interface="asgi3",
            http=protocol_with(limits.header_timeout, limits.keep_alive, parser=parser),
            # No access log line (the app logs each delivery once) and no X-Forwarded-* rewriting
            # (the receiver never uses the client's address): two steps less per request.
            access_log=False, proxy_headers=False,
            # HTTP/1.1 only: no WebSocket even where a WebSocket library is installed; a request
            # asking to upgrade is answered as HTTP/1.1 and its connection closed (protocol.py).
            ws="none",
            limit_concurrency=limits.max_connections,
            timeout_keep_alive=limits.keep_alive,
            timeout_graceful_shutdown=limits.shutdown_timeout,
        )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        if loop.time() > deadline:
            raise RuntimeError(f"the server did not start on {host}:{port}")
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


async def run_receiver(settings: Settings, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set.

    Raises:
        AccountNotConfigured: a vendor plugin cannot name its account; the receiver does not start.
    """
    async with serving(receiver_for(settings), host, port):
        settle_collector()
        await stop.wait()


def settle_collector() -> None:
    """Once the receiver serves: what start-up built (modules, plugins, pydantic's schemas, the
    SDK: about 165,000 objects, RESULTS.md ingest5) leaves the cyclic collector's reach
    (``gc.freeze``), so a full collection walks what deliveries made (51 ms each before),
    not every object of the process. A frozen object is still freed when its last reference goes;
    only a cycle among them is never collected (start-up's modules and schemas live as long as the
    process anyway)."""
    gc.collect()
    gc.freeze()
