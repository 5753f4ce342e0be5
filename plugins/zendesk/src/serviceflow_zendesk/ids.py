"""Zendesk ids in their one canonical form.

Zendesk's ticket, user, group and organization ids are positive 64-bit integers (OAS
``TicketObject.id``, ``UserObject.id``, ``GroupObject.id``: ``type: integer``); event webhooks
send them as strings ("ids as STRINGS", CONTRACTS.md §1.9: ``"id": "5158"``). serviceflow keeps
ids as strings and a case's id contains the ticket's, so two spellings of one number would be two
cases of one ticket and every note written twice: ``"04"`` and ``"٤"`` (an Arabic-Indic four,
which ``int()`` and ``\\d`` accept) both became ticket 4 at the API once (issue 12). The one form
accepted is ASCII digits without a leading zero, at most 19 of them and below 2**63; anything else
is refused with :class:`NotAnId`, which the webhook parser turns into a 400 naming the field.
"""

from __future__ import annotations

import re
from typing import Any

_CANONICAL = re.compile(r"[1-9][0-9]{0,18}")
#: Zendesk ids are int64 (the OAS declares ``format: int64`` where it gives a format).
ID_LIMIT = 2**63


class NotAnId(ValueError):
    """A value that is not a canonical Zendesk id (the message says what it is instead, never
    repeating the value: webhook refusals are logged, a delivery's words are not)."""


def canonical(value: Any) -> str:
    """The id as serviceflow keeps it: ``5158`` or ``"5158"`` -> ``"5158"``.

    Raises:
        NotAnId: anything else (``"04"``, ``"٤"``, ``" 4"``, ``"4\\n"``, ``0``, ``-1``, ``True``,
            ``1.5``, ``2**63`` or more).
    """
    if isinstance(value, bool):
        raise NotAnId("a boolean is not a Zendesk id")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise NotAnId(f"a {_kind(value)} is not a Zendesk id")
    if not (text.isascii() and _CANONICAL.fullmatch(text) and int(text) < ID_LIMIT):
        raise NotAnId("not a Zendesk id (ASCII digits without a leading zero, below 2**63)")
    return text


def number(value: Any, what: str) -> int:
    """A canonical id as the integer the API takes in a path or a body.

    Raises:
        NotAnId: ``value`` is not canonical; the message names ``what``.
    """
    try:
        return int(canonical(value))
    except NotAnId as exc:
        shown = value[:40] if isinstance(value, str) else value
        raise NotAnId(f"{what} id {shown!r}: {exc}") from None


def _kind(value: Any) -> str:
    return {dict: "JSON object", list: "JSON array", float: "number with a fraction", type(None): "null"}.get(
        type(value), type(value).__name__
    )
