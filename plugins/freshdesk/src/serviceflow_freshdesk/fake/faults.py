"""Injectable faults for the fake Freshdesk: error bursts the client must ride out.

Retry handling can only be trusted if it is exercised against the failures the real API
produces: 429 with ``Retry-After`` (CONTRACTS.md §2.4) and 5xx bursts. The queue itself is
serviceflow's (:mod:`serviceflow.fakes.faults`); what is Freshdesk's is the 429 body.
"""

from __future__ import annotations

from serviceflow.fakes.faults import RETRY_AFTER_STATUSES, Fault, FaultPlan

__all__ = ["RATE_LIMIT_BODY", "RETRY_AFTER_STATUSES", "Fault", "FaultPlan"]

#: The fake's 429 body. Freshdesk documents the status and ``Retry-After``, not the body
#: (UNVERIFIED, CONTRACTS.md §7), so clients must not depend on it.
RATE_LIMIT_BODY = {
    "code": "rate_limit_exceeded",
    "message": "You have exceeded the limit of requests per minute",
}
