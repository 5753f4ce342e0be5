"""Business-hours calendars: when a clock that only runs in open hours reaches a deadline.

Each local date's open ranges are built in the calendar's own time zone and only then converted
to UTC, so a day with a DST change has 23 or 25 hours, a local time inside the spring-forward gap
means the instant after the gap, and an ambiguous one (fall back) its first occurrence. A range
that ends before it starts (``22:00-06:00``) runs past midnight into the next day. A holiday closes
its whole local date, including the after-midnight part of the previous night's shift.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from serviceflow.policy.durations import Clock, Span
from serviceflow.policy.schema import WEEKDAYS, Calendar, Holiday, expand_days

_SEARCH_DAYS = 3 * 366  # no calendar may be closed for longer than this

Minutes = tuple[tuple[int, int], ...]  # open ranges as (start, end) minutes of the local day


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``minute`` on local ``day``; 24:00 is the next day's 00:00."""
    extra, minute = divmod(minute, 24 * 60)
    wall = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), zone)
    after = wall.astimezone(UTC)
    if after.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return after  # fold=0: the first occurrence of an ambiguous time
    # The wall time falls in the spring-forward gap: use the instant the gap ends.
    before = wall.replace(fold=1).astimezone(UTC)
    low, high = min(before, after), max(before, after)
    target = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if high.microsecond else high


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """A weekly schedule in a time zone, with holidays. Immutable; no clock reads."""

    name: str
    zone: ZoneInfo
    weekly: tuple[Minutes, ...]  # one entry per weekday, Monday first; ranges within 0..1440
    holidays: frozenset[date] = frozenset()
    always: bool = False
    _cache: dict[date, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, name: str, spec: Calendar) -> BusinessCalendar:
        days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
        for key, ranges in spec.hours.items():
            for text in [ranges] if isinstance(ranges, str) else ranges:
                start_text, end_text = text.replace(" ", "").split("-")
                start, end = _minutes(start_text), _minutes(end_text)
                for day in expand_days(key):
                    index = WEEKDAYS.index(day)
                    if end > start:
                        days[index].append((start, end))
                    else:  # past midnight: the rest of this day and the start of the next
                        days[index].append((start, 24 * 60))
                        if end > 0:
                            days[(index + 1) % 7].append((0, end))
        if not any(days):
            raise ValueError(f"calendar {name!r} has no open hours")
        weekly = tuple(_merge(sorted(ranges)) for ranges in days)
        holidays = frozenset(h.date if isinstance(h, Holiday) else h for h in spec.holidays)
        return cls(name, ZoneInfo(spec.timezone), weekly, holidays)

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """Elapsed time: open around the clock, in UTC."""
        return cls("elapsed", ZoneInfo("UTC"), tuple(((0, 1440),) for _ in WEEKDAYS), always=True)

    # -- open periods --------------------------------------------------------------------------

    def _day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        cached = self._cache.get(day)
        if cached is None:
            if day in self.holidays:
                cached = ()
            else:
                cached = tuple(
                    (_local(day, start, self.zone), _local(day, end, self.zone))
                    for start, end in self.weekly[day.weekday()]
                )
                cached = tuple((s, e) for s, e in cached if e > s)
            self._cache[day] = cached
        return cached

    def open_intervals(
        self, start: datetime, end: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open periods overlapping [start, end), clipped to it, in order.

        A period that runs past local midnight comes as two (one per local date).
        """
        start = start.astimezone(UTC)
        if self.always:
            yield start, (end.astimezone(UTC) if end else datetime.max.replace(tzinfo=UTC))
            return
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        closed_days = 0
        while True:
            periods = self._day(day)
            closed_days = 0 if periods else closed_days + 1
            if closed_days > _SEARCH_DAYS:
                raise ValueError(f"calendar {self.name!r} has no open time after {start.isoformat()}")
            for opens, closes in periods:
                if closes <= start:
                    continue
                if end is not None and opens >= end:
                    return
                yield max(opens, start), (min(closes, end) if end is not None else closes)
            day += timedelta(days=1)

    # -- arithmetic ----------------------------------------------------------------------------

    def add(self, start: datetime, seconds: float) -> datetime:
        """When ``seconds`` of open time have passed after ``start`` (counting from the next
        opening if ``start`` is closed); ``add(start, 0)`` is the next open instant."""
        if self.always:
            return start.astimezone(UTC) + timedelta(seconds=seconds)
        left = timedelta(seconds=seconds)
        for opens, closes in self.open_intervals(start):
            if closes - opens >= left:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable: open_intervals never ends")  # pragma: no cover

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds in [start, end)."""
        if end <= start:
            return 0.0
        return sum((c - o).total_seconds() for o, c in self.open_intervals(start, end))

    def is_open(self, moment: datetime) -> bool:
        return self.next_open(moment) == moment.astimezone(UTC)

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when open, else the next opening."""
        return self.add(moment, 0)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The ``days``-th open day after start's local date, at start's local wall-clock time.

        An open day is a local date with open hours that is not a holiday. The time is clamped
        to that day's last closing when it is later (a promise made at 19:00 is due at closing);
        an earlier time is kept (a deadline early in the morning is fine).
        """
        if self.always:
            return start.astimezone(UTC) + timedelta(days=days)
        local = start.astimezone(self.zone)
        day = local.date()
        counted = 0
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            if day not in self.holidays and self.weekly[day.weekday()]:
                counted += 1
                if counted == days:
                    break
        else:
            raise ValueError(f"calendar {self.name!r} has no {days} open days after {start.isoformat()}")
        wall = local.hour * 60 + local.minute
        closing = max(end for _, end in self.weekly[day.weekday()])
        due = _local(day, min(wall, closing), self.zone)
        if wall <= closing:
            due += timedelta(seconds=local.second, microseconds=local.microsecond)
        return due

    def deadline(self, start: datetime, span: Span) -> datetime:
        """When a duration literal that starts at ``start`` ends, on this calendar."""
        if span.clock is Clock.BUSINESS_DAYS:
            return self.add_business_days(start, span.days)
        if span.clock is Clock.BUSINESS_HOURS:
            return self.add(start, span.seconds)
        return start.astimezone(UTC) + span.delta


def _merge(ranges: list[tuple[int, int]]) -> Minutes:
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)
