"""The receiver's limits, one named setting each (``SERVICEFLOW_RECEIVER_*``; docs/security.md).

Where uvicorn has a setting of its own, the limit is passed to it: ``limit_concurrency`` (open
connections and requests; more get 503) and ``timeout_keep_alive`` (an idle keep-alive
connection). uvicorn has no timeout for a request's headers or body (encode/uvicorn#157 lists
``--timeout-request-start`` and ``--timeout-request-complete`` as not done) and Starlette none for
reading a body, so those two are serviceflow's: the header deadline in
:mod:`serviceflow.receiver.protocol`, the body deadline in the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serviceflow.durable.settings import Settings

MAX_BODY_BYTES = 1024 * 1024  # Zendesk caps its payloads at 16 KB; this leaves room and no more


@dataclass(frozen=True)
class ReceiverLimits:
    """Attributes:
    max_body_bytes: a larger body gets 413 (declared or as it arrives) and the connection closes.
    body_timeout: seconds for the whole body to arrive; a slower one gets 408 and is closed.
    header_timeout: seconds from connecting (or from the last answer on a kept-alive
        connection) to a request's complete headers; a slower connection is closed.
    max_connections: uvicorn's ``limit_concurrency``: beyond it, 503 at once.
    max_in_flight: deliveries being verified, parsed and signalled at once; beyond it, 503
        with Retry-After (reading bodies is bounded by the connection limit and the timeouts).
    clock_skew: how far ahead of the receiver's clock a delivery's times may be.
    keep_alive: seconds an idle kept-alive connection stays open (uvicorn's ``timeout_keep_alive``).
    shutdown_timeout: seconds a stopping receiver waits for deliveries in flight before it
        cancels them (uvicorn's ``timeout_graceful_shutdown``); a cancelled delivery was never
        answered 2xx, so the helpdesk sends it again.
    connect_timeout: seconds one attempt to connect to Temporal may take; the deliveries waiting
        for it (they share it) then get 503 with Retry-After, and the next delivery tries again.
    """

    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout: float = 10.0
    header_timeout: float = 10.0
    max_connections: int = 256
    max_in_flight: int = 64
    clock_skew: timedelta = timedelta(days=1)
    keep_alive: int = 5
    shutdown_timeout: int = 15
    connect_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ReceiverLimits:
        return cls(
            max_body_bytes=settings.receiver_max_body_bytes,
            body_timeout=settings.receiver_body_timeout,
            header_timeout=settings.receiver_header_timeout,
            max_connections=settings.receiver_max_connections,
            max_in_flight=settings.receiver_max_in_flight,
            clock_skew=timedelta(seconds=settings.receiver_clock_skew),
        )
