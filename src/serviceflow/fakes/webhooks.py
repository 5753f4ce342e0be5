"""The worker thread that sends a fake helpdesk's outgoing webhooks, and the log tests wait on.

What a delivery is, which headers it carries and how it is retried are the vendor's (Zendesk
signs every attempt and retries 409s; Freshdesk retries after 5, 30 and 60 minutes): a fake's
dispatcher subclasses :class:`DeliveryWorker` and implements :meth:`DeliveryWorker.deliver`.
What is the same everywhere is here: one daemon thread and one pooled ``httpx.Client``, a
queue, the log of finished deliveries, bounded waits on it (no sleeps in tests), and a stop that
interrupts any wait between attempts.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import httpx

D = TypeVar("D")


class DeliveryWorker(Generic[D]):
    """Sends queued deliveries (of any type ``D``) from one worker thread and logs them.

    Subclasses implement :meth:`deliver` (every attempt of one delivery, recorded on the delivery
    itself) and may override :meth:`describe` for the log line of a delivery that raised.
    """

    def __init__(self, *, name: str, timeout: float = 10.0) -> None:
        """Create a stopped worker.

        Args:
            name: The thread's name, also the prefix of its log lines (``fake-zendesk-webhooks``).
            timeout: Per-attempt HTTP timeout.
        """
        self._name = name
        self._timeout = timeout
        self._queue: queue.Queue[D | None] = queue.Queue()
        self._log: list[D] = []
        self._cond = threading.Condition()
        self._in_flight = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tls = ssl.create_default_context()  # built once: each build costs ~40 ms

    # ------------------------------------------------------------------ for subclasses

    def deliver(self, client: httpx.Client, delivery: D) -> None:
        """Make every attempt of one delivery (called on the worker thread).

        Use :meth:`pause` between attempts, so :meth:`stop` is never held up by a retry delay.
        An exception is logged and the delivery still counts as finished.
        """
        raise NotImplementedError

    def describe(self, delivery: D) -> str:
        """How log lines name a delivery."""
        return repr(delivery)

    def pause(self, seconds: float) -> bool:
        """Wait up to ``seconds`` between attempts; True when :meth:`stop` was called (give up)."""
        return self._stop.wait(seconds)

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called since the last :meth:`start`."""
        return self._stop.is_set()

    def client(self) -> httpx.Client:
        """A new ``httpx.Client`` configured like the worker's (for sending from another thread)."""
        return httpx.Client(timeout=self._timeout, verify=self._tls)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the worker thread (nothing happens if it runs)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._queue = queue.Queue()  # a stop() left its sentinel in the old one
        self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker; queued deliveries not sent yet are dropped."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    # ------------------------------------------------------------------ queue and log

    def enqueue(self, delivery: D) -> None:
        """Queue a delivery for the worker; it counts as in flight until logged."""
        with self._cond:
            self._in_flight += 1
        self._queue.put(delivery)

    def record(self, delivery: D) -> None:
        """Log a delivery sent outside the worker (e.g. synchronously from a test's thread)."""
        with self._cond:
            self._log.append(delivery)
            self._cond.notify_all()

    @property
    def deliveries(self) -> list[D]:
        """Finished deliveries, in the order they finished."""
        with self._cond:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget finished deliveries (in-flight ones still finish and are logged)."""
        with self._cond:
            self._log.clear()

    def wait_for(self, predicate: Callable[[list[D]], bool], timeout: float) -> list[D]:
        """Block until ``predicate(deliveries)`` holds; bounded by ``timeout`` seconds.

        Raises:
            TimeoutError: still false when the timeout ran out.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(list(self._log)), timeout):
                raise TimeoutError(
                    f"webhook deliveries did not reach the expected state within {timeout}s "
                    f"({len(self._log)} finished, {self._in_flight} in flight)"
                )
            return list(self._log)

    def wait_idle(self, timeout: float) -> None:
        """Block until nothing is queued or being sent.

        Raises:
            TimeoutError: deliveries were still in flight when the timeout ran out.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} webhook deliveries still in flight after {timeout}s")

    # ------------------------------------------------------------------ the thread

    def _work(self) -> None:
        with self.client() as client:
            while True:
                delivery = self._queue.get()
                if delivery is None or self._stop.is_set():
                    return
                try:
                    self.deliver(client, delivery)
                except Exception:  # a broken receiver must never kill the worker
                    logging.getLogger(type(self).__module__).exception(
                        "%s: webhook delivery %s failed", self._name, self.describe(delivery)
                    )
                with self._cond:
                    self._log.append(delivery)
                    self._in_flight -= 1
                    self._cond.notify_all()
