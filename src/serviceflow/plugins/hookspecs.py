"""The hooks a serviceflow plugin can implement.

A plugin is a module registered in the ``serviceflow`` entry-point group::

    [project.entry-points.serviceflow]
    myhelpdesk = "serviceflow_myhelpdesk"

and marks its functions with :data:`hookimpl`. A helpdesk plugin does not implement a hook per
operation: it registers an adapter object (:class:`serviceflow.adapters.HelpdeskAdapter`) that
does everything for its vendor, the way ``llm`` plugins register models. Core keeps the
adapters in a registry by vendor name (:mod:`serviceflow.adapters.registry`).
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("serviceflow")
hookimpl = pluggy.HookimplMarker("serviceflow")


@hookspec
def serviceflow_register_adapters(register: Callable[..., None]) -> None:
    """Register the helpdesk adapters this plugin provides.

    Call ``register(adapter)`` once per helpdesk; ``adapter.vendor`` is its name in
    ``Ticket.vendor``, in case ids and in ``/webhooks/{vendor}``. Register the same object every
    time (a module-level instance): the registry is built again when plugins come and go, and an
    adapter keeps its HTTP clients. An adapter registered later for the same vendor replaces the
    earlier one.

    Use in plugins::

        ADAPTER = MyHelpdeskAdapter()

        @hookimpl
        def serviceflow_register_adapters(register):
            register(ADAPTER)

    :param register: the callback; it may gain keyword arguments, so pass them by name.
    """
