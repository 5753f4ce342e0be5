"""Loading plugins, the way pytest, datasette and llm do: pluggy plus an entry-point group."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from importlib.metadata import PackageMetadata
from typing import Protocol

import pluggy

from serviceflow.channels import hookspecs as channel_hookspecs
from serviceflow.plugins import hookspecs

ENTRY_POINT_GROUP = "serviceflow"
#: A comma-separated allow-list of plugin names; unset loads every installed plugin.
LOAD_PLUGINS_ENV = "SERVICEFLOW_LOAD_PLUGINS"

#: Built-in plugins, registered like any other (datasette and llm do the same).
DEFAULT_PLUGINS = ("serviceflow.plugins.demo", "serviceflow.channels.builtin")

_manager: pluggy.PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _manager
    if _manager is None:
        manager = pluggy.PluginManager("serviceflow")
        manager.add_hookspecs(hookspecs)
        manager.add_hookspecs(channel_hookspecs)
        for module_name in DEFAULT_PLUGINS:
            manager.register(importlib.import_module(module_name), name=module_name.rpartition(".")[2])
        allowed = os.environ.get(LOAD_PLUGINS_ENV)
        if allowed is None:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        else:
            for name in filter(None, (n.strip() for n in allowed.split(","))):
                manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        _manager = manager
    return _manager


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    vendors: tuple[str, ...]


def installed_plugins() -> list[PluginInfo]:
    """Every loaded plugin, its distribution and the vendors whose adapters it registers."""
    from serviceflow.adapters.registry import registry

    manager = get_plugin_manager()
    adapters = registry()
    vendors_by_plugin: dict[str, list[str]] = {}
    for vendor in adapters.vendors():
        vendors_by_plugin.setdefault(adapters.plugin_of(vendor) or "", []).append(vendor)
    infos = []
    for plugin_name, distribution in _distributions(manager):
        infos.append(
            PluginInfo(
                name=plugin_name,
                distribution=distribution.metadata["Name"] if distribution else None,
                version=distribution.version if distribution else None,
                vendors=tuple(vendors_by_plugin.get(plugin_name, ())),
            )
        )
    return sorted(infos, key=lambda info: info.name)


class _Distribution(Protocol):
    """What is read of a plugin's distribution: pluggy wraps each in a facade that delegates to it."""

    @property
    def metadata(self) -> PackageMetadata: ...

    @property
    def version(self) -> str: ...


def _distributions(
    manager: pluggy.PluginManager,
) -> list[tuple[str, _Distribution | None]]:
    by_plugin = {manager.get_name(plugin): dist for plugin, dist in manager.list_plugin_distinfo()}
    return [(name, by_plugin.get(name)) for name, _ in manager.list_name_plugin() if name]
