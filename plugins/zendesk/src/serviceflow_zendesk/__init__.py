"""serviceflow's Zendesk plugin.

Registered in the ``serviceflow`` entry-point group. The webhook, REST and action hooks arrive
with the Zendesk plugin issue.
"""

from collections.abc import Callable

from serviceflow.plugins import hookimpl


@hookimpl
def serviceflow_register_vendors(register: Callable[..., None]) -> None:
    register("zendesk", description="Zendesk")
