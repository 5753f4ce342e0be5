"""``{{triggered_event}}``: the non-JSON text Freshdesk renders for what fired a rule.

Real renderings (Zulip's fixtures, CONTRACTS.md §2.6): ``{ticket_action:created}``,
``{status:{from:4,to:6}}``, ``{priority:{from:3,to:1}}``, ``{note_type:private}``,
``{note_type:public}``. Keys are unquoted and values are codes, so it is parsed here by hand. Only
the first matching event of a rule is reported, even when several properties changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHAPE = re.compile(r"^\{\s*([A-Za-z_][\w.]*)\s*:\s*(.*)\}$", re.DOTALL)


class TriggeredEventError(ValueError):
    """The text is not of the ``{key:value}`` / ``{key:{from:a,to:b}}`` form."""


@dataclass(frozen=True)
class TriggeredEvent:
    """One parsed ``{{triggered_event}}``.

    Attributes:
        key: ``ticket_action``, ``status``, ``priority``, ``note_type``, ...
        value: The value of a simple event (``created``, ``private``); None for a change.
        old: The value before, for a change (``"4"``); None when empty.
        new: The value after, for a change (``"6"``); None when empty.
        raw: The text as received.
    """

    key: str
    value: str | None = None
    old: str | None = None
    new: str | None = None
    raw: str = ""

    @property
    def is_change(self) -> bool:
        """Whether this is a ``{key:{from:..,to:..}}`` property change."""
        return self.value is None


def parse(raw: str) -> TriggeredEvent:
    """Parse one rendering.

    Raises:
        TriggeredEventError: it is not of either form.
    """
    text = raw.strip()
    match = _SHAPE.match(text)
    if match is None:
        raise TriggeredEventError(f"not a Freshdesk triggered event: {raw[:80]!r}")
    key, rest = match.group(1), match.group(2).strip()
    if not rest.startswith("{"):
        if "{" in rest or "}" in rest or not rest:
            raise TriggeredEventError(f"not a Freshdesk triggered event: {raw[:80]!r}")
        return TriggeredEvent(key=key, value=rest.strip(), raw=raw)
    if not rest.endswith("}"):
        raise TriggeredEventError(f"unbalanced braces in triggered event: {raw[:80]!r}")
    pairs: dict[str, str | None] = {}
    for item in rest[1:-1].split(","):
        name, sep, value = item.partition(":")
        if not sep:
            raise TriggeredEventError(f"a change without from/to in triggered event: {raw[:80]!r}")
        cleaned = value.strip().strip('"')
        pairs[name.strip()] = None if cleaned in ("", "null", "nil") else cleaned
    if not {"from", "to"} <= pairs.keys():
        raise TriggeredEventError(f"a change needs from and to: {raw[:80]!r}")
    return TriggeredEvent(key=key, old=pairs["from"], new=pairs["to"], raw=raw)
