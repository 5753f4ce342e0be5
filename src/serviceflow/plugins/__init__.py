"""Vendor plugins: the pluggy hookspecs and the manager that loads plugins from entry points."""

from serviceflow.plugins.hookspecs import hookimpl, hookspec
from serviceflow.plugins.manager import ENTRY_POINT_GROUP, get_plugin_manager, installed_plugins

__all__ = ["ENTRY_POINT_GROUP", "get_plugin_manager", "hookimpl", "hookspec", "installed_plugins"]
