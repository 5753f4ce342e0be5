"""The hooks a serviceflow plugin can implement.

A plugin is a module registered in the ``serviceflow`` entry-point group::

    [project.entry-points.serviceflow]
    zendesk = "serviceflow_zendesk"

and marks its functions with :data:`hookimpl`. The vendor hooks (verify and parse webhooks, read
tickets, apply actions) arrive with the vendor plugin issue; the registration hook below is how a
plugin says which helpdesks it serves.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("serviceflow")
hookimpl = pluggy.HookimplMarker("serviceflow")


@hookspec
def serviceflow_register_vendors(register: Callable[..., None]) -> None:
    """Register the helpdesk vendors this plugin serves.

    Call ``register(name, description=...)`` once per vendor; ``name`` is the value of
    ``Ticket.vendor`` and of the ``{vendor}`` part of case ids and webhook URLs.

    :param register: the callback; it may gain keyword arguments, so pass them by name.
    """
