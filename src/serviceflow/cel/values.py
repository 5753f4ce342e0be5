"""The one place where serviceflow values become CEL-ready plain values.

Models become maps; absent (None) fields are left out, so policies test them with ``has()``;
enums become their string values; tuples and sets become lists; datetimes are made UTC.
Backends convert these plain values into their own types.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import pydantic


def to_plain(value: Any) -> Any:
    """Convert a model, mapping, sequence or scalar into a CEL-ready plain value."""
    if isinstance(value, Enum):  # before str: a StrEnum is a str, but not a plain one
        return value.value
    if value is None or isinstance(value, bool | int | float | str | timedelta):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be a CEL timestamp")
        return value.astimezone(UTC)
    if isinstance(value, pydantic.BaseModel):
        return {
            name: to_plain(getattr(value, name))
            for name in type(value).model_fields
            if getattr(value, name) is not None
        }
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(item) for item in value]
    raise TypeError(f"cannot convert {type(value).__name__} to a CEL value")
