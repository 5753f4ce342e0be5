"""Help Scout ids in their one canonical form.

Help Scout's ids are positive integers in JSON (``"id": 123``, CONTRACTS.md §2.2). serviceflow
keeps ids as strings, and a case's id contains the ticket's, so two spellings of one number would
make two cases for one conversation and write every note twice: ``"04"`` and ``"٤"`` (an
Arabic-Indic four, which ``int()`` accepts) were both ticket 4 at the API once (issue 12). The one
form accepted here is ASCII digits without a leading zero, at most 18 of them (below 2**63, the
JSON numbers Help Scout's Java API produces); anything else is refused naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_CANONICAL = re.compile(r"[1-9][0-9]{0,17}")


class NotAnId(ValueError):
    """A value that is not a canonical Help Scout id (the message says what it was)."""


def canonical(value: Any) -> str:
    """The id as serviceflow keeps it: ``123`` or ``"123"`` -> ``"123"``.

    Raises:
        NotAnId: anything else (``"04"``, ``"٤"``, ``-1``, ``True``, ``1.5``, ``" 7"``).
    """
    if isinstance(value, bool):
        raise NotAnId("a boolean is not a Help Scout id")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise NotAnId(f"a {type(value).__name__} is not a Help Scout id")
    if not (text.isascii() and _CANONICAL.fullmatch(text)):
        raise NotAnId("not a Help Scout id (ASCII digits, no leading zero)")  # the value: never repeated
    return text


def number(value: str, what: str) -> int:
    """A canonical id as the integer the API takes in a path or a body.

    Raises:
        NotAnId: ``value`` is not canonical; the message names ``what``.
    """
    try:
        return int(canonical(value))
    except NotAnId as exc:
        raise NotAnId(f"{what}: {exc}") from None


#: A pydantic field type: an id from JSON (number or digit string) kept as its canonical string.
HelpScoutId = Annotated[str, BeforeValidator(canonical)]
