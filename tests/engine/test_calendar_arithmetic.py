"""Business-hours arithmetic as properties: ``add`` and ``business_seconds`` invert each other,
and the fast arithmetic over whole dates agrees with walking every open period (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_calendar import ALL_DAY, AMS, ELAPSED, NIGHTS, NY, OFFICE, at

from serviceflow.engine.calendar import BusinessCalendar

# -- add and business_seconds agree -------------------------------------------------------------


STARTS = [
    at(AMS, 2026, 3, 26, 8, 0),  # Thursday before spring forward, before opening
    at(AMS, 2026, 3, 26, 12, 0),  # before lunch
    at(AMS, 2026, 3, 27, 17, 0),  # Friday, half an hour before the weekend
    at(AMS, 2026, 3, 28, 23, 30),  # Saturday night, into the short Sunday
    at(AMS, 2026, 10, 25, 2, 30),  # the ambiguous hour
    at(NY, 2026, 3, 6, 23, 59),  # a Friday night shift, NY spring forward on Sunday
    at(AMS, 2026, 12, 23, 16, 0),  # before Christmas
]
SECONDS = [0, 0.5, 1, 1800, 3 * 3600, 7.5 * 3600, 20 * 3600, 100 * 3600 + 0.25]


@pytest.mark.parametrize(
    "cal", [OFFICE, ALL_DAY, NIGHTS, ELAPSED], ids=["office", "all_day", "nights", "elapsed"]
)
def test_business_seconds_inverts_add(cal: BusinessCalendar) -> None:
    for start in STARTS:
        previous = start
        for seconds in SECONDS:
            due = cal.add(start, seconds)
            assert cal.business_seconds(start, due) == seconds, (start, seconds)
            assert due >= previous  # more time never lands earlier
            previous = due
            if seconds:
                later = due + timedelta(hours=1)
                assert cal.business_seconds(start, later) == seconds + cal.business_seconds(due, later)


@settings(max_examples=400, deadline=None)
@given(
    cal=st.sampled_from([OFFICE, ALL_DAY, NIGHTS, ELAPSED]),
    start=st.datetimes(
        datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.sampled_from([UTC, AMS, NY])
    ),
    seconds=st.floats(0, 400 * 3600, allow_nan=False) | st.integers(0, 400 * 3600),
)
def test_open_time_up_to_add_is_the_added_timedelta(
    cal: BusinessCalendar, start: datetime, seconds: float
) -> None:
    """What deadlines.deadline relies on to skip business_seconds after add: the open time from
    start to add(start, s) is timedelta(seconds=s) exactly, in whole microseconds, whatever s."""
    due = cal.add(start, seconds)
    assert cal.business_seconds(start, due) == timedelta(seconds=seconds).total_seconds()


# -- the fast arithmetic against the plain walk over open periods ----------------------------


def _add_by_walking(cal: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    left = timedelta(seconds=seconds)
    for opens, closes in cal._periods(start.astimezone(UTC), None):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise AssertionError("unreachable")


def _seconds_by_walking(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    if end <= start:
        return 0.0
    periods = cal._periods(start.astimezone(UTC), end.astimezone(UTC))
    return sum((closes - opens for opens, closes in periods), timedelta()).total_seconds()


@settings(max_examples=300, deadline=None)
@given(
    cal=st.sampled_from([OFFICE, ALL_DAY, NIGHTS]),
    start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    seconds=st.floats(0, 400 * 3600, allow_nan=False) | st.sampled_from([0.0, 3600.0, 7.5 * 3600]),
    span=st.timedeltas(timedelta(0), timedelta(days=60)),
)
def test_arithmetic_agrees_with_walking_the_open_periods(
    cal: BusinessCalendar, start: datetime, seconds: float, span: timedelta
) -> None:
    """add() and business_seconds() take whole dates at once: the same as walking every period."""
    assert cal.add(start, seconds) == _add_by_walking(cal, start, seconds)
    assert cal.business_seconds(start, start + span) == _seconds_by_walking(cal, start, start + span)
