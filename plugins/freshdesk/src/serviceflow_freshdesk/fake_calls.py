"""The fake Freshdesk's record of every request it answered, for assertions.

Tests assert on what reached the vendor (how many PUTs, with which body, which one got the 429),
not on what the client believes it sent; the record is taken on the server side of the socket.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """A request as it arrived, with the fake's answer.

    Attributes:
        method: Upper-case HTTP method.
        path: The path.
        query: Query items in order.
        headers: Request headers, names lower-cased.
        body: Raw body bytes.
        status: The HTTP status answered.
        response: The JSON answered, or None.
        response_headers: The headers answered (``Link``, ``Retry-After``, rate-limit headers).
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes
    status: int = 0
    response: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The request body parsed as JSON; None when empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def param(self, name: str) -> str | None:
        """The first value of one query parameter."""
        return next((v for k, v in self.query if k == name), None)


@dataclass
class CallLog:
    """Thread-safe, append-only list of calls with a condition to wait on."""

    _calls: list[Call] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def append(self, call: Call) -> None:
        """Record one call and wake waiters."""
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def snapshot(self) -> list[Call]:
        """A copy of every call so far, oldest first."""
        with self._cond:
            return list(self._calls)

    def clear(self) -> None:
        """Forget every call."""
        with self._cond:
            self._calls.clear()

    def matching(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Calls with ``method`` (any when None) whose path matches the ``fnmatch`` pattern."""
        return [
            c
            for c in self.snapshot()
            if (method is None or c.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(c.path, path))
        ]

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float) -> list[Call]:
        """Block until ``predicate(calls)`` holds; bounded by ``timeout`` seconds.

        Raises:
            TimeoutError: the predicate still failed when the timeout ran out.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(list(self._calls)), timeout):
                raise TimeoutError(f"condition on the call log not met within {timeout}s")
            return list(self._calls)
