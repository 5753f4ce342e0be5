"""serviceflow's Zendesk plugin.

Registered in the ``serviceflow`` entry-point group. It registers one adapter
(:class:`~.adapter.ZendeskAdapter`, vendor ``zendesk``); the adapter's modules are
:mod:`.webhooks` and :mod:`.signature` (webhooks in), :mod:`.actions` (actions out),
:mod:`.client`, :mod:`.rest` and :mod:`.auth` (the REST API), :mod:`.convert` and :mod:`.models`
(Zendesk's words to serviceflow's), :mod:`.quarantine` (the suspended tickets queue) and
:mod:`.demo` (``serviceflow dev --helpdesk zendesk``). The fake Zendesk is test support, in its
own sub-package :mod:`serviceflow_zendesk.fake`.
"""

from collections.abc import Callable

from serviceflow.plugins import hookimpl

from .adapter import ADAPTER, ZendeskAdapter
from .webhooks import TRIGGER_BODY_TEMPLATE

__all__ = ["ADAPTER", "TRIGGER_BODY_TEMPLATE", "ZendeskAdapter", "serviceflow_register_adapters"]


@hookimpl
def serviceflow_register_adapters(register: Callable[..., None]) -> None:
    register(ADAPTER)
