"""Freshdesk's quarantine is its spam folder: tickets flagged ``spam``.

- **List**: ``GET /api/v2/tickets?filter=spam&include=requester,description`` every page (FD-docs
  lines 1133-1166: the ``spam`` filter, and ``requester`` and ``description`` as list includes),
  returned oldest first. Each message carries, in ``how_to_recover``, what a person clicks to
  take it out of spam (below).
- **Recover** is not a public v2 call. ``{"spam": false}`` is not an Update a Ticket field
  (FD-docs lines 1461-1497; an extra field is 400 ``invalid_field``, line 387), an update of a
  spam ticket answers 405 ("Updating or deleting a ticket that has been marked as spam or deleted
  will now return a '405 Method Not Allowed'", line 164), and ``PUT /api/v2/tickets/{id}/restore``
  is for *deleted* tickets (lines 1828-1833). Freshdesk's own code has ``PUT
  /tickets/{id}/unspam`` only among its private ``/api/_/`` (ember) routes, not the public v2 ones
  (CONTRACTS.md §8; research, "Not verified" item 17). So :func:`recover` checks the ticket is
  still spam and raises :class:`~serviceflow.errors.RecoveryNeedsPerson` with the clicks; the
  watcher opens a review case that carries them. Once a person clicks "Not Spam" the ticket
  leaves the spam listing (the review case closes) and the reconcile sweep
  (``changed_tickets``) brings it into a case (that un-spamming moves ``updated_at`` is
  UNVERIFIED; a webhook fires for it only if a rule does, also UNVERIFIED).
- **Dismiss** cannot delete a spam ticket either (``DELETE`` answers 405, line 164). It needs no
  call: a spam ticket is out of every queue already, and Freshdesk deletes spam for good after 30
  days (:data:`.convert.SPAM_RETENTION`). :func:`dismiss` answers ``skipped`` saying so.

The clicks (:func:`how_to_recover`) follow Freshdesk's support articles: tickets reach the Spam
folder when an agent or an automation rule marks them, or when they come from a deleted
(blocked) contact (support.freshdesk.com article 225148, "How does a ticket get marked as
spam?"); the spam view lists them and restores selected tickets (the "Spam and trash" article,
in a Freshdesk support portal's copy: support.lionice.jp article 73000557563); a ticket is taken
out by opening it in the Spam folder and selecting **Not Spam**, and a deleted contact is first
restored from its page (**Restore**) (reactr.freshdesk.com article 64000055936, a Freshdesk
customer's own help-desk article: SECONDARY; the "Spam and trash" copy above says a blocked
contact is kept in the *Deleted* contacts list, from which it can be restored). The button
labels are UNVERIFIED against today's UI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, NoReturn

from serviceflow.errors import RecoveryNeedsPerson
from serviceflow.model import QuarantinedMessage
from serviceflow.model import Ticket as CoreTicket

from . import convert
from .actions import numeric_id
from .client import FreshdeskClient
from .errors import QuarantinedMessageGone, TicketGone
from .models import Ticket

if TYPE_CHECKING:
    from .adapter import FreshdeskAdapter

SPAM_FILTER = "spam"


def how_to_recover(ticket_id: int | str, subject: str = "") -> str:
    """What a person clicks in Freshdesk to take a spam ticket out of the Spam folder."""
    named = f'ticket #{ticket_id} "{subject[:120]}"' if subject else f"ticket #{ticket_id}"
    return (
        f"Freshdesk's API cannot take a ticket out of spam, so a person must. In Freshdesk, open "
        f"Tickets, choose the Spam view, open {named} and click Not Spam. If its contact was "
        f"deleted (blocked), first open the contact under Contacts (Deleted) and click Restore. "
        f"The ticket then leaves the Spam view and joins a case."
    )


class SpamFolder:
    """The :class:`~serviceflow.adapters.QuarantineQueue` of one :class:`~.adapter.FreshdeskAdapter`."""

    def __init__(self, adapter: FreshdeskAdapter) -> None:
        self._adapter = adapter

    async def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        settings = self._adapter.checked(account)
        async for message in list_spam(self._adapter.client(settings), account=settings.account):
            yield message

    async def recover(self, account: str, message_id: str) -> CoreTicket:
        await recover(self._adapter.client(self._adapter.checked(account)), message_id)

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
        message = convert.quarantined_from_api(ticket, account=account)
        yield message.model_copy(update={"how_to_recover": how_to_recover(ticket.id, ticket.subject or "")})


async def recover(client: FreshdeskClient, message_id: str) -> NoReturn:
    """Say what a person must click: Freshdesk's public API cannot un-spam a ticket.

    Raises:
        QuarantinedMessageGone: it no longer exists, is deleted, or is no longer spam.
        RecoveryNeedsPerson: it is still spam (always, otherwise); the message is the clicks.
    """
    tid = numeric_id(message_id, "ticket")
    ticket = await _spam_ticket(client, tid)
    raise RecoveryNeedsPerson(how_to_recover(tid, ticket.subject or ""))


async def dismiss(client: FreshdeskClient, message_id: str) -> str:
    """Leave the spam ticket where it is (no public call can delete it); ``"skipped: ..."`` in
    every case, saying which."""
    tid = numeric_id(message_id, "ticket")
    try:
        ticket = await client.get_ticket(tid)
    except TicketGone:
        return "skipped: already gone"
    if ticket.deleted:
        return "skipped: already gone"
    if not ticket.spam:
        return "skipped: no longer spam (a person recovered it)"
    return (
        "skipped: left in Freshdesk's Spam folder, which Freshdesk empties after 30 days "
        "(its API cannot delete a spam ticket: 405)"
    )


async def _spam_ticket(client: FreshdeskClient, tid: int) -> Ticket:
    ticket = await _gone_on_404(client.get_ticket(tid), tid)
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
