"""Bounded waits for tests and demos that drive fake helpdesks: look at a condition every
``POLL`` seconds until it holds, and fail saying what was awaited when it never does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
