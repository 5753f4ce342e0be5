"""Injectable faults for the fake Zendesk: error bursts and a concurrent writer.

Retry and conflict handling can only be trusted if it is exercised against the failures the real
API produces: 429 with ``Retry-After`` (CONTRACTS.md §1.8), 5xx bursts, and another agent saving
the ticket between our read and our write (the 409 of a safe update, §1.3). Faults are queued,
consumed by the first matching request, and optionally scoped to a method and a path pattern.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Zendesk's 429 body as widely reported by client libraries; the docs only promise the status and
# Retry-After, so clients must not depend on it.
RATE_LIMIT_BODY = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}
# Statuses for which the fake sends Retry-After when asked to (the ones Zendesk documents it on).
RETRY_AFTER_STATUSES = (429, 503)


@dataclass
class Fault:
    """One queued error response.

    Attributes:
        remaining: How many more matching requests get this fault.
        status: The HTTP status to answer.
        retry_after: Seconds for the ``Retry-After`` header on 429/503; None omits it.
        method: Only requests with this method match (any when None).
        path: ``fnmatch`` pattern on the path without ``.json`` (any when None),
            e.g. ``/api/v2/tickets/*``.
        body: JSON body to send; None gives Zendesk's 429 body, or ``text/plain`` for 5xx
            (the docs warn that API-level errors may not be JSON).
    """

    remaining: int
    status: int
    retry_after: float | None = None
    method: str | None = None
    path: str | None = None
    body: Mapping[str, Any] | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with ``method`` on ``path`` (no ``.json``) takes this fault."""
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
class PendingConflict:
    """Another writer's edit, applied just before the next write to ``ticket_id`` is handled.

    Attributes:
        ticket_id: The ticket the other writer edits.
        changes: A TicketUpdateInput, applied as that writer.
        actor_id: The other writer; the fake's admin when None.
    """

    ticket_id: int
    changes: Mapping[str, Any]
    actor_id: int | None = None


@dataclass
class FaultPlan:
    """Thread-safe queues of faults and conflicts; the server consumes, tests enqueue."""

    _faults: deque[Fault] = field(default_factory=deque)
    _conflicts: deque[PendingConflict] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault behind the ones already queued."""
        if fault.remaining < 1:
            raise ValueError("a fault must apply to at least one request")
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first queued fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def add_conflict(self, conflict: PendingConflict) -> None:
        """Queue another writer's edit."""
        with self._lock:
            self._conflicts.append(conflict)

    def take_conflict(self, ticket_id: int) -> PendingConflict | None:
        """Remove and return the oldest queued edit for ``ticket_id``: one per write request, so
        queuing several makes several writes in a row lose the race."""
        with self._lock:
            for conflict in self._conflicts:
                if conflict.ticket_id == ticket_id:
                    self._conflicts.remove(conflict)
                    return conflict
            return None

    @property
    def pending(self) -> int:
        """Queued fault uses plus queued conflicts; 0 once everything was consumed."""
        with self._lock:
            return sum(f.remaining for f in self._faults) + len(self._conflicts)

    def clear(self) -> None:
        """Drop everything queued."""
        with self._lock:
            self._faults.clear()
            self._conflicts.clear()
