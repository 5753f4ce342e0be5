"""The bounded waits the fake-helpdesk tests share."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.fakes.waiting import eventually, next_local, wait_until

ZONES = [ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/New_York"), ZoneInfo("UTC")]


async def test_wait_until_returns_the_value_or_says_what_it_waited_for() -> None:
    calls = iter([0, 0, 7])
    assert await wait_until(lambda: next(calls), 5, "a seven") == 7
    with pytest.raises(AssertionError, match="timed out after 0.1s waiting for the moon"):
        await wait_until(lambda: False, 0.1, "the moon")


async def test_eventually_counts_an_exception_as_not_yet() -> None:
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("not listening yet")
        return "up"

    assert await eventually(flaky, 5, "the server") == "up"
    assert len(attempts) == 3


@settings(max_examples=300, deadline=None)
@given(
    after=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    weekday=st.integers(0, 6),
    # not 01:00-03:59, where a DST change skips or repeats local times
    at=st.times().filter(lambda t: not 1 <= t.hour <= 3),
    zone=st.sampled_from(ZONES),
)
def test_next_local_is_the_first_such_moment_after(
    after: datetime, weekday: int, at: time, zone: ZoneInfo
) -> None:
    found = next_local(after, weekday, at, zone)
    local = found.astimezone(zone)
    assert (local.weekday(), local.time()) == (weekday, at)
    assert after < found <= after + timedelta(days=7, hours=1)  # a week, give or take a DST hour
    week_before = datetime.combine(local.date() - timedelta(days=7), at, tzinfo=zone)
    assert week_before <= after  # none earlier
