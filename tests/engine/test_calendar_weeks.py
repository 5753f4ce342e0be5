"""A long span counts whole plain weeks (no holiday, one UTC offset) at once instead of walking
each local date (attack11 F6: one minute a week and 80000 business hours walked to the year 9999
day by day). The instants must be the walk's for every input: here the walk is written out again,
day by day as the calendar did before, and compared on random calendars, zones, holidays and spans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.calendar_days import DayCache, _day, _wall_to_utc
from serviceflow.errors import CalendarRangeError
from serviceflow.policy.schema import WEEKDAYS, Calendar

#: Zones with DST at 02:00 and at midnight, a 30-minute and a 2-hour DST, a skipped date, none.
ZONES = [
    "Europe/Amsterdam",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Antarctica/Troll",
    "Pacific/Apia",
    "Asia/Kolkata",
    "America/Recife",  # DST for one week, on and off at midnight: 2000-10-08 to 10-15
    "UTC",
]


def walk_add(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """add() as a day-by-day walk: each local date's periods in turn, from start's day before."""
    kept: DayCache = {}
    left = timedelta(seconds=seconds)
    begin = start.astimezone(UTC)
    day = begin.astimezone(calendar.zone).toordinal() - 1
    while True:
        for opens, closes in _day(calendar, day, kept)[0]:
            if closes <= begin:
                continue
            opens = max(opens, begin)
            if closes - opens >= left:
                return opens + left
            left -= closes - opens
        day += 1


def walk_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """add_business_days() as a day-by-day walk: the days-th date with open hours after start's."""
    kept: DayCache = {}
    local = start.astimezone(calendar.zone)
    wall = local - datetime.combine(local.date(), datetime.min.time(), local.tzinfo)
    day, counted = local.toordinal(), 0
    while True:
        day += 1
        periods = _day(calendar, day, kept)[0]
        if periods:
            counted += 1
            if counted == days:
                return min(_wall_to_utc(date.fromordinal(day), wall, calendar.zone), periods[-1][1])


def _range(minutes: tuple[int, int]) -> str:
    start, length = minutes
    end = (start + length) % (24 * 60)
    return f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}"


ranges = st.tuples(st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60 - 1)).map(_range)
weekly = st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(ranges, min_size=1, max_size=2), min_size=1)
starts = st.datetimes(datetime(1960, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC))


@st.composite
def calendars(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    start = draw(starts)
    holidays = draw(
        st.lists(st.integers(0, 3 * 366).map(lambda n: start.date() + timedelta(days=n)), max_size=4)
    )
    spec = Calendar.model_validate(
        {"timezone": draw(st.sampled_from(ZONES)), "hours": draw(weekly), "holidays": holidays}
    )
    return BusinessCalendar.from_spec("drawn", spec), start


@settings(max_examples=300, deadline=None)
@given(calendars(), st.integers(0, 3000 * 3600))
def test_business_hours_are_the_walks(drawn: tuple[BusinessCalendar, datetime], seconds: int) -> None:
    calendar, start = drawn
    assert calendar.add(start, seconds) == walk_add(calendar, start, seconds)


@settings(max_examples=300, deadline=None)
@given(calendars(), st.integers(1, 800))
def test_business_days_are_the_walks(drawn: tuple[BusinessCalendar, datetime], days: int) -> None:
    calendar, start = drawn
    assert calendar.add_business_days(start, days) == walk_days(calendar, start, days)


ONE_MINUTE = BusinessCalendar.from_spec(
    "office", Calendar(timezone="Europe/Amsterdam", hours={"mon": "09:00-09:01"})
)
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_one_minute_a_week_counts_weeks_to_the_same_instant() -> None:
    # 1,000 minutes: 1,000 Mondays, across DST changes (one week of them walked, the rest counted).
    assert ONE_MINUTE.add(MONDAY, 1000 * 60) == walk_add(ONE_MINUTE, MONDAY, 1000 * 60)
    assert ONE_MINUTE.add_business_days(MONDAY, 3660) == walk_days(ONE_MINUTE, MONDAY, 3660)


def test_one_minute_a_week_past_the_year_9999_is_the_calendars_error() -> None:
    with pytest.raises(CalendarRangeError, match="'office': 80000 business hours from 2026-03-02T09:00:00"):
        ONE_MINUTE.add(MONDAY, 80000 * 3600)


@pytest.mark.parametrize(
    ("hours", "business_days", "seconds"),
    [
        ({"sun": "00:00-01:00"}, 10, None),
        ({"mon-fri": "09:00-17:00", "sun": "00:00-01:00"}, None, 410 * 3600),
        ({"mon-fri": "09:00-17:00", "sat": "23:00-00:00"}, None, 410 * 3600),
    ],
)
def test_brazils_week_of_dst_in_2000_is_walked_not_counted(
    hours: dict[str, str], business_days: int | None, seconds: int | None
) -> None:
    """Recife's DST began and ended at midnight one week apart: both ends read -03 at fold 0,
    and the week was counted as plain, a week early (review12's reproduction)."""
    calendar = BusinessCalendar.from_spec(
        "c", Calendar.model_validate({"timezone": "America/Recife", "hours": hours})
    )
    start = datetime(2000, 8, 12, 18, tzinfo=UTC)
    if business_days is not None:
        assert calendar.add_business_days(start, business_days) == walk_days(calendar, start, business_days)
    else:
        assert seconds is not None
        assert calendar.add(start, seconds) == walk_add(calendar, start, seconds)
