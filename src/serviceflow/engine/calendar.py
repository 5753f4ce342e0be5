"""Business-hours calendars: when a clock that only runs in open hours reaches a deadline.

A :class:`BusinessCalendar` is the arithmetic behind every target, promise and escalation delay
that counts business time. It is pure: no clock reads, no I/O, and the same inputs always give
the same UTC instant, which is what lets the durable workflow replay decisions.

Rules, and why:

- Each local date's open ranges are built in the calendar's own time zone and only then
  converted to UTC. Business hours are a promise about the wall clock in the office ("we answer
  until 17:30"), so a day with a DST change has 23 or 25 hours of real time.
- A local time inside the spring-forward gap means the instant the gap ends (the office opens
  when the clock first shows a time at or after the opening); an ambiguous local time (fall back)
  means its first occurrence (``fold=0``), so nothing opens an hour late.
- A range that ends before it starts (``22:00-06:00``) runs past midnight into the next day.
  The after-midnight part belongs to the next local date, so a holiday closes its whole local
  date - including the tail of the previous night's shift - while the part of that shift before
  midnight stays open.
- Every search for open time is bounded (:data:`SEARCH_DAYS` closed days in a row raise
  :class:`ValueError`); a long span counts whole plain weeks without walking them (week_of); a
  deadline beyond the years 1 to 9999 raises :class:`~serviceflow.errors.CalendarRangeError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from serviceflow.engine.calendar_days import (
    _DAY,
    _DAY_MINUTES,
    _SPANS,
    SEARCH_DAYS,
    DayCache,
    Period,
    Ranges,
    Weeks,
    _day,
    _span,
    _utc,
    _wall_to_utc,
    beyond,
    closed_before,
    plain_weeks,
    week_of,
    weekly_ranges,
)
from serviceflow.policy.durations import Clock, Span
from serviceflow.policy.schema import WEEKDAYS, Calendar, Holiday

__all__ = ["SEARCH_DAYS", "BusinessCalendar", "Period", "Ranges"]

#: Enum members read once: a member read off its class goes through ``EnumType.__getattr__``'s
#: slot hook, several times slower than a module global, and these are read on every input.
_BUSINESS_DAYS, _BUSINESS_HOURS = Clock.BUSINESS_DAYS, Clock.BUSINESS_HOURS

_ZERO = timedelta()
_TICK = timedelta(microseconds=1)


#: The days of calendars by what they are computed from (zone, weekly hours, holidays): a policy
#: set's calendars are built again for every ``Rules`` (each version, each ``policy test`` and
#: backtest run), and a day's periods cost four wall-clock conversions; equal calendars share
#: them. Bounded: cleared when this many kinds of calendar were built.
_SHARED_DAYS: dict[tuple[object, ...], DayCache] = {}
_SHARED_KEPT = 64


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """A weekly schedule in a time zone, with holidays: the clock business-time targets run on.

    Immutable and deterministic. It compares and hashes by identity, which keys the per-date
    cache; build one per calendar spec and reuse it. Every method takes timezone-aware datetimes
    (naive ones raise :class:`ValueError`) and returns UTC datetimes.

    Attributes:
        name: The calendar's name in the policy set, for error messages.
        zone: The time zone the weekly hours and holidays are read in.
        weekly: Open ranges per weekday, Monday first, in minutes of the local day. An overnight
            range is already split: its after-midnight part sits on the next weekday.
        holidays: Local dates that are closed all day.
        always: Open around the clock in UTC: elapsed time, plain timedelta arithmetic.
    """

    name: str
    zone: ZoneInfo
    weekly: tuple[Ranges, ...]
    holidays: frozenset[date] = frozenset()
    always: bool = False
    #: Its days' open periods by local date ordinal, as looked up (bounded: see calendar_days);
    #: shared by every calendar of the same zone, hours and holidays (see :data:`_SHARED_DAYS`).
    _days: DayCache = field(default_factory=dict, init=False, repr=False, compare=False)
    #: The last UTC instant read in the zone and its local datetime, as one tuple (see _local).
    _last: list[tuple[datetime | None, datetime | None]] = field(
        default_factory=lambda: [(None, None)], init=False, repr=False, compare=False
    )
    _weeks: Weeks = field(init=False, repr=False, compare=False)  # see week_of: whole weeks at once

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError(f"calendar {self.name!r} needs open ranges for 7 weekdays")
        if not self.always and not any(self.weekly):
            raise ValueError(
                f"calendar {self.name!r} has no open hours; a business-time clock on it would never run"
            )
        key = (self.zone, self.weekly, self.holidays, self.always)
        if len(_SHARED_DAYS) >= _SHARED_KEPT and key not in _SHARED_DAYS:
            _SHARED_DAYS.clear()
        object.__setattr__(self, "_days", _SHARED_DAYS.setdefault(key, self._days))
        object.__setattr__(self, "_weeks", week_of(self.weekly, self.holidays))

    def _local(self, moment: datetime) -> datetime:
        """``moment`` (UTC) in the calendar's zone. The last one is kept: a decision reads the
        same start again for each target and its warning (a conversion looks up the zone's
        rules), and the memo holds the instant, so its id cannot be reused."""
        last = self._last[0]
        if moment is last[0]:
            return last[1]  # type: ignore[return-value]  # set with the instant, never None then
        local = moment.astimezone(self.zone)
        self._last[0] = (moment, local)
        return local

    @classmethod
    def from_spec(cls, name: str, spec: Calendar) -> BusinessCalendar:
        """Build a calendar from its policy-set spec.

        Args:
            name: The calendar's name, used in error messages.
            spec: The validated ``Calendar`` model.

        Raises:
            ValueError: When the spec has no open hours (the policy loader refuses those first).
        """
        holidays = frozenset(h.date if isinstance(h, Holiday) else h for h in spec.holidays)
        return cls(name, ZoneInfo(spec.timezone), weekly_ranges(spec.hours), holidays)

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """Elapsed time: open around the clock in UTC, so all arithmetic is plain timedelta."""
        return cls("elapsed", ZoneInfo("UTC"), tuple(((0, _DAY_MINUTES),) for _ in WEEKDAYS), always=True)

    # -- open periods ----------------------------------------------------------------------------

    def _periods(self, start: datetime, end: datetime | None) -> Iterator[Period]:
        """Per-date open periods overlapping [start, end), clipped to it; not merged.

        The working iterator behind the arithmetic: it never looks further ahead than the
        caller consumes. ``start`` and ``end`` are UTC.

        Raises:
            ValueError: When ``end`` is None and no open time follows within ``SEARCH_DAYS``.
        """
        # Start a day early: cheap (cached) insurance against zones whose midnight moves.
        day = self._local(start).toordinal() - 1
        last = self._local(end).toordinal() + 1 if end is not None else None
        closed = 0
        kept = self._days
        while last is None or day <= last:
            periods = (kept.get(day) or _day(self, day, kept))[0]
            closed = 0 if periods else closed + 1
            if closed > SEARCH_DAYS:
                raise self._no_open_time(start)
            for opens, closes in periods:
                if closes <= start:
                    continue
                if end is not None and opens >= end:
                    return
                yield max(opens, start), (closes if end is None else min(closes, end))
            day += 1

    def open_intervals(self, start: datetime, end: datetime | None = None) -> Iterator[Period]:
        """The open periods overlapping [start, end), in UTC, clipped to it, in order.
        Adjacent periods are merged: an overnight shift ``22:00-06:00`` comes as one period from
        22:00 to 06:00, and ``00:00-24:00`` every day as one continuous period.

        Args:
            start: Where to begin; a period already open at ``start`` begins at ``start``.
            end: Where to stop (exclusive); None for an endless, lazy iterator. Without an end a
                continuous opening is cut after ``SEARCH_DAYS`` days so the iterator still yields.

        Raises:
            ValueError: When ``end`` is None and a search crosses ``SEARCH_DAYS`` closed days.
        """
        try:
            begin = _utc(start, "start")
            stop = _utc(end, "end") if end is not None else None
            if stop is not None and stop <= begin:
                return
            if self.always:
                yield begin, (stop if stop is not None else datetime.max.replace(tzinfo=UTC))
                return
            limit = timedelta(days=SEARCH_DAYS)
            pending: Period | None = None
            for opens, closes in self._periods(begin, stop):
                if (
                    pending is not None
                    and opens <= pending[1]
                    and (stop is not None or closes - pending[0] <= limit)
                ):
                    pending = (pending[0], max(pending[1], closes))
                    continue
                if pending is not None:
                    yield pending
                pending = (opens, closes)
            if pending is not None:
                yield pending
        except OverflowError as exc:
            raise beyond(self.name, start, "the open periods") from exc

    # -- arithmetic ------------------------------------------------------------------------------

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` of open time have passed after ``start``.

        If ``start`` is closed, counting begins at the next opening; ``add(start, 0)`` is the
        next open instant at or after ``start``. A span that uses up a period exactly ends at
        its closing time (a 7.5-hour day from 09:00 ends at 17:30, not next morning).

        Raises:
            ValueError: For negative ``seconds``, or when no open time follows ``start``.
        """
        if seconds < 0:
            raise ValueError(f"cannot add a negative amount of business time ({seconds} s)")
        try:
            begin = _utc(start, "start")
            left = _SPANS.get(seconds)  # timedelta(seconds=...) is a costly call; the few spans
            if left is None:  # the rules use recur (timedelta is immutable)
                left = _span(seconds)
            if self.always:
                return begin + left
            # What _periods(begin, None) yields, walked here without a generator, and a whole date
            # that cannot hold the rest taken at once (this runs for every target on every decision).
            # Days by their ordinals: a date object per step, and its hash, cost more than the step.
            day = self._local(begin).toordinal() - 1
            closed = 0
            kept, (week, far, _, _, holidays) = self._days, self._weeks
            first = day + 2  # the first date wholly after start, where whole weeks may be counted
            while True:
                if day >= first and left > far > _ZERO:  # whole weeks, counted, not walked (F6)
                    weeks = plain_weeks(self, day, (left - _TICK) // week, holidays)
                    if weeks:
                        left, day = left - weeks * week, day + 7 * weeks
                        closed = closed_before(self.weekly, day)
                periods, day_total = kept.get(day) or _day(self, day, kept)
                closed = 0 if periods else closed + 1
                if closed > SEARCH_DAYS:
                    raise self._no_open_time(begin)
                if periods and periods[0][0] >= begin and day_total < left:
                    left -= day_total
                else:
                    for opens, closes in periods:
                        if closes <= begin:
                            continue
                        opens = max(opens, begin)
                        if closes - opens >= left:
                            return opens + left
                        left -= closes - opens
                day += 1
        except OverflowError as exc:
            raise beyond(self.name, start, f"{seconds / 3600:g} business hours") from exc

    def _no_open_time(self, after: datetime) -> ValueError:
        """The calendar's refusal of a span: no open hour in :data:`SEARCH_DAYS` days in a row."""
        return ValueError(
            f"calendar {self.name!r} has no open time within {SEARCH_DAYS} days after {after.isoformat()}"
        )

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds in [start, end); 0 when ``end`` is not after ``start``.

        The inverse of :meth:`add`: ``business_seconds(a, add(a, s)) == s``.
        """
        try:
            begin, stop = _utc(start, "start"), _utc(end, "end")
            if stop <= begin:
                return 0.0
            if self.always:
                return (stop - begin).total_seconds()
            # What summing _periods(begin, stop) gives, walked without a generator, whole dates at once.
            day = self._local(begin).toordinal() - 1  # by ordinals, as in add
            last = self._local(stop).toordinal() + 1
            total = _ZERO
            closed = 0
            kept = self._days
            while day <= last:
                periods, day_total = kept.get(day) or _day(self, day, kept)
                closed = 0 if periods else closed + 1
                if closed > SEARCH_DAYS:
                    raise self._no_open_time(begin)
                if periods and periods[0][0] >= begin and periods[-1][1] <= stop:
                    total += day_total
                else:
                    for opens, closes in periods:
                        if closes <= begin:
                            continue
                        if opens >= stop:
                            return total.total_seconds()
                        total += min(closes, stop) - max(opens, begin)
                day += 1
            return total.total_seconds()
        except OverflowError as exc:
            raise beyond(self.name, start, f"the business time up to {end.isoformat()}") from exc

    def is_open(self, t: datetime) -> bool:
        """Whether the calendar is open at ``t``; an opening time is open, a closing time is not."""
        try:
            moment = _utc(t, "t")
            if self.always:
                return True
            day, kept = self._local(moment).toordinal(), self._days
            return any(
                opens <= moment < closes
                for d in (day - 1, day)
                for opens, closes in (kept.get(d) or _day(self, d, kept))[0]
            )
        except OverflowError as exc:
            raise beyond(self.name, t, "") from exc

    def next_open(self, t: datetime) -> datetime:
        """``t`` itself (in UTC) when open, else the next opening.
        Raises:
            ValueError: When no open time follows within ``SEARCH_DAYS`` closed days.
        """
        return self.add(t, 0)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The ``days``-th open day after start's local date, at start's local wall-clock time.

        This is how people read "within 5 business days": the same time of day, that many
        working days later, whatever happens to the hours in between. The rule:

        - An open day is a local date with any open hours that is not a holiday. The tail of an
          overnight shift counts: with ``mon-fri 22:00-06:00``, Saturday (00:00-06:00) is open.
        - Counting starts the day after start's local date, whether or not start is open: from
          a Friday or a Saturday, 1 business day is Monday.
        - The deadline keeps start's local wall time (so the UTC offset changes across DST; a
          time in a spring-forward gap moves to the gap's end, an ambiguous one is the first).
        - If that time is after the day's last closing, the deadline is that closing (a promise
          made at 19:00 is due at 17:30 on the day). If it is before the day's opening it is
          kept: a deadline early in the morning is fine and nobody loses the day.
        - ``days == 0`` returns ``start``; on :meth:`always_open`, whole 24-hour days are added.

        Raises:
            ValueError: For negative ``days``, or when ``SEARCH_DAYS`` closed days pass in a row.
        """
        if days < 0:
            raise ValueError(f"cannot add a negative number of business days ({days})")
        try:
            begin = _utc(start, "start")
            if self.always or days == 0:
                return begin + days * _DAY
            local = self._local(begin)
            wall = timedelta(0, local.hour * 3600 + local.minute * 60 + local.second, local.microsecond)
            day, counted, closed, kept = local.toordinal(), 0, 0, self._days
            _, _, open_days, far_days, holidays = self._weeks
            while True:
                if days - counted > far_days > 0:  # whole weeks, counted, not walked (F6)
                    weeks = plain_weeks(self, day + 1, (days - counted - 1) // open_days, holidays)
                    if weeks:
                        counted, day = counted + weeks * open_days, day + 7 * weeks
                        closed = closed_before(self.weekly, day + 1)
                day += 1
                periods = (kept.get(day) or _day(self, day, kept))[0]
                if not periods:
                    closed += 1
                    if closed > SEARCH_DAYS:
                        raise ValueError(
                            f"calendar {self.name!r} has no open day within {SEARCH_DAYS} days "
                            f"after {date.fromordinal(day - SEARCH_DAYS)}"
                        )
                    continue
                closed = 0
                counted += 1
                if counted == days:
                    return min(_wall_to_utc(date.fromordinal(day), wall, self.zone), periods[-1][1])
        except OverflowError as exc:
            raise beyond(self.name, start, f"{days} business days") from exc

    def deadline(self, start: datetime, span: Span) -> datetime:
        """When a duration literal that starts at ``start`` ends, on this calendar.

        Plain units are elapsed time whatever the calendar (the literal names its clock), so
        they are timedelta addition; business hours go to :meth:`add`, business days to
        :meth:`add_business_days`.
        """
        if span.clock is _BUSINESS_DAYS:
            return self.add_business_days(start, span.days)
        if span.clock is _BUSINESS_HOURS:
            return self.add(start, span.seconds)
        try:
            return _utc(start, "start") + span.delta
        except OverflowError as exc:
            raise beyond(self.name, start, str(span)) from exc
