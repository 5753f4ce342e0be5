"""A fake's record of every request it answered, for assertions.

Tests assert on what reached the vendor (how many PUTs, with which body, which one got the 429),
not on what the client believes it sent; the record is taken on the server side of the socket.
Each fake subclasses :class:`RequestInfo` with what it records about its answer, and keeps one
:class:`CallLog` of those.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar


@dataclass(frozen=True)
class RequestInfo:
    """A request as it arrived.

    Attributes:
        method: Upper-case HTTP method.
        path: The raw path.
        query: Query items in order (repeated keys such as ``role[]`` stay separate).
        headers: Request headers, names lower-cased.
        body: Raw body bytes.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The request body parsed as JSON; None when empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def query_values(self, name: str) -> list[str]:
        """All values of one query parameter."""
        return [v for k, v in self.query if k == name]

    def param(self, name: str) -> str | None:
        """The first value of one query parameter."""
        return next((v for k, v in self.query if k == name), None)


class Recorded(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


C = TypeVar("C", bound=Recorded)


class CallLog(Generic[C]):
    """Thread-safe, append-only list of calls with a condition to wait on.

    The server appends from its thread; tests read and wait from theirs.
    """

    def __init__(self, *, path_of: Callable[[C], str] | None = None) -> None:
        """Create an empty log.

        Args:
            path_of: The path :meth:`matching` compares with its pattern; the call's ``path`` when
                None. A vendor whose paths have optional parts passes a normalising function
                (Zendesk: without ``.json``).
        """
        self._calls: list[C] = []
        self._cond = threading.Condition()
        self._path_of: Callable[[C], str] = path_of or (lambda call: call.path)

    def append(self, call: C) -> None:
        """Record one call and wake waiters."""
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def snapshot(self) -> list[C]:
        """A copy of every call so far, oldest first."""
        with self._cond:
            return list(self._calls)

    def clear(self) -> None:
        """Forget every call."""
        with self._cond:
            self._calls.clear()

    def matching(self, method: str | None = None, path: str | None = None) -> list[C]:
        """Calls with ``method`` (any when None) whose path matches the ``fnmatch`` pattern
        ``path`` (any when None)."""
        return [
            c
            for c in self.snapshot()
            if (method is None or c.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(self._path_of(c), path))
        ]

    def wait_for(self, predicate: Callable[[list[C]], bool], timeout: float) -> list[C]:
        """Block until ``predicate(calls)`` holds; bounded by ``timeout`` seconds.

        Raises:
            TimeoutError: the predicate still failed when the timeout ran out.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(list(self._calls)), timeout):
                raise TimeoutError(f"condition on the call log not met within {timeout}s")
            return list(self._calls)
