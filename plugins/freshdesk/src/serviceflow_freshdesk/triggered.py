"""``{{triggered_event}}``: the non-JSON text Freshdesk renders for what fired a rule.

Real renderings (Zulip's fixtures, CONTRACTS.md §2.6): ``{ticket_action:created}``,
``{status:{from:4,to:6}}``, ``{priority:{from:3,to:1}}``, ``{note_type:private}``,
``{note_type:public}``. Keys are unquoted and values are codes, so it is parsed here by hand into
a typed :class:`TriggeredEvent`. Only the first matching event of a rule is reported, even when
several properties changed.

Bounds (serviceflow's own; Freshdesk renders a few dozen characters): the whole text at most
:data:`MAX_TEXT` characters, the key an ASCII name of at most 64, each value at most
:data:`MAX_VALUE`. A refusal says what is wrong, never what the text was: a delivery's words are
not written to logs.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 500
MAX_VALUE = 200

_SHAPE = re.compile(r"^\{\s*([A-Za-z_][A-Za-z0-9_.]{0,63})\s*:\s*(.*)\}$", re.DOTALL)
_FORMS = "{key:value} or {key:{from:a,to:b}}"


class TriggeredEventError(ValueError):
    """The text is not of the ``{key:value}`` / ``{key:{from:a,to:b}}`` form (the message says
    how, without quoting it)."""


class TriggeredEvent(BaseModel):
    """One parsed ``{{triggered_event}}``.

    Attributes:
        key: ``ticket_action``, ``status``, ``priority``, ``note_type``, ...
        value: The value of a simple event (``created``, ``private``); None for a change.
        old: The value before, for a change (``"4"``); None when empty.
        new: The value after, for a change (``"6"``); None when empty.
        raw: The text as received.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")
    value: str | None = Field(default=None, max_length=MAX_VALUE)
    old: str | None = Field(default=None, max_length=MAX_VALUE)
    new: str | None = Field(default=None, max_length=MAX_VALUE)
    raw: str = Field(default="", max_length=MAX_TEXT)

    @property
    def is_change(self) -> bool:
        """Whether this is a ``{key:{from:..,to:..}}`` property change."""
        return self.value is None


def parse(raw: str) -> TriggeredEvent:
    """Parse one rendering.

    Raises:
        TriggeredEventError: it is not of either form, or exceeds the bounds.
    """
    if len(raw) > MAX_TEXT:
        raise TriggeredEventError(f"longer than {MAX_TEXT} characters")
    match = _SHAPE.match(raw.strip())
    if match is None:
        raise TriggeredEventError(f"not of the form {_FORMS}")
    key, rest = match.group(1), match.group(2).strip()
    if not rest.startswith("{"):
        if "{" in rest or "}" in rest or not rest:
            raise TriggeredEventError(f"not of the form {_FORMS}")
        return _event(key=key, value=rest, raw=raw)
    if not rest.endswith("}"):
        raise TriggeredEventError("unbalanced braces")
    pairs: dict[str, str | None] = {}
    for item in rest[1:-1].split(","):
        name, sep, value = item.partition(":")
        if not sep:
            raise TriggeredEventError("a change without from/to")
        cleaned = value.strip().strip('"')
        pairs[name.strip()] = None if cleaned in ("", "null", "nil") else cleaned
    if not {"from", "to"} <= pairs.keys():
        raise TriggeredEventError("a change needs from and to")
    return _event(key=key, old=pairs["from"], new=pairs["to"], raw=raw)


def _event(**fields: str | None) -> TriggeredEvent:
    try:
        return TriggeredEvent.model_validate(fields)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise TriggeredEventError(f"a value longer than {MAX_VALUE} characters") from exc
