"""Injectable faults for the fake Zendesk: error bursts and a concurrent writer.

Retry and conflict handling can only be trusted if it is exercised against the failures the real
API produces: 429 with ``Retry-After`` (CONTRACTS.md §1.8), 5xx bursts, and another agent saving
the ticket between our read and our write (the 409 of a safe update, §1.3). Error bursts are
serviceflow's :class:`serviceflow.fakes.faults.Fault` (matched on the path without ``.json``);
the concurrent writer is Zendesk's own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serviceflow.fakes.faults import RETRY_AFTER_STATUSES, Fault
from serviceflow.fakes.faults import FaultPlan as BaseFaultPlan

__all__ = ["RATE_LIMIT_BODY", "RETRY_AFTER_STATUSES", "Fault", "FaultPlan", "PendingConflict"]

# Zendesk's 429 body as widely reported by client libraries; the docs only promise the status and
# Retry-After, so clients must not depend on it.
RATE_LIMIT_BODY = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}


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


class FaultPlan(BaseFaultPlan):
    """Thread-safe queues of faults and conflicts; the server consumes, tests enqueue."""

    def __init__(self) -> None:
        super().__init__()
        self._conflicts: deque[PendingConflict] = deque()

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
            return super().pending + len(self._conflicts)

    def clear(self) -> None:
        """Drop everything queued."""
        with self._lock:
            super().clear()
            self._conflicts.clear()
