"""Duration literals in policies: ``4h``, ``1h30m``, ``90 minutes``, ``8 business hours``,
``5 business days``.

The clock is part of the literal, so nobody has to guess: plain units count elapsed time, around
the clock; ``business hours`` count only the calendar's open hours; ``business days`` count open
days of the calendar and land at the same time of day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Clock(StrEnum):
    ELAPSED = "elapsed"
    BUSINESS_HOURS = "business_hours"
    BUSINESS_DAYS = "business_days"


@dataclass(frozen=True, slots=True)
class Span:
    """A parsed duration literal.

    A frozen dataclass with slots, not a pydantic model: it is never validated or serialized
    (only :func:`parse_duration` makes one, of checked values), and the engine reads its fields
    on every deadline it computes, where a model's read goes through pydantic's attribute hook."""

    clock: Clock
    seconds: int = 0
    days: int = 0

    @property
    def delta(self) -> timedelta:
        """The length for elapsed and business-hours clocks."""
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        if self.clock is Clock.BUSINESS_DAYS:
            return f"{self.days} business day{'s' if self.days != 1 else ''}"
        text = _compact(self.seconds)
        return f"{text} business hours" if self.clock is Clock.BUSINESS_HOURS else text


class DurationSyntaxError(ValueError):
    pass


_UNITS = {
    "w": 7 * 86400, "week": 7 * 86400, "weeks": 7 * 86400,
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
}  # fmt: skip
_COMPACT = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")
_BUSINESS = re.compile(r"^(\d+(?:\.\d+)?)\s*business\s+(days?|hours?|minutes?)$")
EXAMPLES = "4h, 1h30m, 90 minutes, 2 days, 8 business hours, 5 business days"
#: The longest duration a policy may name: ten years. Past it a deadline means nothing, and the
#: date arithmetic of a far one overflows (a case would be stuck).
MAX_SECONDS = 10 * 366 * 86400
MAX_BUSINESS_DAYS = 10 * 366


def looks_like_duration(text: str) -> bool:
    """Whether ``text`` is meant as a literal (it starts with a digit) rather than CEL."""
    return bool(text.strip()) and text.strip()[0].isdigit()


def parse_duration(text: str) -> Span:
    """Parse a duration literal.

    Raises:
        DurationSyntaxError: with a message that shows the accepted forms.
    """
    normalized = " ".join(text.strip().lower().split())
    business = _BUSINESS.match(normalized)
    if business:
        amount, unit = float(business.group(1)), business.group(2)
        if unit.startswith("day"):
            if not amount.is_integer() or amount < 1:
                raise DurationSyntaxError(f"'{text}': business days must be a whole number >= 1")
            if amount > MAX_BUSINESS_DAYS:
                raise DurationSyntaxError(f"'{text}': longer than 10 years; a duration is at most 10 years")
            return Span(clock=Clock.BUSINESS_DAYS, days=int(amount))
        seconds = amount * _UNITS[unit]
        return Span(clock=Clock.BUSINESS_HOURS, seconds=_positive(seconds, text))
    compact = normalized.replace(" ", "")
    parts = _COMPACT.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise DurationSyntaxError(f"'{text}' is not a duration; write e.g. {EXAMPLES}")
    seconds = 0.0
    for number, unit in parts:
        if unit not in _UNITS:
            raise DurationSyntaxError(
                f"'{text}': unknown unit '{unit}'; use w, d, h, m, s (or words), "
                f"or 'business hours' / 'business days'"
            )
        seconds += float(number) * _UNITS[unit]
    return Span(clock=Clock.ELAPSED, seconds=_positive(seconds, text))


def _positive(seconds: float, text: str) -> int:
    if seconds <= 0:
        raise DurationSyntaxError(f"'{text}': a duration must be longer than zero")
    if seconds > MAX_SECONDS:
        raise DurationSyntaxError(f"'{text}': longer than 10 years; a duration is at most 10 years")
    return round(seconds)


def _compact(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            amount, seconds = divmod(seconds, size)
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
