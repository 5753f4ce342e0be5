"""The functions serviceflow adds to CEL, declared once for every backend and for the checker.

Implementations take and return plain Python values (str, int, float, bool, datetime, timedelta,
list, dict); each backend converts at its boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from serviceflow.cel.types import BOOL, DURATION, DYN, INT, STRING, CelType, list_of


@dataclass(frozen=True)
class CelFunction:
    """A global function callable from policies as ``name(args...)``."""

    name: str
    params: tuple[CelType, ...]
    result: CelType
    impl: Callable[..., Any]
    doc: str


#: The longest duration a policy may use (a computed or literal one), as ``policy/durations.py``.
MAX_DURATION = timedelta(days=10 * 366)
#: What a duration past :data:`MAX_DURATION` is told, at check and at run time.
TOO_LONG = "longer than 10 years; a duration is at most 10 years"
#: How CEL writes a duration (the ``duration("...")`` string), said wherever one is refused.
DURATION_FORMAT = "CEL writes durations as a number and a unit (h, m, s, ms, us, ns): 30m, 1h30m, 90s"

# The strings celpy's ``duration()`` reads, stricter where it would fail with Python's own words
# (``.s``: "could not convert string to float"; ``µs`` is outside its ``[a-z]+``).
_DURATION = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|ms|s|m|h|d))+")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)")
_WORDS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), "ms"),
}


def is_duration_text(text: str) -> bool:
    """Whether ``duration(text)`` reads ``text`` (its range aside)."""
    return len(text) <= 200 and _DURATION.fullmatch(text) is not None


def duration_text_problem(text: str) -> str:
    """Why ``duration(text)`` cannot be used, in the policy author's words, with what to write.

    ``text`` is well formed (:func:`is_duration_text`) and still refused: it is out of range.
    Otherwise it is not a duration; the message suggests one when the text reads as one
    (``"30mins"`` -> ``"30m"``).
    """
    if is_duration_text(text):
        return TOO_LONG
    words = text.strip()[:200]
    parts = _PART.findall(words)
    if parts and "".join(f"{n}{u}" for n, u in parts) == re.sub(r"\s+", "", words):
        units = [_WORDS.get(unit.lower()) for _, unit in parts]
        if all(units):
            fixed = "".join(f"{n}{u}" for (n, _), u in zip(parts, units, strict=True))
            return f'not a duration; write duration("{fixed}") ({DURATION_FORMAT})'
    return f"not a duration; {DURATION_FORMAT}"


def _span(unit: str, seconds: int) -> Callable[[int], timedelta]:
    """``minutes(n)``, ``hours(n)``, ``days(n)``: bounded, so a huge ``n`` is told
    :data:`TOO_LONG` rather than ``timedelta``'s "Python int too large to convert to C int"."""
    most = MAX_DURATION.total_seconds() // seconds

    def span(n: int) -> timedelta:
        if abs(n) > most:
            raise ValueError(TOO_LONG)
        return timedelta(**{unit: n})

    span.__name__ = unit
    return span


def _email_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _contains_any(values: Sequence[Any], candidates: Sequence[Any]) -> bool:
    wanted = set(candidates)
    return any(value in wanted for value in values)


BUILTIN_FUNCTIONS: tuple[CelFunction, ...] = (
    CelFunction("minutes", (INT,), DURATION, _span("minutes", 60), "minutes(30): a duration"),
    CelFunction("hours", (INT,), DURATION, _span("hours", 3600), "hours(4): a duration"),
    CelFunction("days", (INT,), DURATION, _span("days", 86400), "days(2): 48 hours"),
    CelFunction("lower", (STRING,), STRING, str.lower, 'lower("ABC") == "abc"'),
    CelFunction(
        "email_domain",
        (STRING,),
        STRING,
        _email_domain,
        'email_domain("Ann@Shop.example") == "shop.example"',
    ),
    CelFunction(
        "contains_any",
        (list_of(DYN), list_of(DYN)),
        BOOL,
        _contains_any,
        'contains_any(ticket.tags, ["vip", "press"]): any shared element',
    ),
)

# CEL's own functions and macros, which need no declaration: global calls and methods.
STANDARD_GLOBALS = frozenset(
    {
        "size", "int", "uint", "double", "string", "bytes", "bool", "duration", "timestamp",
        "dyn", "type", "has", "matches", "list", "map",
    }
)  # fmt: skip
STANDARD_METHODS = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches", "exists", "all", "exists_one",
        "map", "filter", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
        "getFullYear", "getMonth", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
    }
)  # fmt: skip
MACROS = frozenset({"exists", "all", "exists_one", "map", "filter"})
