"""A deadline past what a date can hold (the years 1 to 9999) is the calendar's own error,
CalendarRangeError (a ServiceflowError and a ValueError), naming the calendar, the start and the
span, from every method: it was an OverflowError or a ValueError ("year 10000 is out of range")
from deep in datetime, told apart from the calendar's other refusals only by its text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.errors import CalendarRangeError, ServiceflowError
from serviceflow.policy.durations import parse_duration
from serviceflow.policy.schema import Calendar

OFFICE = BusinessCalendar.from_spec(
    "office", Calendar(timezone="Europe/Amsterdam", hours={"mon-fri": ["09:00-12:30", "13:30-17:30"]})
)
NIGHTS = BusinessCalendar.from_spec(
    "nights", Calendar(timezone="America/New_York", hours={"mon-fri": "22:00-06:00"})
)
ELAPSED = BusinessCalendar.always_open()
LATE = datetime(9999, 12, 31, 20, tzinfo=UTC)  # a Friday
EARLY = datetime(1, 1, 1, 0, 30, tzinfo=UTC)
FIX = "falls outside the years 1 to 9999, the dates a time can hold; start earlier or use a shorter duration"


def _open_periods(calendar: BusinessCalendar, start: datetime) -> list[Any]:
    return list(islice(calendar.open_intervals(start), 3))


CASES: list[tuple[str, Callable[[], object], str]] = [
    ("add", lambda: OFFICE.add(LATE, 8 * 3600), "'office': 8 business hours from 9999-12-31T20:00:00+00:00 "),
    ("add-elapsed", lambda: ELAPSED.add(LATE, 86_400), "'elapsed': 24 business hours from 9999-12-31T20"),
    (
        "add-huge",
        lambda: OFFICE.add(datetime(2026, 3, 2, tzinfo=UTC), 1e30),
        "'office': 2.77778e+26 business",
    ),
    (
        "next-open",
        lambda: NIGHTS.next_open(LATE),
        "'nights': 0 business hours from 9999-12-31T20:00:00+00:00 ",
    ),
    ("business-days", lambda: OFFICE.add_business_days(LATE, 1), "'office': 1 business days from 9999-12-31"),
    (
        "days-elapsed",
        lambda: ELAPSED.add_business_days(LATE, 2),
        "'elapsed': 2 business days from 9999-12-31",
    ),
    (
        "seconds",
        lambda: OFFICE.business_seconds(
            LATE - timedelta(days=30), datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
        ),
        "'office': the business time up to 9999-12-31T23:30:00+00:00 from 9999-12-01T20:00:00+00:00 ",
    ),
    (
        "is-open-late",
        lambda: OFFICE.is_open(datetime(9999, 12, 31, 23, 30, tzinfo=UTC)),
        "'office': 9999-12-31T23",
    ),
    ("is-open-early", lambda: OFFICE.is_open(EARLY), "'office': 0001-01-01T00:30:00+00:00 "),
    (
        "periods",
        lambda: _open_periods(OFFICE, LATE),
        "'office': the open periods from 9999-12-31T20:00:00+00:00 ",
    ),
    (
        "deadline",
        lambda: OFFICE.deadline(LATE, parse_duration("1d")),
        "'office': 1d from 9999-12-31T20:00:00+00:00 ",
    ),
]


@pytest.mark.parametrize(("call", "message"), [(c, m) for _, c, m in CASES], ids=[i for i, _, _ in CASES])
def test_a_deadline_past_the_year_9999_is_the_calendars_error(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(CalendarRangeError) as caught:
        call()
    assert isinstance(caught.value, ServiceflowError) and isinstance(caught.value, ValueError)
    text = str(caught.value)
    assert text.startswith(f"calendar {message}"), text
    assert text.endswith(FIX), text
    assert caught.value.calendar == message.split("'")[1]


def test_the_calendars_other_refusals_keep_their_type_and_words() -> None:
    with pytest.raises(ValueError, match="cannot add a negative amount") as caught:
        OFFICE.add(LATE, -1)
    assert not isinstance(caught.value, CalendarRangeError)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(9990, 1, 1), timezones=st.just(UTC)),
    seconds=st.floats(min_value=0, max_value=1e12),
    days=st.integers(min_value=0, max_value=10_000),
)
def test_near_the_end_of_time_an_answer_or_the_calendars_error(
    start: datetime, seconds: float, days: int
) -> None:
    for calendar in (OFFICE, NIGHTS, ELAPSED):
        try:
            calendar.add(start, seconds)
        except CalendarRangeError:
            pass
        try:
            calendar.add_business_days(start, days)
        except CalendarRangeError:
            pass
