"""serviceflow's Freshdesk plugin.

Registered in the ``serviceflow`` entry-point group. It registers one adapter
(:class:`~.adapter.FreshdeskAdapter`, vendor ``freshdesk``); the adapter's modules are
:mod:`.webhooks`, :mod:`.webhook_auth`, :mod:`.triggered` and :mod:`.own_writes` (webhooks in),
:mod:`.actions` (actions out), :mod:`.client` and :mod:`.rest` (the REST API), :mod:`.convert`,
:mod:`.codes`, :mod:`.models` and :mod:`.text` (Freshdesk's words to serviceflow's),
:mod:`.quarantine` (the spam folder) and :mod:`.demo` (``serviceflow dev --helpdesk freshdesk``).
The fake Freshdesk is test support, in its own sub-package :mod:`serviceflow_freshdesk.fake`.
"""

from collections.abc import Callable

from serviceflow.plugins import hookimpl

from .adapter import ADAPTER, FreshdeskAdapter
from .webhooks import RULE_EVENTS, TRIGGER_BODY_TEMPLATE, trigger_body

__all__ = [
    "ADAPTER",
    "RULE_EVENTS",
    "TRIGGER_BODY_TEMPLATE",
    "FreshdeskAdapter",
    "serviceflow_register_adapters",
    "trigger_body",
]


@hookimpl
def serviceflow_register_adapters(register: Callable[..., None]) -> None:
    register(ADAPTER)
