"""The fake Zendesk's record of every request it answered, for assertions.

Tests assert on what reached the vendor (how many PUTs, with which body, which one got the 429),
not on what the client believes it sent; the record is taken on the server side of the socket.
The log is serviceflow's (:mod:`serviceflow.fakes.calls`); Zendesk's part is the optional
``.json`` suffix, which matching ignores, and the route that answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serviceflow.fakes.calls import CallLog as BaseCallLog
from serviceflow.fakes.calls import RequestInfo as BaseRequestInfo

__all__ = ["Call", "CallLog", "RequestCheck", "RequestInfo"]


@dataclass(frozen=True)
class RequestInfo(BaseRequestInfo):
    """A request as it arrived, before the fake answers it (``path`` is raw: ``.json`` included
    if sent)."""

    @property
    def normalised_path(self) -> str:
        """The path without the optional ``.json`` suffix."""
        return self.path.removesuffix(".json")


@dataclass(frozen=True)
class Call(RequestInfo):
    """A request plus the fake's answer.

    Attributes:
        route: The route template that handled it (``/api/v2/tickets/{ticket_id}``), or None.
        status: The HTTP status answered.
        response: The JSON answered, or None.
    """

    route: str | None = None
    status: int = 0
    response: Any = None


RequestCheck = Callable[[RequestInfo], Sequence[str]]


class CallLog(BaseCallLog[Call]):
    """Thread-safe, append-only list of calls; :meth:`matching` ignores the ``.json`` suffix."""

    def __init__(self) -> None:
        super().__init__(path_of=lambda call: call.normalised_path)
