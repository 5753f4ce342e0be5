"""Injectable faults for a fake helpdesk: 429 and 5xx answers the client must ride out.

Retry handling can only be trusted if it is exercised against the failures real APIs produce: 429
with ``Retry-After``, 5xx bursts, and a 5xx (a gateway's 502 or 504) that comes *after* the
vendor applied the write (``after_write``), which a client that simply repeats the call turns
into a duplicate. Faults are queued, consumed by the first matching request,
and optionally scoped to a method and a path pattern. Each fake decides what a fault's default
body is (its vendor's 429 body, ``text/plain`` for 5xx) and may queue more kinds of trouble in a
subclass of :class:`FaultPlan` (Zendesk: another writer saving the ticket first).
"""

from __future__ import annotations

import fnmatch
import http
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Statuses on which a fault sends ``Retry-After`` when it has one.
RETRY_AFTER_STATUSES = (429, 503)


@dataclass
class Fault:
    """One queued error response.

    Attributes:
        remaining: How many more matching requests get this fault.
        status: The HTTP status to answer.
        retry_after: Seconds for ``Retry-After`` on 429/503; None omits it.
        method: Only requests with this method match (any when None).
        path: ``fnmatch`` pattern on the path (any when None), e.g. ``/api/v2/tickets/*``; the
            fake decides which form of the path it matches (Zendesk: without ``.json``).
        body: JSON body to send; None leaves it to the fake (its 429 body, or ``text/plain``
            for 5xx).
        after_write: Handle the request first (the write is applied), then answer the fault.
    """

    remaining: int
    status: int
    retry_after: float | None = None
    method: str | None = None
    path: str | None = None
    body: Mapping[str, Any] | None = None
    after_write: bool = False

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with ``method`` on ``path`` takes this fault."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def payload(self, rate_limit_body: Mapping[str, Any]) -> Any:
        """The body to answer: :attr:`body` when set, else ``rate_limit_body`` for a 429, else the
        status's reason phrase as text (real APIs' gateway errors are often not JSON)."""
        if self.body is not None:
            return dict(self.body)
        if self.status == 429:
            return dict(rate_limit_body)
        return http.HTTPStatus(self.status).phrase

    def headers(self) -> dict[str, str]:
        """The extra response headers: ``Retry-After`` on 429/503 when set, whole seconds without
        a fraction."""
        if self.retry_after is None or self.status not in RETRY_AFTER_STATUSES:
            return {}
        seconds = self.retry_after
        return {"Retry-After": str(int(seconds)) if float(seconds).is_integer() else str(seconds)}


class FaultPlan:
    """A thread-safe queue of faults; the server consumes, tests enqueue.

    Subclasses that queue more kinds of trouble guard them with the same (re-entrant) ``_lock``
    and extend :attr:`pending` and :meth:`clear`.
    """

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.RLock()

    def add(self, fault: Fault) -> None:
        """Queue a fault behind the ones already queued.

        Raises:
            ValueError: the fault applies to no request.
        """
        if fault.remaining < 1:
            raise ValueError("a fault must apply to at least one request")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first queued fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> int:
        """Queued fault uses not consumed yet."""
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def clear(self) -> None:
        """Drop everything queued."""
        with self._lock:
            self._faults.clear()
