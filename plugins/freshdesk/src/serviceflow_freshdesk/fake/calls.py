"""The fake Freshdesk's record of every request it answered, for assertions.

Tests assert on what reached the vendor (how many PUTs, with which body, which one got the 429),
not on what the client believes it sent; the record is taken on the server side of the socket.
The log is serviceflow's (:mod:`serviceflow.fakes.calls`); a Freshdesk call also keeps the
response headers (``Link``, ``Retry-After``, rate-limit headers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serviceflow.fakes.calls import CallLog, RequestInfo

__all__ = ["Call", "CallLog", "RequestInfo"]


@dataclass(frozen=True)
class Call(RequestInfo):
    """A request as it arrived, with the fake's answer.

    Attributes:
        status: The HTTP status answered.
        response: The JSON answered, or None.
        response_headers: The headers answered (``Link``, ``Retry-After``, rate-limit headers).
    """

    status: int = 0
    response: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
