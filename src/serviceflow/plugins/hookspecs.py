"""The hooks a serviceflow plugin can implement.

A plugin is a module registered in the ``serviceflow`` entry-point group::

    [project.entry-points.serviceflow]
    zendesk = "serviceflow_zendesk"

and marks its functions with :data:`hookimpl`. Every vendor hook takes the ``vendor`` name first
and is ``firstresult``: a plugin returns None for vendors it does not serve, so several
helpdesk plugins live side by side. Hooks that talk to the helpdesk return awaitables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from serviceflow.model import Action, QuarantinedMessage, Roster, Ticket, TicketEvent
    from serviceflow.plugins.webhooks import WebhookVerdict

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
    exists, so the case can end cleanly. Raise a ``ServiceflowError`` with ``retryable = True``
    for what may pass (rate limits, 5xx, network): the action is tried again later; any other
    ``ServiceflowError`` is a refusal that no retry fixes, recorded as the action's outcome.

    Stops at first non-None result.
    """


# -- webhooks in ------------------------------------------------------------------------------


@hookspec(firstresult=True)
def serviceflow_verify_webhook(
    vendor: str, method: str, headers: Mapping[str, str], body: bytes
) -> WebhookVerdict | None:
    """Decide whether a webhook delivery is authentic (signature, shared secret) and fresh.

    ``headers`` has lower-case names; ``body`` is the raw bytes as received. Return a
    :class:`~serviceflow.plugins.webhooks.WebhookVerdict`: accepted, or refused with a short,
    machine-readable reason ("missing_signature", "stale_timestamp", ...) that never contains a
    secret. Return None when ``vendor`` is not yours.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def serviceflow_parse_webhook(
    vendor: str, headers: Mapping[str, str], body: bytes
) -> list[TicketEvent] | None:
    """Turn a verified delivery into vendor-neutral ticket events.

    Event ids must be stable: a redelivery of the same change yields the same ids, so cases
    ignore it. Raise :class:`~serviceflow.plugins.webhooks.WebhookRejected` for a body that is
    not JSON or of an unknown shape. Return None when ``vendor`` is not yours.

    Stops at first non-None result.
    """


# -- the helpdesk, read and written --------------------------------------------------------------


@hookspec(firstresult=True)
def serviceflow_fetch_ticket(vendor: str, account: str, ticket_id: str) -> Awaitable[Ticket] | None:
    """The ticket as the helpdesk has it now; raise ``TicketGone`` when it no longer exists.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def serviceflow_list_open_tickets(vendor: str, account: str) -> AsyncIterator[Ticket] | None:
    """Every ticket that is not closed, for the reconcile sweep that repairs lost webhooks.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def serviceflow_load_roster(vendor: str, account: str) -> Awaitable[Roster] | None:
    """The agents and groups who can own cases, with their memberships.

    Stops at first non-None result.
    """


# -- quarantined mail: the suspended / spam queue ----------------------------------------------


@hookspec(firstresult=True)
def serviceflow_list_quarantined(vendor: str, account: str) -> AsyncIterator[QuarantinedMessage] | None:
    """Every message now in the helpdesk's suspended or spam queue, oldest first where possible.

    Follow the vendor's pagination to the end: the watcher treats a message missing from a
    complete listing as having left the queue. Raise a ``ServiceflowError`` with
    ``retryable = True`` on a rate limit (after honouring ``Retry-After`` as far as is sensible),
    a 5xx or a network error: the poll is retried and no message is skipped. Return None when
    ``vendor`` is not yours.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def serviceflow_recover_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[Ticket] | None:
    """Turn a quarantined message into a real ticket, keeping its original requester.

    Yields the ticket as the helpdesk has it after recovery. Raise
    :class:`serviceflow.errors.QuarantinedMessageGone` when the message is no longer in the queue
    (a person recovered or deleted it, or it expired). Retryable errors as for
    ``serviceflow_list_quarantined``.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def serviceflow_dismiss_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[str] | None:
    """Remove a quarantined message for good (it is spam); yields "done" or "skipped: ...".

    A message already gone yields "skipped: already gone" (a retry must not fail). Retryable
    errors as for ``serviceflow_list_quarantined``.

    Stops at first non-None result.
    """
