"""Freshdesk ids in their one canonical form.

Freshdesk's ids are positive integers (``"id": 20``, FD-docs "Tickets" attribute table: ``id``
number; CONTRACTS.md §2.2), and ``{{ticket.id}}`` renders one in a rule's body. serviceflow keeps
ids as strings, and a case's id contains the ticket's, so two spellings of one number would make
two cases of one ticket and write every note twice: ``"04"`` and ``"٤"`` (an Arabic-Indic four,
which ``int()`` and ``\\d`` accept) were both ticket 4 at the API once (issue 12). The one form
accepted is ASCII digits without a leading zero, at most 18 of them (below 2**63, Freshdesk's
bigint ids); anything else is refused, naming the field.
"""

from __future__ import annotations

import re
from typing import Any

_CANONICAL = re.compile(r"[1-9][0-9]{0,17}")


class NotAnId(ValueError):
    """A value that is not a canonical Freshdesk id (the message says what it is instead, without
    repeating the value)."""


def canonical(value: Any) -> str:
    """The id as serviceflow keeps it: ``20`` or ``"20"`` -> ``"20"``.

    Raises:
        NotAnId: anything else (``"04"``, ``"٤"``, ``"4\\n"``, ``" 4"``, ``0``, ``-1``, ``True``,
            ``1.5``, 19 digits or more).
    """
    if isinstance(value, bool):
        raise NotAnId("a boolean is not a Freshdesk id")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise NotAnId(f"a {type(value).__name__} is not a Freshdesk id")
    if not (text.isascii() and _CANONICAL.fullmatch(text)):
        raise NotAnId("not a Freshdesk id (1 to 18 ASCII digits, no leading zero)")
    return text


def number(value: str, what: str) -> int:
    """A canonical id as the integer the API takes in a path or a body.

    Raises:
        NotAnId: ``value`` is not canonical; the message names ``what``.
    """
    try:
        return int(canonical(value))
    except NotAnId as exc:
        raise NotAnId(f"{what} id {value[:40]!r}: {exc}") from None
