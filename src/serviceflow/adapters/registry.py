"""The adapters plugins register, by vendor name.

Plugins implement ``serviceflow_register_adapters(register)`` and call ``register(adapter)``
(the ``llm`` ``register_models`` shape). The registry is built from every loaded plugin on first
use and again whenever the set of registered plugins changes (a test registering its own),
so a lookup per webhook costs a set comparison. When two plugins register the same vendor, the
one registered later wins (a test's own "demo" adapter replaces the built-in one), and the
replacement is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pluggy

from serviceflow.adapters.protocol import HelpdeskAdapter
from serviceflow.errors import ServiceflowError, UnknownVendor

log = logging.getLogger(__name__)

#: A vendor name: what case ids, ``Ticket.vendor`` and ``/webhooks/{vendor}`` carry.
VENDOR_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class InvalidAdapter(ServiceflowError):
    """A plugin registered something that cannot be an adapter (the message names the plugin)."""


@dataclass(frozen=True)
class Registered:
    """One registered adapter and the plugin that registered it."""

    adapter: HelpdeskAdapter
    plugin: str


class AdapterRegistry:
    """Adapters by vendor name, as the loaded plugins registered them."""

    def __init__(self, entries: dict[str, Registered]) -> None:
        self._entries = dict(entries)

    def get(self, vendor: str) -> HelpdeskAdapter | None:
        """The adapter for ``vendor``, or None."""
        entry = self._entries.get(vendor)
        return entry.adapter if entry is not None else None

    def require(self, vendor: str) -> HelpdeskAdapter:
        """The adapter for ``vendor``.

        Raises:
            UnknownVendor: no plugin registers it.
        """
        adapter = self.get(vendor)
        if adapter is None:
            raise UnknownVendor(vendor, tuple(self.vendors()))
        return adapter

    def vendors(self) -> list[str]:
        """Every registered vendor name, sorted."""
        return sorted(self._entries)

    def __iter__(self) -> Iterator[Registered]:
        return iter(self._entries[v] for v in self.vendors())

    def __contains__(self, vendor: object) -> bool:
        return vendor in self._entries

    def plugin_of(self, vendor: str) -> str | None:
        """The name of the plugin that registered ``vendor``."""
        entry = self._entries.get(vendor)
        return entry.plugin if entry is not None else None

    def demo_choices(self) -> list[str]:
        """The vendors whose adapter offers a demo helpdesk, the preferred first."""
        offering = [e for e in self._entries.values() if _offers_demo(e.adapter)]
        ranked = sorted(offering, key=lambda e: (-getattr(e.adapter, "demo_preference", 0), e.adapter.vendor))
        return [e.adapter.vendor for e in ranked]


def _offers_demo(adapter: HelpdeskAdapter) -> bool:
    offer = getattr(adapter, "demo_helpdesk", None)  # a partial adapter (a test's) may have none
    return offer is not None and offer() is not None


def build_registry(manager: pluggy.PluginManager) -> AdapterRegistry:
    """Call every plugin's ``serviceflow_register_adapters`` and collect what they register.

    Raises:
        InvalidAdapter: a plugin registered an object without a valid ``vendor`` name.
    """
    entries: dict[str, Registered] = {}
    for impl in manager.hook.serviceflow_register_adapters.get_hookimpls():  # registration order
        impl.function(register=_registrar(entries, impl.plugin_name))
    return AdapterRegistry(entries)


def _registrar(entries: dict[str, Registered], plugin: str) -> Callable[..., None]:
    def register(adapter: HelpdeskAdapter, **_future: Any) -> None:
        vendor = getattr(adapter, "vendor", None)
        if not isinstance(vendor, str) or not VENDOR_NAME.match(vendor):
            raise InvalidAdapter(
                f"plugin {plugin!r} registered {adapter!r} whose vendor {vendor!r} is not a name "
                "like 'acmedesk' (lower case letters, digits, '-' or '_')"
            )
        previous = entries.get(vendor)
        if previous is not None:
            log.info("the %s adapter of plugin %r replaces plugin %r's", vendor, plugin, previous.plugin)
        entries[vendor] = Registered(adapter, plugin)

    return register


_built: tuple[frozenset[int], AdapterRegistry] | None = None


def registry() -> AdapterRegistry:
    """The registry of the process-wide plugin manager, rebuilt when its plugins change."""
    global _built
    from serviceflow.plugins.manager import get_plugin_manager

    manager = get_plugin_manager()
    key = frozenset(id(plugin) for plugin in manager.get_plugins())
    if _built is None or _built[0] != key:
        _built = (key, build_registry(manager))
    return _built[1]


def adapter_for(vendor: str) -> HelpdeskAdapter:
    """The registered adapter for ``vendor``.

    Raises:
        UnknownVendor: no plugin registers it.
    """
    return registry().require(vendor)
