"""What the receiver checks of parsed events before it signals them, whatever the plugin did.

A plugin's parser already validates into the domain model (ids, the fixed time window); these are
the checks only the receiver can make or that must hold for every plugin alike:

- the account is the one the plugin's verdict named from configuration, never one the delivery
  chose (a header the signature does not cover, a body field);
- the vendor is the one in the URL;
- no time lies further ahead of the receiver's clock than the allowed skew;
- every text can be sent to Temporal as UTF-8 (JSON's ``"\\ud800"`` parses into a lone surrogate,
  which no encoder can write): the event is encoded as the pydantic data converter encodes it,
  and those bytes are its signal's payload (:func:`serviceflow.durable.cases.deliver`);
- a pydantic error out of a parser is answered with the field it names, never with its
  ``input_value``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pydantic
from pydantic_core import PydanticSerializationError, to_json

from serviceflow.model import TicketEvent

_SAFE_PART = re.compile(r"[A-Za-z0-9_]{1,40}")
# Where a model's fields sit in an event, for naming the field of a parser's pydantic error.
_MODEL_PATHS = {
    "TicketEvent": (),
    "Ticket": ("ticket",),
    "Requester": ("ticket", "requester"),
    "Actor": ("actor",),
}


@dataclass(frozen=True)
class Refusal:
    """A delivery the receiver will not take: the answer's status, reason, and the field."""

    status: int
    reason: str
    detail: str
    field: str | None = None


def field_path(parts: Iterable[Any]) -> str:
    """A dotted field path safe to log: parts that are not short identifiers (dict keys from the
    body) become ``*``."""
    return ".".join(str(p) if isinstance(p, int) or _SAFE_PART.fullmatch(str(p)) else "*" for p in parts)


def from_validation_error(exc: pydantic.ValidationError) -> Refusal:
    """A parser's pydantic error as a 400 naming the first field, without the input's text."""
    first = exc.errors(include_input=False, include_url=False)[0] if exc.error_count() else None
    prefix = _MODEL_PATHS.get(exc.title, ())
    where = field_path((*prefix, *first["loc"])) if first else None
    message = str(first["msg"]).removeprefix("Value error, ") if first else "invalid"
    return Refusal(400, "invalid_field", f"{where or 'the delivery'}: {message}", where or None)


def check_events(
    events: Sequence[TicketEvent],
    *,
    vendor: str,
    account: str,
    now: datetime,
    skew: timedelta,
    encoded: list[bytes] | None = None,
) -> Refusal | None:
    """The first reason not to signal these events, or None.

    ``encoded`` gets each event's JSON, ``pydantic_core.to_json(event)``: what the pydantic data
    converter sends (``temporalio.contrib.pydantic.PydanticJSONPlainPayloadConverter.to_payload``).
    """
    latest = now + skew
    for event in events:
        ticket = event.ticket
        if ticket.vendor != vendor:
            return Refusal(400, "invalid_field", f"the ticket is not a {vendor} ticket", "ticket.vendor")
        if ticket.account != account:
            return Refusal(
                401, "unverified_account", "the account is not the configured one", "ticket.account"
            )
        for name, value in (
            ("time", event.time),
            ("ticket.created_at", ticket.created_at),
            ("ticket.updated_at", ticket.updated_at),
        ):
            if value > latest:
                ahead = f"more than {skew.total_seconds():.0f} s ahead of this receiver's clock"
                return Refusal(400, "invalid_field", f"{name}: {ahead}", name)
        try:
            data = to_json(event)
        except PydanticSerializationError:
            where = unencodable(event.model_dump()) or "the delivery"
            return Refusal(400, "invalid_field", f"{where}: not valid Unicode text", where)
        if encoded is not None:
            encoded.append(data)
    return None


def unencodable(value: Any, path: tuple[Any, ...] = ()) -> str | None:
    """The path of the first text (or key) in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        return None if _encodable(value) else field_path(path) or "the delivery"
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not _encodable(key):
                return field_path((*path, "*"))
            found = unencodable(item, (*path, key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unencodable(item, (*path, index))
            if found:
                return found
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
