"""Business-hours arithmetic: lunch breaks, weekends, holidays, overnight shifts, DST.

Expected instants are written out exactly, most of them in UTC, so that a wrong offset or a
wrong day cannot hide behind a comparison in the same zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.policy.durations import parse_duration
from serviceflow.policy.schema import Calendar, Holiday

AMS = ZoneInfo("Europe/Amsterdam")  # CET +1; CEST +2 from 2026-03-29 02:00 to 2026-10-25 03:00
NY = ZoneInfo("America/New_York")  # EST -5 until 2026-03-08


def calendar(
    hours: dict[str, str | list[str]],
    zone: str = "Europe/Amsterdam",
    holidays: Sequence[date | Holiday] = (),
) -> BusinessCalendar:
    return BusinessCalendar.from_spec("test", Calendar(timezone=zone, hours=hours, holidays=list(holidays)))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


OFFICE = calendar(
    {"mon-fri": ["09:00-12:30", "13:30-17:30"]},
    holidays=[date(2026, 12, 25), Holiday(date=date(2026, 12, 26), name="Boxing Day")],
)
ALL_DAY = calendar({"mon-sun": "00:00-24:00"})
NIGHTS = calendar({"mon-fri": "22:00-06:00"}, zone="America/New_York")
ELAPSED = BusinessCalendar.always_open()


# -- lunch break, weekends, holidays ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(AMS, 2026, 3, 2, 11, 0), 4, utc(2026, 3, 2, 15, 0)),  # Monday 11:00, over lunch: 16:00
        (at(AMS, 2026, 3, 2, 12, 45), 1, utc(2026, 3, 2, 13, 30)),  # in lunch: from 13:30, so 14:30
        (at(AMS, 2026, 3, 2, 12, 45), 4, utc(2026, 3, 2, 16, 30)),  # ... and 4h is closing, 17:30
        (at(AMS, 2026, 3, 2, 9, 0), 7.5, utc(2026, 3, 2, 16, 30)),  # a whole day ends at closing
        (at(AMS, 2026, 3, 6, 16, 0), 4, utc(2026, 3, 9, 10, 30)),  # Friday 16:00 to Monday 11:30
        (at(AMS, 2026, 3, 7, 10, 0), 1, utc(2026, 3, 9, 9, 0)),  # from Saturday: Monday 10:00
        (at(AMS, 2026, 12, 24, 17, 0), 1, utc(2026, 12, 28, 8, 30)),  # Christmas: Monday 09:30
    ],
)
def test_adding_business_hours(start: datetime, hours: float, due: datetime) -> None:
    assert OFFICE.add(start, hours * 3600) == due


def test_lunch_is_not_counted() -> None:
    assert OFFICE.business_seconds(at(AMS, 2026, 3, 2, 12, 0), at(AMS, 2026, 3, 2, 14, 0)) == 3600
    assert not OFFICE.is_open(at(AMS, 2026, 3, 2, 12, 45))
    assert OFFICE.next_open(at(AMS, 2026, 3, 2, 12, 45)) == utc(2026, 3, 2, 12, 30)


def test_holidays_close_the_whole_day() -> None:
    same_without_holidays = calendar({"mon-fri": ["09:00-12:30", "13:30-17:30"]})
    week = (at(AMS, 2026, 12, 24, 0, 0), at(AMS, 2026, 12, 29, 0, 0))  # Thursday to Monday
    assert OFFICE.business_seconds(*week) == 2 * 7.5 * 3600  # Thursday and Monday
    assert same_without_holidays.business_seconds(*week) == 3 * 7.5 * 3600
    assert not OFFICE.is_open(at(AMS, 2026, 12, 25, 10, 0))
    assert OFFICE.next_open(at(AMS, 2026, 12, 25, 10, 0)) == utc(2026, 12, 28, 8, 0)


def test_wrapping_day_ranges() -> None:
    weekend_desk = calendar({"fri-mon": "10:00-14:00"})
    assert weekend_desk.is_open(at(AMS, 2026, 3, 8, 11, 0))  # Sunday
    assert weekend_desk.is_open(at(AMS, 2026, 3, 9, 11, 0))  # Monday
    assert not weekend_desk.is_open(at(AMS, 2026, 3, 10, 11, 0))  # Tuesday


# -- open intervals --------------------------------------------------------------------------


def test_open_intervals_are_clipped_and_ordered() -> None:
    assert list(OFFICE.open_intervals(at(AMS, 2026, 3, 2, 10, 0), at(AMS, 2026, 3, 2, 14, 0))) == [
        (utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 11, 30)),
        (utc(2026, 3, 2, 12, 30), utc(2026, 3, 2, 13, 0)),
    ]
    assert list(OFFICE.open_intervals(at(AMS, 2026, 3, 2, 14, 0), at(AMS, 2026, 3, 2, 10, 0))) == []


def test_open_intervals_without_an_end_are_lazy() -> None:
    first = list(islice(OFFICE.open_intervals(at(AMS, 2026, 3, 6, 17, 0)), 3))
    assert first == [
        (utc(2026, 3, 6, 16, 0), utc(2026, 3, 6, 16, 30)),  # Friday until 17:30
        (utc(2026, 3, 9, 8, 0), utc(2026, 3, 9, 11, 30)),  # Monday morning
        (utc(2026, 3, 9, 12, 30), utc(2026, 3, 9, 16, 30)),  # Monday afternoon
    ]


def test_adjacent_ranges_merge_into_one_interval() -> None:
    split = calendar({"mon-fri": ["09:00-12:00", "12:00-17:00"]})
    assert list(split.open_intervals(at(AMS, 2026, 3, 2, 0, 0), at(AMS, 2026, 3, 3, 0, 0))) == [
        (utc(2026, 3, 2, 8, 0), utc(2026, 3, 2, 16, 0))
    ]
    # An overnight shift that meets the next morning's hours is one period.
    long_night = calendar({"mon": "22:00-06:00", "tue": "05:00-09:00"})
    assert list(long_night.open_intervals(at(AMS, 2026, 3, 2, 0, 0), at(AMS, 2026, 3, 4, 0, 0))) == [
        (utc(2026, 3, 2, 21, 0), utc(2026, 3, 3, 8, 0))
    ]


def test_around_the_clock_is_one_interval_even_over_dst() -> None:
    start, end = at(AMS, 2026, 3, 28, 0, 0), at(AMS, 2026, 3, 31, 0, 0)
    assert list(ALL_DAY.open_intervals(start, end)) == [(utc(2026, 3, 27, 23, 0), utc(2026, 3, 30, 22, 0))]


# -- overnight shifts ------------------------------------------------------------------------


def test_overnight_desk_runs_past_midnight() -> None:
    assert NIGHTS.add(at(NY, 2026, 2, 2, 23, 0), 2 * 3600) == utc(2026, 2, 3, 6, 0)  # Tue 01:00 EST
    assert NIGHTS.is_open(at(NY, 2026, 2, 3, 0, 0))  # midnight is inside the shift
    assert not NIGHTS.is_open(at(NY, 2026, 2, 3, 6, 0))
    assert list(NIGHTS.open_intervals(at(NY, 2026, 2, 2, 12, 0), at(NY, 2026, 2, 4, 12, 0))) == [
        (utc(2026, 2, 3, 3, 0), utc(2026, 2, 3, 11, 0)),  # Monday 22:00 to Tuesday 06:00, one piece
        (utc(2026, 2, 4, 3, 0), utc(2026, 2, 4, 11, 0)),
    ]


def test_overnight_desk_over_the_weekend() -> None:
    # Friday's shift runs into Saturday morning; there is no Saturday or Sunday shift, so the
    # next opening is Monday 22:00 and Monday before 06:00 is closed.
    assert NIGHTS.is_open(at(NY, 2026, 2, 7, 1, 0))  # Saturday 01:00
    assert not NIGHTS.is_open(at(NY, 2026, 2, 7, 23, 0))  # Saturday night
    assert not NIGHTS.is_open(at(NY, 2026, 2, 8, 1, 0))  # Sunday 01:00
    assert not NIGHTS.is_open(at(NY, 2026, 2, 9, 1, 0))  # Monday 01:00: Sunday had no shift
    assert NIGHTS.next_open(at(NY, 2026, 2, 7, 6, 0)) == utc(2026, 2, 10, 3, 0)  # Monday 22:00
    assert NIGHTS.add(at(NY, 2026, 2, 7, 5, 0), 2 * 3600) == utc(2026, 2, 10, 4, 0)  # Monday 23:00
    assert list(NIGHTS.open_intervals(at(NY, 2026, 2, 6, 12, 0), at(NY, 2026, 2, 10, 12, 0))) == [
        (utc(2026, 2, 7, 3, 0), utc(2026, 2, 7, 11, 0)),  # Friday 22:00 to Saturday 06:00
        (utc(2026, 2, 10, 3, 0), utc(2026, 2, 10, 11, 0)),  # Monday 22:00 to Tuesday 06:00
    ]


def test_a_holiday_closes_its_date_not_the_night_before() -> None:
    desk = calendar({"mon-fri": "22:00-06:00"}, zone="America/New_York", holidays=[date(2026, 2, 3)])
    assert desk.is_open(at(NY, 2026, 2, 2, 23, 0))  # Monday night before midnight stays open
    assert not desk.is_open(at(NY, 2026, 2, 3, 1, 0))  # after midnight it is the holiday
    assert not desk.is_open(at(NY, 2026, 2, 3, 23, 0))  # the holiday's own night shift too
    assert desk.is_open(at(NY, 2026, 2, 4, 1, 0))  # Wednesday's early hours are Wednesday's
    assert list(desk.open_intervals(at(NY, 2026, 2, 2, 12, 0), at(NY, 2026, 2, 5, 12, 0))) == [
        (utc(2026, 2, 3, 3, 0), utc(2026, 2, 3, 5, 0)),  # Monday 22:00 to midnight
        (utc(2026, 2, 4, 5, 0), utc(2026, 2, 4, 11, 0)),  # Wednesday 00:00 to 06:00
        (utc(2026, 2, 5, 3, 0), utc(2026, 2, 5, 11, 0)),  # Wednesday 22:00 to Thursday 06:00
    ]
    assert desk.add(at(NY, 2026, 2, 2, 23, 0), 2 * 3600) == utc(2026, 2, 4, 6, 0)  # Wednesday 01:00


# -- daylight saving time --------------------------------------------------------------------


def test_spring_forward_day_has_23_hours_and_fall_back_25() -> None:
    spring = (at(AMS, 2026, 3, 29, 0, 0), at(AMS, 2026, 3, 30, 0, 0))
    autumn = (at(AMS, 2026, 10, 25, 0, 0), at(AMS, 2026, 10, 26, 0, 0))
    assert ALL_DAY.business_seconds(*spring) == 23 * 3600
    assert ALL_DAY.business_seconds(*autumn) == 25 * 3600
    assert list(ALL_DAY.open_intervals(*autumn)) == [(utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))]


def test_around_the_clock_counts_real_time_through_the_changes() -> None:
    # 01:45 CET + 30 minutes: 02:00-03:00 does not exist, so 03:15 CEST.
    assert ALL_DAY.add(at(AMS, 2026, 3, 29, 1, 45), 1800) == utc(2026, 3, 29, 1, 15)
    # 02:30 CEST (first occurrence) + 1 hour: 02:30 CET, the second occurrence.
    assert ALL_DAY.add(at(AMS, 2026, 10, 25, 2, 30), 3600) == utc(2026, 10, 25, 1, 30)
    # 24 business hours on an around-the-clock calendar are 24 real hours, not a wall-clock day.
    assert ALL_DAY.add(at(AMS, 2026, 3, 28, 12, 0), 24 * 3600) == utc(2026, 3, 29, 11, 0)  # 13:00 CEST


def test_a_range_starting_in_the_gap_opens_when_the_gap_ends() -> None:
    sunday = calendar({"sun": "02:30-05:00"})
    assert sunday.next_open(at(AMS, 2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    spring_day = (at(AMS, 2026, 3, 29, 0, 0), at(AMS, 2026, 3, 30, 0, 0))
    assert sunday.business_seconds(*spring_day) == 2 * 3600  # 03:00-05:00 CEST


def test_an_ambiguous_opening_is_its_first_occurrence() -> None:
    sunday = calendar({"sun": "02:30-05:00"})
    assert list(sunday.open_intervals(at(AMS, 2026, 10, 25, 0, 0), at(AMS, 2026, 10, 26, 0, 0))) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 4, 0))  # 02:30 CEST to 05:00 CET: 3.5 hours
    ]


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # Friday 16:00 CET + 4 business hours: 1.5 on Friday, 2.5 on Monday, now CEST: 11:30.
        (at(AMS, 2026, 3, 27, 16, 0), utc(2026, 3, 30, 9, 30)),
        # Friday 16:00 CEST + 4 business hours: Monday 11:30 CET.
        (at(AMS, 2026, 10, 23, 16, 0), utc(2026, 10, 26, 10, 30)),
    ],
)
def test_business_hours_target_across_the_dst_weekend(start: datetime, due: datetime) -> None:
    assert OFFICE.add(start, 4 * 3600) == due


# -- business days ---------------------------------------------------------------------------


MIDWEEK_HOLIDAY = calendar({"mon-fri": ["09:00-12:30", "13:30-17:30"]}, holidays=[date(2026, 3, 11)])


@pytest.mark.parametrize(
    ("cal", "start", "days", "due"),
    [
        (OFFICE, at(AMS, 2026, 3, 6, 16, 0), 5, utc(2026, 3, 13, 15, 0)),  # Friday to Friday 16:00
        (MIDWEEK_HOLIDAY, at(AMS, 2026, 3, 6, 16, 0), 5, utc(2026, 3, 16, 15, 0)),  # one day later
        (OFFICE, at(AMS, 2026, 12, 18, 16, 0), 5, utc(2026, 12, 28, 15, 0)),  # over Christmas
        (OFFICE, at(AMS, 2026, 3, 27, 16, 0), 5, utc(2026, 4, 3, 14, 0)),  # 16:00 CET -> 16:00 CEST
        (OFFICE, at(AMS, 2026, 10, 23, 16, 0), 5, utc(2026, 10, 30, 15, 0)),  # 16:00 CEST -> CET
        (OFFICE, at(AMS, 2026, 3, 7, 11, 0), 1, utc(2026, 3, 9, 10, 0)),  # from a Saturday
        (OFFICE, at(AMS, 2026, 3, 2, 19, 0), 1, utc(2026, 3, 3, 16, 30)),  # after hours: closing
        (OFFICE, at(AMS, 2026, 3, 2, 17, 30, 30), 1, utc(2026, 3, 3, 16, 30)),  # 30 s late: closing
        (OFFICE, at(AMS, 2026, 3, 2, 17, 30), 1, utc(2026, 3, 3, 16, 30)),  # at closing: kept
        (OFFICE, at(AMS, 2026, 3, 2, 7, 0), 1, utc(2026, 3, 3, 6, 0)),  # before opening: kept
        (OFFICE, at(AMS, 2026, 3, 2, 13, 0), 1, utc(2026, 3, 3, 12, 0)),  # in lunch: kept
        (ALL_DAY, at(AMS, 2026, 3, 28, 2, 30), 1, utc(2026, 3, 29, 1, 0)),  # into the gap: 03:00
        (ALL_DAY, at(AMS, 2026, 10, 24, 2, 30), 1, utc(2026, 10, 25, 0, 30)),  # ambiguous: first
        (NIGHTS, at(NY, 2026, 2, 6, 23, 0), 1, utc(2026, 2, 7, 11, 0)),  # Saturday 00-06 is open
    ],
)
def test_business_days(cal: BusinessCalendar, start: datetime, days: int, due: datetime) -> None:
    assert cal.add_business_days(start, days) == due


def test_business_days_keep_seconds_and_refuse_negatives() -> None:
    start = datetime(2026, 3, 2, 10, 15, 42, 500000, tzinfo=AMS)
    assert OFFICE.add_business_days(start, 1) == datetime(2026, 3, 3, 9, 15, 42, 500000, tzinfo=UTC)
    assert OFFICE.add_business_days(start, 0) == start
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add_business_days(start, -1)


# -- boundaries ------------------------------------------------------------------------------


def test_boundaries() -> None:
    assert OFFICE.is_open(at(AMS, 2026, 3, 2, 9, 0))  # opening time is open
    assert not OFFICE.is_open(datetime(2026, 3, 2, 8, 59, 59, tzinfo=AMS))
    assert OFFICE.is_open(datetime(2026, 3, 2, 12, 29, 59, 999999, tzinfo=AMS))
    assert not OFFICE.is_open(at(AMS, 2026, 3, 2, 12, 30))  # closing time is closed
    assert not OFFICE.is_open(at(AMS, 2026, 3, 2, 17, 30))
    assert OFFICE.next_open(at(AMS, 2026, 3, 2, 12, 30)) == utc(2026, 3, 2, 12, 30)  # 13:30
    assert OFFICE.next_open(at(AMS, 2026, 3, 6, 17, 30)) == utc(2026, 3, 9, 8, 0)  # Monday 09:00
    assert OFFICE.add(at(AMS, 2026, 3, 2, 17, 30), 0) == utc(2026, 3, 3, 8, 0)
    opened = OFFICE.next_open(at(AMS, 2026, 3, 2, 10, 0))
    assert opened == utc(2026, 3, 2, 9, 0) and opened.tzinfo is UTC  # itself, in UTC


def test_outputs_are_utc() -> None:
    start = at(AMS, 2026, 3, 2, 11, 0)
    results = [
        OFFICE.add(start, 3600),
        OFFICE.add_business_days(start, 1),
        OFFICE.next_open(start),
        OFFICE.deadline(start, parse_duration("4h")),
        *next(OFFICE.open_intervals(start)),
    ]
    assert all(result.tzinfo is UTC for result in results)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.add(datetime(2026, 3, 2, 9, 0), 3600)
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.is_open(datetime(2026, 3, 2, 9, 0))


# -- elapsed time and the span dispatch ------------------------------------------------------


def test_elapsed_time_is_plain_arithmetic() -> None:
    start = at(AMS, 2026, 3, 29, 1, 0)  # the DST night: real time, not wall-clock time
    # Python adds wall-clock time to an aware datetime in its own zone; go through UTC.
    end = start.astimezone(UTC) + timedelta(hours=5)
    assert ELAPSED.add(start, 3600) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert ELAPSED.add_business_days(start, 2) == utc(2026, 3, 31, 0, 0)
    assert ELAPSED.business_seconds(start, end) == 5 * 3600
    assert ELAPSED.business_seconds(end, start) == 0
    assert list(ELAPSED.open_intervals(start, end)) == [(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 5, 0))]
    assert ELAPSED.is_open(at(AMS, 2026, 3, 29, 3, 0))
    assert ELAPSED.next_open(start) == start
    assert ELAPSED.deadline(start, parse_duration("4h")) == utc(2026, 3, 29, 4, 0)  # 06:00 CEST
    assert ELAPSED.deadline(start, parse_duration("8 business hours")) == utc(2026, 3, 29, 8, 0)
    assert ELAPSED.deadline(start, parse_duration("2 business days")) == utc(2026, 3, 31, 0, 0)


def test_deadline_dispatches_on_the_clock() -> None:
    start = at(AMS, 2026, 3, 6, 11, 0)  # Friday
    assert OFFICE.deadline(start, parse_duration("4 business hours")) == utc(2026, 3, 6, 15, 0)
    assert OFFICE.deadline(start, parse_duration("2 business days")) == utc(2026, 3, 10, 10, 0)
    assert OFFICE.deadline(start, parse_duration("4 days")) == utc(2026, 3, 10, 10, 0)  # elapsed
    assert OFFICE.deadline(start, parse_duration("8 business hours")) == utc(2026, 3, 9, 10, 30)


# -- refusals and bounds ---------------------------------------------------------------------


@pytest.mark.parametrize("hours", [{}, {"mon": []}], ids=["no days", "no ranges"])
def test_a_calendar_without_hours_is_refused(hours: dict[str, str | list[str]]) -> None:
    with pytest.raises(ValueError, match="no open hours"):
        calendar(hours)


def test_searches_end_when_a_calendar_stays_closed() -> None:
    mondays = [date(2026, 1, 5) + timedelta(weeks=week) for week in range(4 * 53)]
    closed = calendar({"mon": "09:00-17:00"}, zone="UTC", holidays=mondays)
    start = utc(2026, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="no open time"):
        closed.next_open(start)
    with pytest.raises(ValueError, match="no open time"):
        closed.add(start, 3600)
    with pytest.raises(ValueError, match="no open day"):
        closed.add_business_days(start, 1)
    # A bounded question has an answer: nothing is open.
    assert closed.business_seconds(start, utc(2027, 1, 1, 0, 0)) == 0
    assert list(closed.open_intervals(start, utc(2027, 1, 1, 0, 0))) == []


# -- what a calendar keeps between calls -------------------------------------------------------


def test_equal_calendars_share_their_days_and_others_do_not() -> None:
    """A policy set's calendars are built again for every Rules: the day periods computed for one
    serve every calendar of the same zone, hours and holidays, and no other."""
    hours = {"mon-fri": ["09:00-12:30", "13:30-17:30"]}
    first, again = calendar(hours), calendar(hours)
    other_holidays = calendar(hours, holidays=[date(2026, 3, 3)])
    start = at(AMS, 2026, 3, 2, 11, 0)
    assert first.add(start, 4 * 3600) == again.add(start, 4 * 3600) == utc(2026, 3, 2, 15, 0)
    assert first._days is again._days
    assert other_holidays._days is not first._days
    assert other_holidays.add(start, 8 * 3600) == utc(2026, 3, 4, 10, 30)  # Tuesday closed
    assert first.add(start, 8 * 3600) == utc(2026, 3, 3, 10, 30)


def test_a_kept_conversion_never_answers_for_another_moment() -> None:
    """The last moment converted (to UTC, to the zone's local time) is kept by identity: the same
    answers for equal moments that are other objects, in any order, in any zone."""
    starts = [at(AMS, 2026, 3, 2, 11, 0), at(NY, 2026, 3, 8, 1, 30), utc(2026, 3, 27, 23, 0)]
    expected = [[cal.add(s, 3600) for s in starts] for cal in (OFFICE, NIGHTS, ALL_DAY)]
    for _ in range(2):
        for row, cal in zip(expected, (OFFICE, NIGHTS, ALL_DAY), strict=True):
            for s, due in zip(starts, row, strict=True):
                copy = s.replace(microsecond=0)  # equal, another object
                assert cal.add(s, 3600) == cal.add(copy, 3600) == due
                assert cal.business_seconds(s, due) == cal.business_seconds(copy, due) == 3600.0
