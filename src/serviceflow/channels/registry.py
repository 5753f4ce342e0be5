"""The kinds of channel installed, by name, as the plugins registered them.

Core names no channel vendor: the built-in kinds come through the same hook as a third party's
(:mod:`serviceflow.channels.builtin` is registered like any plugin).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pluggy

from serviceflow.channels.protocol import ChannelType
from serviceflow.errors import ServiceflowError

KIND = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class ChannelTypeConflict(ServiceflowError):
    """Two plugins registered the same kind of channel, or a kind has a bad name."""


class ChannelRegistry:
    """Channel kinds by name."""

    def __init__(self, types: Iterable[ChannelType] = ()) -> None:
        self._types: dict[str, ChannelType] = {}
        self._owners: dict[str, str] = {}
        for channel_type in types:
            self.add(channel_type)

    def add(self, channel_type: ChannelType, *, plugin: str = "-") -> None:
        """Register one kind.

        Raises:
            ChannelTypeConflict: the kind is taken or is not a valid name.
        """
        kind = channel_type.kind
        if not KIND.fullmatch(kind):
            raise ChannelTypeConflict(
                f"plugin {plugin!r} registers channel kind {kind!r}: use 1-32 lower-case letters, "
                "digits, '-' or '_', starting with a letter"
            )
        if kind in self._types:
            raise ChannelTypeConflict(
                f"channel kind {kind!r} is registered by both {self._owners[kind]!r} and {plugin!r}"
            )
        self._types[kind] = channel_type
        self._owners[kind] = plugin

    def get(self, kind: str) -> ChannelType | None:
        return self._types.get(kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._types))

    @classmethod
    def from_plugins(cls, manager: pluggy.PluginManager | None = None) -> ChannelRegistry:
        """Every kind the loaded plugins register (the process-wide plugin manager by default)."""
        if manager is None:
            from serviceflow.plugins import get_plugin_manager

            manager = get_plugin_manager()
        registry = cls()
        caller = getattr(manager.hook, "serviceflow_register_channels", None)
        if caller is None:  # a manager that knows no channel hook (an older host)
            return registry
        for impl in caller.get_hookimpls():

            def register(channel_type: ChannelType, *, _plugin: str = impl.plugin_name, **_: Any) -> None:
                registry.add(channel_type, plugin=_plugin)

            impl.function(register=register)
        return registry
