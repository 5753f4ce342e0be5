"""Injectable faults for the fake Freshdesk: error bursts the client must ride out.

Retry handling can only be trusted if it is exercised against the failures the real API
produces: 429 with ``Retry-After`` (CONTRACTS.md §2.4) and 5xx bursts. Faults are queued,
consumed by the first matching request, and optionally scoped to a method and a path pattern.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The fake's 429 body. Freshdesk documents the status and ``Retry-After``, not the body
#: (UNVERIFIED, CONTRACTS.md §7), so clients must not depend on it.
RATE_LIMIT_BODY = {
    "code": "rate_limit_exceeded",
    "message": "You have exceeded the limit of requests per minute",
}
RETRY_AFTER_STATUSES = (429, 503)


@dataclass
class Fault:
    """One queued error response.

    Attributes:
        remaining: How many more matching requests get this fault.
        status: The HTTP status to answer.
        retry_after: Seconds for ``Retry-After`` on 429/503; None omits it.
        method: Only requests with this method match (any when None).
        path: ``fnmatch`` pattern on the path (any when None), e.g. ``/api/v2/tickets/*``.
        body: JSON body to send; None gives the 429 body, or ``text/plain`` for 5xx.
    """

    remaining: int
    status: int
    retry_after: float | None = None
    method: str | None = None
    path: str | None = None
    body: Mapping[str, Any] | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with ``method`` on ``path`` takes this fault."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def headers(self) -> dict[str, str]:
        """The extra response headers."""
        if self.retry_after is None or self.status not in RETRY_AFTER_STATUSES:
            return {}
        seconds = self.retry_after
        return {"Retry-After": str(int(seconds)) if float(seconds).is_integer() else str(seconds)}


@dataclass
class FaultPlan:
    """A thread-safe queue of faults; the server consumes, tests enqueue."""

    _faults: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        """Queue a fault behind the ones already queued."""
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
