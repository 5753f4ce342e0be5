"""Reading a vendor's rate-limit headers, and pacing requests before a 429 comes.

Helpdesk APIs say how much of the window's budget is left on every response (Zendesk
``X-Rate-Limit-Remaining`` and ``ratelimit-remaining``/``ratelimit-reset``, Freshdesk
``X-RateLimit-Remaining``; each plugin cites its vendor's documentation). Waiting for the 429
wastes a request and, with several workers, makes every one of them stall at once. The
:class:`Pacer` reads the budget of every answer and, once fewer than a reserve of requests is
left, spreads the rest over what remains of the window: with ``remaining`` requests and
``window_left`` seconds, the next request waits ``window_left / (remaining + 1)``. At zero it
waits for the window to reset. A wait longer than the retry policy allows in-process is not
slept through: the request is not sent and a retryable :class:`~.errors.RateLimited` is raised.

Which headers mean what is the vendor's, so a plugin passes a :data:`RateReader`; the readers
here understand the common spellings (the IETF ``RateLimit-*`` draft, ``X-RateLimit-*`` and
``X-Rate-Limit-*``), and :func:`most_restrictive` combines several (a per-endpoint budget next
to the account's).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: The window the vendor's limits count over when a response does not say when it resets:
#: per minute for the helpdesks serviceflow knows (each plugin cites its vendor's limits).
DEFAULT_WINDOW = 60.0


@dataclass(frozen=True)
class RateBudget:
    """What one response says of the rate-limit window.

    Attributes:
        remaining: Requests left in the window.
        limit: The window's total, if said.
        resets_in: Seconds until the window resets, if said.
    """

    remaining: int
    limit: int | None = None
    resets_in: float | None = None


#: Reads a response's headers into a budget; None when they say nothing.
RateReader = Callable[[Mapping[str, str]], "RateBudget | None"]


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().split(",")[0].split(";")[0].strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number >= 0 else None


def _budget(remaining: str | None, limit: str | None, reset: str | None) -> RateBudget | None:
    left = _number(remaining)
    if left is None:
        return None
    total = _number(limit)
    resets = _number(reset)
    return RateBudget(int(left), int(total) if total is not None else None, resets)


def header_reader(*, remaining: str, limit: str | None = None, reset: str | None = None) -> RateReader:
    """A reader of one trio of headers (names are matched case-insensitively); ``reset`` is in
    seconds from now."""

    def read(headers: Mapping[str, str]) -> RateBudget | None:
        lower = {k.lower(): v for k, v in headers.items()}
        return _budget(
            lower.get(remaining.lower()),
            lower.get(limit.lower()) if limit else None,
            lower.get(reset.lower()) if reset else None,
        )

    return read


_PAIR = re.compile(r"(\w+)\s*=\s*([0-9.]+)")


def structured_reader(header: str) -> RateReader:
    """A reader of a ``total=N; remaining=N; resets=N`` header (one endpoint's own budget)."""

    def read(headers: Mapping[str, str]) -> RateBudget | None:
        value = next((v for k, v in headers.items() if k.lower() == header.lower()), None)
        if value is None:
            return None
        pairs = dict(_PAIR.findall(value))
        return _budget(pairs.get("remaining"), pairs.get("total"), pairs.get("resets"))

    return read


#: The IETF draft's ``RateLimit-Limit``/``-Remaining``/``-Reset``.
IETF_HEADERS = header_reader(
    remaining="ratelimit-remaining", limit="ratelimit-limit", reset="ratelimit-reset"
)
#: ``X-RateLimit-Total``/``-Remaining`` (no reset).
X_RATELIMIT_HEADERS = header_reader(remaining="x-ratelimit-remaining", limit="x-ratelimit-total")
#: ``X-Rate-Limit``/``X-Rate-Limit-Remaining`` (no reset).
X_RATE_LIMIT_HEADERS = header_reader(remaining="x-rate-limit-remaining", limit="x-rate-limit")


def most_restrictive(*readers: RateReader) -> RateReader:
    """A reader answering the budget with the fewest requests left among ``readers``' answers
    (its reset taken from any reader that says one, the latest, when it does not)."""

    def read(headers: Mapping[str, str]) -> RateBudget | None:
        found = [b for b in (r(headers) for r in readers) if b is not None]
        return tightest(found)

    return read


def tightest(budgets: Iterable[RateBudget]) -> RateBudget | None:
    """The budget with the fewest requests left; a missing reset is taken from the others."""
    found = list(budgets)
    if not found:
        return None
    low = min(found, key=lambda b: b.remaining)
    if low.resets_in is None:
        resets = [b.resets_in for b in found if b.resets_in is not None]
        if resets:
            return RateBudget(low.remaining, low.limit, max(resets))
    return low


class Pacer:
    """Spreads the last requests of a rate-limit window over the rest of it (see the module).

    Attributes:
        reserve: Below this many requests left, requests are spaced out.
        window: Seconds a window lasts when the vendor does not say when it resets.
    """

    def __init__(
        self,
        reader: RateReader,
        *,
        reserve: int = 5,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.reserve = reserve
        self.window = window
        self._clock = clock
        self._budget: RateBudget | None = None
        self._seen_at = 0.0
        self._sent_since = 0

    @property
    def budget(self) -> RateBudget | None:
        """The last budget a response stated."""
        return self._budget

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the budget an answer states (answers that state none change nothing)."""
        budget = self.reader(headers)
        if budget is not None:
            self._budget, self._seen_at, self._sent_since = budget, self._clock(), 0

    def delay(self) -> float:
        """Seconds to wait before the next request (0 while the budget is comfortable), and
        count that request as sent."""
        budget = self._budget
        if budget is None:
            return 0.0
        left = budget.remaining - self._sent_since
        self._sent_since += 1
        if left > self.reserve:
            return 0.0
        elapsed = self._clock() - self._seen_at
        window_left = (budget.resets_in if budget.resets_in is not None else self.window) - elapsed
        if window_left <= 0:
            return 0.0  # the window the budget spoke of is over
        return window_left / (max(left, 0) + 1)
