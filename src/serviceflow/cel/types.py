"""The types the CEL checker reasons about, and how they are derived from the domain models.

These are deliberately few: what a policy author can touch is a tree of structs (our pydantic
models), lists, open maps (custom fields) and scalars. ``DYN`` means "anything; not checked".
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal, Union

import pydantic


@dataclass(frozen=True)
class CelType:
    """A type the checker knows; ``name`` is how messages spell it."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ScalarType(CelType):
    """bool, int, double, string, timestamp, duration or null; ``values`` lists an enum's values."""

    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListType(CelType):
    element: CelType = field(default_factory=lambda: DYN)


@dataclass(frozen=True)
class MapType(CelType):
    """A map with free string keys (custom fields): any key is allowed."""

    value: CelType = field(default_factory=lambda: DYN)


@dataclass(frozen=True)
class StructType(CelType):
    """A model: only its fields may be selected."""

    fields: tuple[tuple[str, CelType], ...] = ()
    optional: frozenset[str] = frozenset()

    def field_type(self, name: str) -> CelType | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    @property
    def field_names(self) -> list[str]:
        return [key for key, _ in self.fields]


DYN: CelType = CelType("dyn")
BOOL = ScalarType("bool")
INT = ScalarType("int")
DOUBLE = ScalarType("double")
STRING = ScalarType("string")
TIMESTAMP = ScalarType("timestamp")
DURATION = ScalarType("duration")
NULL = ScalarType("null")


def list_of(element: CelType) -> ListType:
    return ListType(f"list({element})", element)


def map_of(value: CelType) -> MapType:
    return MapType(f"map(string, {value})", value)


_SCALARS: dict[Any, CelType] = {
    bool: BOOL,
    int: INT,
    float: DOUBLE,
    str: STRING,
    datetime: TIMESTAMP,
    pydantic.AwareDatetime: TIMESTAMP,
    timedelta: DURATION,
    type(None): NULL,
    Any: DYN,
}


def type_of(annotation: Any, name: str = "") -> CelType:
    """The CEL type of a Python annotation, as found on a pydantic model field."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_of(args[0], name)
    if origin in (Union, types.UnionType):
        concrete = [a for a in args if a is not type(None)]
        return type_of(concrete[0], name) if len(concrete) == 1 else DYN
    if origin is Literal:
        return ScalarType("string", tuple(str(a) for a in args))
    if origin in (list, tuple, set, frozenset):
        return list_of(type_of(args[0], name) if args else DYN)
    if origin is dict:
        return map_of(type_of(args[1], name) if len(args) == 2 else DYN)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ScalarType("string", tuple(str(member.value) for member in annotation))
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return struct_of(annotation)
    return DYN


def struct_of(model: type[pydantic.BaseModel]) -> StructType:
    """The struct type of a pydantic model: its fields, and which of them may be absent."""
    fields = []
    optional = set()
    for field_name, info in model.model_fields.items():
        fields.append((field_name, type_of(info.annotation, field_name)))
        if _admits_none(info.annotation):
            optional.add(field_name)
    return StructType(model.__name__, tuple(fields), frozenset(optional))


def _admits_none(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )
