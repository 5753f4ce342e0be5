"""The bounded waits the fake-helpdesk tests share."""

from __future__ import annotations

import pytest

from serviceflow.fakes.waiting import eventually, wait_until


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
