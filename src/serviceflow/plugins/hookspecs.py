"""The hooks a serviceflow plugin can implement.

A plugin is a module registered in the ``serviceflow`` entry-point group::

    [project.entry-points.serviceflow]
    zendesk = "serviceflow_zendesk"

and marks its functions with :data:`hookimpl`. The vendor hooks (verify and parse webhooks, read
tickets, apply actions) arrive with the vendor plugin issue; the registration hook below is how a
plugin says which helpdesks it serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from serviceflow.model import Action

hookspec = pluggy.HookspecMarker("serviceflow")
hookimpl = pluggy.HookimplMarker("serviceflow")


@hookspec
def serviceflow_register_vendors(register: Callable[..., None]) -> None:
    """Register the helpdesk vendors this plugin serves.

    Call ``register(name, description=...)`` once per vendor; ``name`` is the value of
    ``Ticket.vendor`` and of the ``{vendor}`` part of case ids and webhook URLs.

    :param register: the callback; it may gain keyword arguments, so pass them by name.
    """


@hookspec(firstresult=True)
def serviceflow_apply_action(
    vendor: str, account: str, ticket_id: str, action: Action
) -> Awaitable[str] | None:
    """Carry out one engine action on a ticket in the helpdesk.

    Return None when ``vendor`` is not yours; otherwise an awaitable that performs the action and
    yields a short outcome ("done", "skipped: already done", ...). ``action.key`` is the
    action's idempotency key: when an activity retries, the same action arrives again with the
    same key, and it must not be carried out twice (record the key with the change, or read
    before writing). Raise :class:`serviceflow.errors.TicketGone` when the ticket no longer
    exists, so the case can end cleanly.

    Stops at first non-None result.
    """
