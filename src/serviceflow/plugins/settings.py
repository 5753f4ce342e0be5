"""Plugin settings read from the environment, built again only when the environment changes.

Building a pydantic-settings object reads and validates every variable: about a millisecond,
which was more than half of the webhook receiver's CPU per delivery when each hook built its
own. :func:`current_settings` keeps one per class and builds it again when a variable with the
class's prefix changes (tests change them with monkeypatch) or the ``.env`` file does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)

_built: dict[type[BaseSettings], tuple[Any, BaseSettings]] = {}


def current_settings(cls: type[S]) -> S:
    """``cls()``, from the cache while its environment is unchanged."""
    key = _environment_of(cls)
    cached = _built.get(cls)
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[return-value]
    settings = cls()
    _built[cls] = (key, settings)
    return settings


def _environment_of(cls: type[BaseSettings]) -> tuple[Any, ...]:
    """The variables the class reads (one lookup per field: cheaper than scanning the whole
    environment on every webhook) and the ``.env`` file's identity."""
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):  # CPython's own mapping: no str <-> bytes, no KeyError per unset name
        variables = tuple(map(data.get, _keys(cls)))
    else:
        variables = tuple(os.environ.get(name) for name in _names(cls))
    env_file = cls.model_config.get("env_file")
    stamp: tuple[Any, ...] = ()
    if isinstance(env_file, str | Path):
        # One system call per check (each releases the GIL, a hand-off to the Temporal SDK's
        # threads in the receiver): the file's device and inode say which file a relative name
        # reaches, so no os.getcwd() is needed to tell that the directory changed.
        try:
            stat = os.stat(env_file)
            stamp = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (None,)
    return (variables, stamp)


_variable_names: dict[type[BaseSettings], tuple[str, ...]] = {}
_variable_keys: dict[type[BaseSettings], tuple[Any, ...]] = {}


def _names(cls: type[BaseSettings]) -> tuple[str, ...]:
    """The class's variable names, ``{PREFIX}{FIELD}`` upper-cased (worked out once per class)."""
    names = _variable_names.get(cls)
    if names is None:
        prefix = str(cls.model_config.get("env_prefix") or "")
        names = _variable_names[cls] = tuple(f"{prefix}{name}".upper() for name in cls.model_fields)
    return names


def _keys(cls: type[BaseSettings]) -> tuple[Any, ...]:
    """The names as ``os.environ`` keeps them (bytes on POSIX)."""
    keys = _variable_keys.get(cls)
    if keys is None:
        encode = getattr(os.environ, "encodekey", None)
        keys = _variable_keys[cls] = tuple(encode(n) if encode else n for n in _names(cls))
    return keys
