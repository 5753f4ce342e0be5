"""Freshdesk's quarantine is its spam folder: tickets flagged ``spam``.

- **List**: ``GET /api/v2/tickets?filter=spam`` every page (``include=requester,description``
  for the sender and the excerpt; SECONDARY: the include values are documented for the list,
  the comma-separated form for the single-ticket view), returned oldest first.
- **Recover**: un-spam the ticket so it is a normal ticket again. No stored source documents an
  API call for "Not spam"; serviceflow sends ``PUT /api/v2/tickets/{id}`` with ``{"spam": false}``
  (``spam`` is a documented ticket field; that the update accepts it is UNVERIFIED). The
  ``PUT /api/v2/tickets/{id}/restore`` endpoint that does exist is for *deleted* tickets.
- **Dismiss**: ``DELETE /api/v2/tickets/{id}`` moves it to the trash, from which Freshdesk purges
  it (trash and spam are kept 30 days, see :data:`.convert.SPAM_RETENTION`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING

from serviceflow.model import QuarantinedMessage
from serviceflow.model import Ticket as CoreTicket

from . import convert
from .actions import numeric_id
from .client import FreshdeskClient
from .errors import QuarantinedMessageGone, TicketGone
from .models import Ticket
from .settings import FreshdeskSettings

if TYPE_CHECKING:
    from .adapter import FreshdeskAdapter

SPAM_FILTER = "spam"


class SpamFolder:
    """The :class:`~serviceflow.adapters.QuarantineQueue` of one :class:`~.adapter.FreshdeskAdapter`."""

    def __init__(self, adapter: FreshdeskAdapter) -> None:
        self._adapter = adapter

    async def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        settings = self._adapter.checked(account)
        async for message in list_spam(self._adapter.client(settings), account=settings.account):
            yield message

    async def recover(self, account: str, message_id: str) -> CoreTicket:
        settings = self._adapter.checked(account)
        return await recover(self._adapter.client(settings), message_id, settings=settings)

    async def dismiss(self, account: str, message_id: str) -> str:
        return await dismiss(self._adapter.client(self._adapter.checked(account)), message_id)


async def list_spam(client: FreshdeskClient, *, account: str) -> AsyncIterator[QuarantinedMessage]:
    """Every spam-flagged ticket as a quarantined message, oldest first.

    The whole listing is read before the first message is yielded: the order is sorted here (the
    list's ``order_by`` with ``filter=spam`` is UNVERIFIED), and a listing cut short by an error
    then yields nothing rather than a partial queue the watcher would misread.
    """
    tickets = [
        t
        async for t in client.list_tickets(filter_name=SPAM_FILTER, include=("requester", "description"))
        if t.spam and not t.deleted
    ]
    tickets.sort(key=lambda t: (convert.timestamp(t.created_at), t.id))
    for ticket in tickets:
        yield convert.quarantined_from_api(ticket, account=account)


async def recover(client: FreshdeskClient, message_id: str, *, settings: FreshdeskSettings) -> CoreTicket:
    """Un-spam the ticket; yields it as the helpdesk has it afterwards.

    Raises:
        QuarantinedMessageGone: it no longer exists, is deleted, or is no longer spam.
    """
    tid = numeric_id(message_id, "ticket")
    current = await _spam_ticket(client, tid)
    updated = await _gone_on_404(client.update_ticket(tid, {"spam": False}), tid)
    if updated.spam:
        raise QuarantinedMessageGone(f"Freshdesk kept ticket {tid} flagged as spam after the un-spam call")
    # The requester sideload of the first read names the sender; the PUT answer has no sideloads.
    ticket = updated.model_copy(update={"requester": current.requester})
    return convert.ticket_from_api(ticket, account=settings.account, overrides=settings.custom_statuses)


async def dismiss(client: FreshdeskClient, message_id: str) -> str:
    """Delete the spam ticket (to the trash); ``"skipped: already gone"`` when it is."""
    tid = numeric_id(message_id, "ticket")
    try:
        ticket = await client.get_ticket(tid)
    except TicketGone:
        return "skipped: already gone"
    if ticket.deleted:
        return "skipped: already gone"
    if not ticket.spam:
        return "skipped: no longer spam (a person recovered it)"
    try:
        await client.delete_ticket(tid)
    except TicketGone:
        return "skipped: already gone"
    return "done"


async def _spam_ticket(client: FreshdeskClient, tid: int) -> Ticket:
    ticket = await _gone_on_404(client.get_ticket(tid, include=("requester",)), tid)
    if ticket.deleted:
        raise QuarantinedMessageGone(f"Freshdesk ticket {tid} was deleted")
    if not ticket.spam:
        raise QuarantinedMessageGone(f"Freshdesk ticket {tid} is no longer spam (someone recovered it)")
    return ticket


async def _gone_on_404(pending: Awaitable[Ticket], tid: int) -> Ticket:
    try:
        return await pending
    except TicketGone as exc:
        raise QuarantinedMessageGone(f"Freshdesk ticket {tid} no longer exists") from exc
