"""Business-hours arithmetic: lunch breaks, weekends, holidays, overnight shifts, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.policy.durations import parse_duration
from serviceflow.policy.schema import Calendar

AMS = ZoneInfo("Europe/Amsterdam")
NY = ZoneInfo("America/New_York")


def calendar(hours: dict[str, object], zone: str = "Europe/Amsterdam", holidays=()) -> BusinessCalendar:
    return BusinessCalendar.from_spec("test", Calendar(timezone=zone, hours=hours, holidays=list(holidays)))


OFFICE = calendar(
    {"mon-fri": ["09:00-12:30", "13:30-17:30"]}, holidays=[date(2026, 12, 25), date(2026, 12, 26)]
)
ALL_DAY = calendar({"mon-sun": "00:00-24:00"})
NIGHTS = calendar({"mon-fri": "22:00-06:00"}, zone="America/New_York")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "hours_", "due"),
    [
        (at(AMS, 2026, 3, 2, 11, 0), 4, at(AMS, 2026, 3, 2, 16, 0)),  # over lunch
        (at(AMS, 2026, 3, 2, 12, 45), 1, at(AMS, 2026, 3, 2, 14, 30)),  # starts in lunch
        (at(AMS, 2026, 3, 6, 16, 0), 4, at(AMS, 2026, 3, 9, 11, 30)),  # Friday to Monday
        (at(AMS, 2026, 3, 7, 10, 0), 1, at(AMS, 2026, 3, 9, 10, 0)),  # from a Saturday
        (at(AMS, 2026, 12, 24, 17, 0), 1, at(AMS, 2026, 12, 28, 9, 30)),  # over Christmas
        (at(AMS, 2026, 3, 2, 9, 0), 7.5, at(AMS, 2026, 3, 2, 17, 30)),  # exactly one day
    ],
)
def test_adding_business_hours(start: datetime, hours_: float, due: datetime) -> None:
    assert OFFICE.add(start, hours_ * 3600) == due


def test_overnight_desk_runs_past_midnight() -> None:
    assert NIGHTS.add(at(NY, 2026, 3, 2, 23, 0), 2 * 3600) == at(NY, 2026, 3, 3, 1, 0)
    # Friday's shift ends Saturday 06:00; the next opens Monday 22:00.
    assert NIGHTS.add(at(NY, 2026, 3, 7, 5, 0), 2 * 3600) == at(NY, 2026, 3, 9, 23, 0)
    assert NIGHTS.is_open(at(NY, 2026, 3, 7, 1, 0))
    assert not NIGHTS.is_open(at(NY, 2026, 3, 8, 1, 0))  # Sunday night: no Sunday shift


def test_a_holiday_closes_the_night_after_it() -> None:
    desk = calendar({"mon-fri": "22:00-06:00"}, zone="America/New_York", holidays=[date(2026, 3, 3)])
    assert desk.is_open(at(NY, 2026, 3, 2, 23, 0))  # Monday night, before midnight
    assert not desk.is_open(at(NY, 2026, 3, 3, 1, 0))  # after midnight, on the holiday


def test_spring_forward_day_has_23_hours_and_fall_back_25() -> None:
    spring = ALL_DAY.business_seconds(at(AMS, 2026, 3, 29, 0, 0), at(AMS, 2026, 3, 30, 0, 0))
    autumn = ALL_DAY.business_seconds(at(AMS, 2026, 10, 25, 0, 0), at(AMS, 2026, 10, 26, 0, 0))
    assert (spring, autumn) == (23 * 3600, 25 * 3600)


def test_around_the_clock_through_the_dst_gap() -> None:
    # 01:45 CET + 30 minutes of real time: 02:00-03:00 does not exist, so 03:15 CEST.
    assert ALL_DAY.add(at(AMS, 2026, 3, 29, 1, 45), 1800) == at(AMS, 2026, 3, 29, 3, 15)
    assert ALL_DAY.add(at(AMS, 2026, 3, 29, 1, 45), 1800) - at(AMS, 2026, 3, 29, 1, 45) == timedelta(
        minutes=30
    )


def test_a_range_starting_inside_the_gap_opens_when_the_gap_ends() -> None:
    gap = calendar({"sun": "02:30-05:00"})
    assert gap.next_open(at(AMS, 2026, 3, 29, 0, 0)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_business_hours_target_across_the_dst_weekend() -> None:
    # Friday 16:00 CET + 4 business hours: 1.5 on Friday, 2.5 on Monday - now CEST.
    due = OFFICE.add(at(AMS, 2026, 3, 27, 16, 0), 4 * 3600)
    assert due == at(AMS, 2026, 3, 30, 11, 30)
    assert due.utcoffset() == timedelta(0) and due.astimezone(AMS).utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(AMS, 2026, 3, 6, 16, 0), 5, at(AMS, 2026, 3, 13, 16, 0)),  # Friday to Friday
        (at(AMS, 2026, 12, 22, 10, 0), 5, at(AMS, 2026, 12, 30, 10, 0)),  # skips Christmas Day
        (at(AMS, 2026, 3, 27, 10, 0), 1, at(AMS, 2026, 3, 30, 10, 0)),  # keeps wall time over DST
        (at(AMS, 2026, 3, 2, 19, 0), 1, at(AMS, 2026, 3, 3, 17, 30)),  # after hours: at closing
        (at(AMS, 2026, 3, 7, 11, 0), 1, at(AMS, 2026, 3, 9, 11, 0)),  # from a Saturday
    ],
)
def test_business_days(start: datetime, days: int, due: datetime) -> None:
    assert OFFICE.add_business_days(start, days) == due


@pytest.mark.parametrize("start_hour", [8, 9, 11, 12, 13, 17, 20])
@pytest.mark.parametrize("seconds", [1, 1800, 3 * 3600, 7.5 * 3600, 20 * 3600])
def test_business_seconds_inverts_add(start_hour: int, seconds: float) -> None:
    start = at(AMS, 2026, 3, 26, start_hour, 0)  # Thursday before the DST weekend
    assert OFFICE.business_seconds(start, OFFICE.add(start, seconds)) == pytest.approx(seconds)


def test_boundaries() -> None:
    assert OFFICE.is_open(at(AMS, 2026, 3, 2, 9, 0))
    assert not OFFICE.is_open(at(AMS, 2026, 3, 2, 12, 30))  # closing time is closed
    assert OFFICE.next_open(at(AMS, 2026, 3, 2, 12, 30)) == at(AMS, 2026, 3, 2, 13, 30)
    assert OFFICE.next_open(at(AMS, 2026, 3, 2, 10, 0)) == at(AMS, 2026, 3, 2, 10, 0)


def test_elapsed_time_is_plain_arithmetic() -> None:
    elapsed = BusinessCalendar.always_open()
    start = at(AMS, 2026, 3, 29, 1, 0)
    # Real time, not wall-clock time: an hour after 01:00 CET on the DST night is 03:00 CEST.
    assert elapsed.add(start, 3600) == at(AMS, 2026, 3, 29, 3, 0)
    assert elapsed.deadline(start, parse_duration("2 days")) == start.astimezone(UTC) + timedelta(days=2)
    assert elapsed.business_seconds(start, start.astimezone(UTC) + timedelta(hours=5)) == 5 * 3600


def test_deadline_dispatches_on_the_clock() -> None:
    start = at(AMS, 2026, 3, 2, 11, 0)
    assert OFFICE.deadline(start, parse_duration("4 business hours")) == at(AMS, 2026, 3, 2, 16, 0)
    assert OFFICE.deadline(start, parse_duration("2 business days")) == at(AMS, 2026, 3, 4, 11, 0)
    assert OFFICE.deadline(start, parse_duration("4h")) == start + timedelta(hours=4)


def test_a_calendar_without_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="no open hours"):
        BusinessCalendar.from_spec("never", Calendar.model_construct(timezone="UTC", hours={}, holidays=[]))
