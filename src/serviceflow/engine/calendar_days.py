"""One local date of a business calendar: its open periods in UTC, and the wall-clock arithmetic.

The rules of the wall clock (see :mod:`serviceflow.engine.calendar`): each local date's open
ranges are built in the calendar's own zone and only then converted to UTC; a time in a
spring-forward gap means the instant the gap ends, an ambiguous one its first occurrence; a
range past midnight (``22:00-06:00``) gives its tail to the next local date. A day or an instant
beyond the years 1 to 9999 is an ``OverflowError`` here, which the calendar's methods turn into a
:class:`~serviceflow.errors.CalendarRangeError` naming the start and the amount (:func:`beyond`).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from serviceflow.errors import CalendarRangeError
from serviceflow.policy.calendars import WEEKDAYS, expand_days

SEARCH_DAYS = 3 * 366
"""How many consecutive closed local days a search crosses before it gives up."""

_DAY = timedelta(days=1)
_DAY_MINUTES = 24 * 60
_RANGE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")

Ranges = tuple[tuple[int, int], ...]
"""Open ranges of one weekday as sorted, disjoint ``(start, end)`` minutes within 0..1440."""

Period = tuple[datetime, datetime]
"""An open period as a half-open ``[opens, closes)`` pair of UTC datetimes."""


#: ``timedelta(seconds=s)`` by ``s``, for :meth:`BusinessCalendar.add`; bounded, cleared when full.
_SPANS: dict[float, timedelta] = {}
_SPANS_KEPT = 1024


def _span(seconds: float) -> timedelta:
    span = timedelta(seconds=seconds)
    if len(_SPANS) >= _SPANS_KEPT:
        _SPANS.clear()
    _SPANS[seconds] = span
    return span


def beyond(calendar: str, start: datetime, amount: str) -> CalendarRangeError:
    """The error for ``amount`` (of business time, days, elapsed time) from ``start`` that reaches
    past what a datetime holds; ``amount`` is empty when ``start`` itself is that near the edge."""
    after = f"{amount} from " if amount else ""
    return CalendarRangeError(
        f"calendar {calendar!r}: {after}{start.isoformat()} falls outside the years 1 to 9999, the "
        "dates a time can hold; start earlier or use a shorter duration",
        calendar=calendar,
    )


class Schedule(Hashable, Protocol):
    """What a day's periods are computed from (a :class:`~serviceflow.engine.calendar.BusinessCalendar`)."""

    @property
    def zone(self) -> ZoneInfo: ...
    @property
    def weekly(self) -> tuple[Ranges, ...]: ...
    @property
    def holidays(self) -> frozenset[date]: ...


#: The last moment :func:`_utc` converted and its UTC instant, as one tuple (one assignment, so
#: a thread never reads one moment's instant for another's). A decision converts the same moment
#: again and again (each target started at an event's time, its warning, its total), and a
#: conversion looks up the zone's rules twice; held here, the moment's id cannot be reused.
_LAST_UTC: tuple[datetime | None, datetime | None] = (None, None)


def _utc(moment: datetime, what: str = "time") -> datetime:
    """``moment`` in UTC; a naive datetime is refused, since reading it would need a local zone."""
    global _LAST_UTC
    if moment.tzinfo is UTC:  # what astimezone(UTC) returns for it: itself
        return moment
    last = _LAST_UTC
    if moment is last[0]:
        return last[1]  # type: ignore[return-value]  # set with the moment, never None then
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} {moment.isoformat()} has no time zone; pass a timezone-aware datetime")
    converted = moment.astimezone(UTC)
    _LAST_UTC = (moment, converted)
    return converted


