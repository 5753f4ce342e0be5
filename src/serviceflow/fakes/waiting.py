"""Bounded waits for tests and demos that drive fake helpdesks: look at a condition every
``POLL`` seconds until it holds, and fail saying what was awaited when it never does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

POLL = 0.05  # seconds between two looks at a condition

T = TypeVar("T")


async def wait_until(predicate: Callable[[], T], timeout: float, what: str) -> T:
    """``predicate()``'s value once it is truthy.

    Raises:
        AssertionError: it was not within ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(POLL)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    """``await check()``'s value once it is truthy; an exception counts as "not yet" (a server
    still starting, a workflow not there yet).

    Raises:
        AssertionError: it was not within ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value = await check()
            if value:
                return value
        except Exception:  # not there yet
            pass
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(POLL)


#: How long one skip of the time-skipping test server may take in real time. The SDK's
#: ``WorkflowEnvironment.sleep`` uses the default RPC timeout, which a skip over days of timers
#: outlasts on a busy machine ("Timeout expired"): the skip is one RPC that lasts as long as the
#: workflows it wakes take to run.
SKIP_TIMEOUT = timedelta(minutes=5)


async def skip_time(env: WorkflowEnvironment, duration: timedelta | float) -> None:
    """Advance the time-skipping test server's clock by ``duration`` (as ``env.sleep``), with a
    real-time bound of :data:`SKIP_TIMEOUT` instead of the default RPC timeout."""
    from temporalio.api.testservice.v1 import SleepRequest

    request = SleepRequest()
    request.duration.FromTimedelta(
        duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
    )
    await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_TIMEOUT)


def next_local(after: datetime, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """The first moment later than ``after`` that is ``weekday`` (0 is Monday) at the local time
    ``at`` in ``zone``: within the next seven days, in ``zone``."""
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    moment = datetime.combine(day, at, tzinfo=zone)
    return moment if moment > after else datetime.combine(day + timedelta(days=7), at, tzinfo=zone)


async def skip_to_next(env: WorkflowEnvironment, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """Advance the time-skipping test server's clock to the next ``weekday`` at ``at`` in
    ``zone`` (:func:`next_local`), and return the server's time then.

    The test server's clock starts at the real time of day, so a test whose deadlines count
    business hours or days starts here: it then decides alike whenever the suite runs (a
    review due at closing time, a weekend or a holiday in between only where the test says so).
    """
    now = await env.get_current_time()
    await skip_time(env, next_local(now, weekday, at, zone) - now)
    return await env.get_current_time()
