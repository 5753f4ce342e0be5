"""Tag calls of the Zendesk client: the Tags endpoints, which merge with the ticket's tags
instead of replacing them, each with the documented safe update."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..errors import UpdateConflict
from .session import body_field
from .tickets import TicketCalls

log = logging.getLogger("serviceflow_zendesk.client")


class TagCalls(TicketCalls):
    """Add, remove and set a ticket's tags (a safe change re-reads the ticket: hence tickets)."""

    async def add_tags(
        self, ticket_id: int, tags: Sequence[str], *, updated_stamp: str | None = None
    ) -> tuple[str, ...]:
        """PutTagsTicket: add tags, keeping every other tag.

        With ``updated_stamp`` (the ticket's ``updated_at`` as read) it is a safe update: "If the
        same ticket is updated by multiple API requests at the same time, some tags could be lost
        because of ticket update collisions. Include ``updated_stamp`` and ``safe_update``" (OAS
        PutTagsTicket, "Safe Update"); a ticket changed since answers 409, raised as
        :class:`UpdateConflict` (see :meth:`change_tags_safely`).
        """
        data = await self._json(
            "PUT",
            f"/api/v2/tickets/{ticket_id}/tags",
            json=_tags_body(tags, updated_stamp),
            ticket_id=ticket_id,
        )
        return tuple(body_field(data, "tags"))

    async def remove_tags(
        self, ticket_id: int, tags: Sequence[str], *, updated_stamp: str | None = None
    ) -> None:
        """DeleteTagsTicket: remove tags, keeping every other tag ("This endpoint supports safe
        updates", OAS DeleteTagsTicket); ``updated_stamp`` as for :meth:`add_tags`."""
        await self._request(
            "DELETE",
            f"/api/v2/tickets/{ticket_id}/tags",
            json=_tags_body(tags, updated_stamp),
            ticket_id=ticket_id,
        )

    async def change_tags_safely(
        self, ticket_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> bool:
        """Add and/or remove tags by safe update, re-reading the ticket after a 409 (a bounded
        number of times); only what still differs on the ticket as read is sent, so a repeat is
        a no-op. Returns whether anything was sent.

        Raises:
            TicketGone: the ticket was deleted.
            UpdateConflict: still conflicting after ``max_conflict_retries`` re-reads.
        """
        sent = False
        for attempt in range(self._max_conflict_retries + 1):
            ticket = await self.get_ticket(ticket_id)
            current = set(ticket.tags)
            adding = [t for t in add if t.lower() not in current]
            removing = [t for t in remove if t.lower() in current]
            try:
                if adding:
                    await self.add_tags(ticket_id, adding, updated_stamp=ticket.updated_at)
                    sent = True
                    if removing:  # the add moved updated_at on: read again for the removal
                        continue
                if removing:
                    await self.remove_tags(ticket_id, removing, updated_stamp=ticket.updated_at)
                    sent = True
                return sent
            except UpdateConflict:
                if attempt == self._max_conflict_retries:
                    raise
                log.info("zendesk: ticket %s changed under us; re-reading its tags", ticket_id)
        raise UpdateConflict(f"Zendesk ticket {ticket_id}: tags still conflicting after re-reads")

    async def set_tags(self, ticket_id: int, tags: Sequence[str]) -> tuple[str, ...]:
        """SetTagsTicket: replace the whole list (rarely what you want; see :meth:`add_tags`)."""
        data = await self._json(
            "POST", f"/api/v2/tickets/{ticket_id}/tags", json={"tags": list(tags)}, ticket_id=ticket_id
        )
        return tuple(body_field(data, "tags"))


def _tags_body(tags: Sequence[str], updated_stamp: str | None) -> dict[str, Any]:
    """A Tags endpoint's body, with the documented safe-update fields when a stamp is given (the
    OAS's own example writes ``"safe_update":"true"``; a JSON boolean is what its schema reads)."""
    body: dict[str, Any] = {"tags": list(tags)}
    if updated_stamp is not None:
        body.update(safe_update=True, updated_stamp=updated_stamp)
    return body
