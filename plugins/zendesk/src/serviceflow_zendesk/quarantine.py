"""Zendesk's quarantine is its suspended tickets queue: mail set aside instead of becoming a ticket.

- **List**: ``GET /api/v2/suspended_tickets`` sorted by ``created_at`` ascending, every cursor
  page; a failure on any page raises a retryable error, never a short list.
- **Recover**: ``PUT /api/v2/suspended_tickets/recover_many?ids={id}`` with the one id, because
  the single-ticket endpoint makes the API user the requester (OAS RecoverSuspendedTicket, note);
  then the ticket is read back with its requester.
- **Dismiss**: ``DELETE /api/v2/suspended_tickets/{id}``; one already gone is a success.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from serviceflow.model import QuarantinedMessage, Ticket

from . import actions, convert
from .errors import SuspendedTicketGone, ZendeskError

if TYPE_CHECKING:
    from .adapter import ZendeskAdapter

log = logging.getLogger(__name__)


class SuspendedTickets:
    """The :class:`~serviceflow.adapters.QuarantineQueue` of one :class:`~.adapter.ZendeskAdapter`."""

    def __init__(self, adapter: ZendeskAdapter) -> None:
        self._adapter = adapter

    async def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        settings = self._adapter.checked(account)
        client = self._adapter.client(settings)
        async for suspended in client.list_suspended_tickets(sort_by="created_at", sort_order="asc"):
            yield convert.quarantined_from_suspended(suspended, account=settings.account)

    async def recover(self, account: str, message_id: str) -> Ticket:
        """Recover keeping the author as requester, then read the ticket back with its requester.

        Once Zendesk has recovered the email, a failure to read the ticket back must not report
        the recovery as failed (a retry would find the message gone): the ticket as the recovery
        answered it is returned instead, with the requester by id only.
        """
        settings = self._adapter.checked(account)
        suspended_id = actions.numeric_id(message_id, "suspended ticket")
        recovered = await self._adapter.client(settings).recover_suspended_ticket(suspended_id)
        log.info("zendesk: suspended ticket %s recovered as ticket %s", suspended_id, recovered.id)
        try:
            return (await self._adapter.fetch_ticket(account, str(recovered.id))).ticket
        except ZendeskError as exc:
            log.warning("zendesk: recovered ticket %s could not be read back (%s)", recovered.id, exc)
            return convert.ticket_from_api(recovered, account=settings.account)

    async def dismiss(self, account: str, message_id: str) -> str:
        """Delete the suspended ticket; one already gone is a success ("skipped"), so retries hold."""
        suspended_id = actions.numeric_id(message_id, "suspended ticket")
        try:
            await self._adapter.client(self._adapter.checked(account)).delete_suspended_ticket(suspended_id)
        except SuspendedTicketGone:
            log.info("zendesk: suspended ticket %s was already gone", suspended_id)
            return "skipped: already gone"
        log.info("zendesk: suspended ticket %s deleted", suspended_id)
        return "done"
