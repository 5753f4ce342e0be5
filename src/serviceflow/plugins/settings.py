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
    prefix = str(cls.model_config.get("env_prefix") or "")
    variables = tuple(os.environ.get(f"{prefix}{name}".upper()) for name in cls.model_fields)
    env_file = cls.model_config.get("env_file")
    stamp: tuple[Any, ...] = ()
    if isinstance(env_file, str | Path):
        try:
            stat = os.stat(env_file)
            stamp = (os.getcwd(), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (os.getcwd(), None)
    return (variables, stamp)
