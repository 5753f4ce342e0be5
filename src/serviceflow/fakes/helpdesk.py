"""What every fake helpdesk's controller does the same way: start, stop, faults, calls, deliveries.

A vendor's fake (``FakeZendesk``, ``FakeFreshdesk``) subclasses :class:`FakeHelpdesk`, assigns the
four parts in its ``__init__`` and adds everything that is the vendor's (seeding, other actors,
webhook configuration)::

    class FakeAcme(FakeHelpdesk[Call, Delivery]):
        def __init__(self) -> None:
            self.faults = FaultPlan()
            self.call_log = CallLog()
            self.webhooks = AcmeDispatcher(...)          # a DeliveryWorker
            self._server = ServerThread(build_app(self), name="fake-acme")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from serviceflow.fakes.calls import CallLog, Recorded
from serviceflow.fakes.faults import Fault, FaultPlan
from serviceflow.fakes.server import ServerThread
from serviceflow.fakes.webhooks import DeliveryWorker

C = TypeVar("C", bound=Recorded)
D = TypeVar("D")


class FakeHelpdesk(Generic[C, D]):
    """Lifecycle and inspection of a fake helpdesk: its server, faults, call log and webhooks.

    Attributes:
        faults: The queued faults (:meth:`fail_next` adds to it).
        call_log: Every request answered.
        webhooks: The outgoing-webhook worker.
    """

    faults: FaultPlan
    call_log: CallLog[C]
    webhooks: DeliveryWorker[D]
    _server: ServerThread

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Serve on ``127.0.0.1:<free port>`` and return once requests are accepted.

        Raises:
            ServerStartError: the server did not start within ``startup_timeout``.
        """
        self._server.start()
        self._serving()
        self.webhooks.start()
        return self

    def _serving(self) -> None:
        """Called once the server is up, before the webhook worker starts (the fake's URL is
        known from here on)."""

    def stop(self) -> None:
        """Stop the server and the webhook worker."""
        self.webhooks.stop()
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: what the plugin's base-URL setting points at."""
        return self._server.base_url

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._server.running

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = 1,
        method: str | None = None,
        path: str | None = None,
        body: Mapping[str, Any] | None = None,
        after_write: bool = False,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` instead of handling them
        (or, with ``after_write``, after handling them).

        Nothing is applied for a failed request unless ``after_write``, so "applied exactly
        once" is checkable either way.

        Args:
            n: How many requests fail.
            status: 429 (default), or a 5xx for a server-error burst.
            retry_after: ``Retry-After`` seconds, sent on 429 and 503 only; None omits it.
            method: Only this method fails (any when None).
            path: Only paths matching this ``fnmatch`` pattern fail (e.g. ``/api/v2/tickets/*``;
                the fake says which form of the path it matches); any when None.
            body: JSON body; default the vendor's 429 body, or ``text/plain`` for 5xx.
            after_write: Apply the request, then answer ``status`` (a 502 after the write).
        """
        self.faults.add(Fault(n, status, retry_after, method, path, body, after_write))

    @property
    def pending_faults(self) -> int:
        """Queued faults (and whatever else the fake's plan queues) not consumed yet."""
        return self.faults.pending

    # ------------------------------------------------------------------ call record

    @property
    def calls(self) -> list[C]:
        """Every request answered so far, oldest first."""
        return self.call_log.snapshot()

    def calls_to(self, method: str | None = None, path: str | None = None) -> list[C]:
        """Calls with ``method`` whose path matches the ``fnmatch`` pattern ``path``."""
        return self.call_log.matching(method, path)

    def wait_for_calls(self, predicate: Callable[[list[C]], bool], *, timeout: float = 5.0) -> list[C]:
        """Block until ``predicate(calls)`` holds (bounded).

        Raises:
            TimeoutError: it did not within ``timeout`` seconds.
        """
        return self.call_log.wait_for(predicate, timeout)

    # ------------------------------------------------------------------ webhook deliveries

    @property
    def deliveries(self) -> list[D]:
        """Finished webhook deliveries, in the order they finished."""
        return self.webhooks.deliveries

    def wait_for_deliveries(
        self,
        count: int | None = None,
        *,
        predicate: Callable[[list[D]], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[D]:
        """Block until ``count`` deliveries finished, or ``predicate(deliveries)`` holds (bounded).

        Raises:
            TimeoutError: not reached within ``timeout`` seconds.
        """
        if predicate is None:
            wanted = 1 if count is None else count
            predicate = lambda done: len(done) >= wanted  # noqa: E731
        return self.webhooks.wait_for(predicate, timeout)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until every queued webhook delivery finished (bounded).

        Raises:
            TimeoutError: deliveries were still in flight when the timeout ran out.
        """
        self.webhooks.wait_idle(timeout)
