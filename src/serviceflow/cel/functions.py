"""The functions serviceflow adds to CEL, declared once for every backend and for the checker.

Implementations take and return plain Python values (str, int, float, bool, datetime, timedelta,
list, dict); each backend converts at its boundary.
"""

from __future__ import annotations

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


def _email_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _contains_any(values: Sequence[Any], candidates: Sequence[Any]) -> bool:
    wanted = set(candidates)
    return any(value in wanted for value in values)


BUILTIN_FUNCTIONS: tuple[CelFunction, ...] = (
    CelFunction("minutes", (INT,), DURATION, lambda n: timedelta(minutes=n), "minutes(30): a duration"),
    CelFunction("hours", (INT,), DURATION, lambda n: timedelta(hours=n), "hours(4): a duration"),
    CelFunction("days", (INT,), DURATION, lambda n: timedelta(days=n), "days(2): 48 hours"),
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