def _offset_at(timestamp: int, zone: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(zone).utcoffset()


def _wall_to_utc(day: date, offset: timedelta, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``zone`` shows ``offset`` past ``day``'s midnight.

    ``offset`` may be a full day (24:00 is the next day's 00:00). An ambiguous wall time gives
    its first occurrence; a wall time in a spring-forward gap gives the instant the gap ends.

    Args:
        day: The local date.
        offset: Time since local midnight, from zero to one day inclusive.
        zone: The calendar's time zone.

    Returns:
        A UTC datetime.
    """
    naive = datetime.combine(day, time()) + offset
    first = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # The wall time does not exist. fold=0 and fold=1 read it with the offsets before and after
    # the transition; the transition instant lies between them. Zone transitions fall on whole
    # seconds, so a bisection over whole POSIX seconds finds it exactly.
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(first, other), max(first, other)
    after = high.astimezone(zone).utcoffset()
    lo, hi = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if _offset_at(middle, zone) == after:
            hi = middle
        else:
            lo = middle
    return datetime.fromtimestamp(hi, UTC)


def _parse_range(text: str) -> tuple[int, int]:
    match = _RANGE.match(text.replace(" ", ""))
    if not match:
        raise ValueError(f"'{text}' is not a time range; write HH:MM-HH:MM, e.g. 09:00-17:30")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start >= _DAY_MINUTES or end > _DAY_MINUTES or start_m > 59 or end_m > 59:
        raise ValueError(f"'{text}' is not a time range within a day")
    return start, end


def _merge(ranges: list[tuple[int, int]]) -> Ranges:
    """Sort and join overlapping or touching ranges, so each weekday is a clean list."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


#: A calendar's days as they are looked up: a local date's ordinal -> its open periods and their
#: total (see :func:`_day`). Each calendar keeps its own, read inline by the arithmetic (an
#: ``lru_cache`` call, a date object per step and its hash cost more than the lookup).
DayCache = dict[int, tuple[tuple[Period, ...], timedelta]]
DAYS_KEPT = 8192  # per calendar; cleared when full (the dates in use refill it)


def _day(calendar: Schedule, ordinal: int, kept: DayCache) -> tuple[tuple[Period, ...], timedelta]:
    """The open periods of the local date ``date.fromordinal(ordinal)``, in UTC, in order
    (empty on a holiday), and their total: what a span crossing the whole date counts of it.

    Kept in ``kept`` because every decision walks the same few days again. Periods that vanish
    in a spring-forward gap (both ends map to the same instant) are dropped.

    Raises:
        OverflowError: The date, or a period of it in UTC, is outside the years 1 to 9999.
    """
    try:
        day = date.fromordinal(ordinal)
        periods: tuple[Period, ...] = ()
        if day not in calendar.holidays:
            ends = (
                (
                    _wall_to_utc(day, timedelta(minutes=start), calendar.zone),
                    _wall_to_utc(day, timedelta(minutes=end), calendar.zone),
                )
                for start, end in calendar.weekly[day.weekday()]
            )
            periods = tuple((opens, closes) for opens, closes in ends if closes > opens)
    except ValueError as exc:  # the year 0 or 10000 (date.fromordinal, datetime.fromtimestamp)
        raise OverflowError(f"day {ordinal} is out of range") from exc
    found = periods, sum((closes - opens for opens, closes in periods), timedelta())
    if len(kept) >= DAYS_KEPT:
        kept.clear()
    kept[ordinal] = found
    return found


# -- whole weeks -----------------------------------------------------------------------------------

Weeks = tuple[timedelta, timedelta, int, int, tuple[int, ...]]
"""What whole weeks of a calendar hold, read once: a week's open time and what of it is worth
counting weeks for, its open weekdays and the same, and the holidays' ordinals, sorted."""

#: Whole weeks are counted only for a span longer than this many weeks: a few weeks of dates
#: already kept are walked about as fast as their offsets are read, and the usual spans (hours,
#: a few days) never pay for a look at the holidays and the zone.
COUNT_WEEKS_FROM = 8


def week_of(weekly: tuple[Ranges, ...], holidays: frozenset[date]) -> Weeks:
    """A week's nominal open time, its open weekdays, and the holidays as sorted ordinals."""
    week = timedelta(minutes=sum(end - start for ranges in weekly for start, end in ranges))
    days = sum(1 for ranges in weekly if ranges)
    ordinals = tuple(sorted(h.toordinal() for h in holidays))
    return week, week * COUNT_WEEKS_FROM, days, days * COUNT_WEEKS_FROM, ordinals


def _midnight_offset(ordinal: int, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset at the local date's midnight, or None when that midnight lies in a
    gap or a fold: its two readings (fold 0 and 1, PEP 495) differ, so the offset changes there
    and no week that begins or ends at it is plain. Read at fold 0 alone, a midnight in a gap
    gives the old offset: Brazil's week of DST in October 2000 (America/Recife: on at 00:00 on
    the 8th, off at 00:00 on the 15th) read -03 at both ends and was counted as plain, a week
    early for a Sunday 00:00-01:00 calendar (review12's find)."""
    wall = datetime.fromordinal(ordinal)
    offset = zone.utcoffset(wall)
    return offset if offset == zone.utcoffset(wall.replace(fold=1)) else None


def plain_weeks(calendar: Schedule, day: int, wanted: int, holidays: tuple[int, ...]) -> int:
    """How many of the ``wanted`` whole weeks from local date ``day`` on can be counted without
    walking them: no holiday and one UTC offset from ``day``'s midnight to each week's end.

    Each date of such a week has its weekday's ranges shifted by that one offset, so the week
    holds exactly its nominal open time and open weekdays, as the day-by-day walk would count.
    The offset is read at each week's midnights only, and a midnight in a gap or a fold ends the
    plain weeks (:func:`_midnight_offset`). Two changes of offset within one week that cancel
    each other, both strictly between midnights, would go unseen: review12 scanned the tz
    database for a change and its reversal within eight days and found eleven pairs (Freetown
    1939, Brazil 2000, Gaza and Hebron 2040-2072 as predicted); only Brazil 2000's puts two
    midnights seven days apart at one offset, and its changes are at midnight, so seen.

    Raises:
        OverflowError: A week reaches past the year 9999 (the walk would reach it as well).
    """
    at = bisect_left(holidays, day)
    if at < len(holidays):
        wanted = min(wanted, (holidays[at] - day) // 7)
    try:
        offset, weeks = _midnight_offset(day, calendar.zone), 0
        if offset is None:
            return 0
        while weeks < wanted and _midnight_offset(day + 7 * (weeks + 1), calendar.zone) == offset:
            weeks += 1
    except ValueError as exc:  # datetime.fromordinal past the year 9999
        raise OverflowError(f"day {day} is out of range") from exc
    return weeks


def closed_before(weekly: tuple[Ranges, ...], ordinal: int) -> int:
    """How many days before the local date ``ordinal`` have no hours, in a row (in a plain week)."""
    weekday, closed = date.fromordinal(ordinal).weekday(), 0
    while closed < 7 and not weekly[(weekday - closed - 1) % 7]:
        closed += 1
    return closed


def weekly_ranges(hours: Mapping[str, str | list[str]]) -> tuple[Ranges, ...]:
    """A spec's ``hours`` as open ranges per weekday, Monday first; an overnight range is split,
    its after-midnight part on the next weekday."""
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for key, value in hours.items():
        for text in [value] if isinstance(value, str) else value:
            start, end = _parse_range(text)
            for day in expand_days(key):
                index = WEEKDAYS.index(day)
                if end > start:
                    days[index].append((start, end))
                else:  # past midnight: the rest of this day and the start of the next
                    days[index].append((start, _DAY_MINUTES))
                    if end > 0:
                        days[(index + 1) % 7].append((0, end))
    return tuple(_merge(d) for d in days)
