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

#: Exact types that are plain already (a StrEnum's type is its enum class, so it is not here).
_PLAIN = frozenset({bool, int, float, str, type(None), timedelta})


def to_plain(value: Any) -> Any:
    """Convert a model, mapping, sequence or scalar into a CEL-ready plain value."""
    kind: type = type(value)
    if kind in _PLAIN:  # the common cases first: this runs on every field of every decision
        return value
    if kind is tuple or kind is list:
        return [to_plain(item) for item in value]
    if kind is datetime and value.tzinfo is not None:
        return value.astimezone(UTC)
    sort = _SORTS.get(kind) or _sort_of(kind)
    if sort is _MODEL:
        return model_to_plain(value)
    if sort is _ENUM:  # a StrEnum is a str, but not a plain one
        return value._value_  # what .value reads, without the descriptor's Python call
    if kind is dict:
        return {str(key): to_plain(item) for key, item in value.items() if item is not None}
    return _other_to_plain(value)


_MODEL, _ENUM, _OTHER = "model", "enum", "other"

#: Each type's sort and each model class's field names, found once. Plain dicts read inline
#: (``_SORTS.get(kind) or _sort_of(kind)``): an ``lru_cache`` call costs more than the read.
_SORTS: dict[type, str] = {}
_NAMES: dict[type, tuple[str, ...]] = {}


def _sort_of(kind: type) -> str:
    """Whether a type is a pydantic model, an enum or something else, once per type (the
    subclass checks cost more than converting a string field)."""
    sort = _SORTS.get(kind)
    if sort is None:
        if issubclass(kind, pydantic.BaseModel):
            sort = _MODEL
        else:
            sort = _ENUM if issubclass(kind, Enum) else _OTHER
        _SORTS[kind] = sort
    return sort


def model_to_plain(model: pydantic.BaseModel, without: str | None = None) -> dict[str, Any]:
    """A model as a map of its set fields (``without``: one field left out, converted apart)."""
    fields = model.__dict__  # a pydantic model's fields, by name (extra and private ones apart)
    return {
        name: to_plain(item)
        for name in _NAMES.get(type(model)) or _field_names(type(model))
        if name != without and (item := fields[name]) is not None
    }


def _field_names(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """A model class's field names, once: pydantic's ``model_fields`` on a class is a property
    that costs about 5 µs per read, more than converting the fields themselves."""
    names = _NAMES.get(model)
    if names is None:
        names = _NAMES[model] = tuple(model.model_fields)
    return names


def _other_to_plain(value: Any) -> Any:
    if isinstance(value, Enum):  # before str: a StrEnum is a str, but not a plain one
        return value.value
    if value is None or isinstance(value, bool | int | float | str | timedelta):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be a CEL timestamp")
        return value.astimezone(UTC)
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(item) for item in value]
    raise TypeError(f"cannot convert {type(value).__name__} to a CEL value")
