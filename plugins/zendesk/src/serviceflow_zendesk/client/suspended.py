"""Suspended-ticket calls of the Zendesk client: list, show, recover (keeping the author as the
requester) and delete, with a 404 on a suspended ticket typed as :class:`SuspendedTicketGone`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from ..errors import (
    NotFound,
    RecoveryFailed,
    SuspendedTicketGone,
    UnexpectedResponse,
    ValidationFailed,
    ZendeskError,
)
from ..models import SuspendedTicket, Ticket
from .session import ZendeskSession

#: The orders ListSuspendedTickets offers (OAS SuspendedTicketsSortBy).
SuspendedSort = Literal["author_email", "cause", "created_at", "subject"]


class SuspendedCalls(ZendeskSession):
    """The suspended tickets queue."""

    async def list_suspended_tickets(
        self, *, sort_by: SuspendedSort = "created_at", sort_order: Literal["asc", "desc"] = "asc"
    ) -> AsyncIterator[SuspendedTicket]:
        """ListSuspendedTickets, every page (cursor pagination); oldest first by default.

        A failure on any page raises (after the usual retries): a caller must not take a partial
        listing for the whole queue.
        """
        params = [("sort_by", sort_by), ("sort_order", sort_order)]
        async for item in self._cursor("/api/v2/suspended_tickets", "suspended_tickets", params):
            yield SuspendedTicket.model_validate(item)

    async def get_suspended_ticket(self, suspended_id: int) -> SuspendedTicket:
        """ShowSuspendedTickets.

        Raises:
            SuspendedTicketGone: it is no longer in the queue.
        """
        with _suspended(suspended_id):
            data = await self._json("GET", f"/api/v2/suspended_tickets/{suspended_id}")
        # Zendesk answers {"suspended_ticket": {...}} (what its client libraries read); the OAS
        # reuses the list schema here, so a one-item list is accepted too.
        item = data.get("suspended_ticket")
        listed = data.get("suspended_tickets")
        if item is None and isinstance(listed, list) and len(listed) == 1:
            item = listed[0]
        if not isinstance(item, dict):
            raise UnexpectedResponse(
                f"Zendesk GET /api/v2/suspended_tickets/{suspended_id}: the body has no suspended_ticket"
            )
        return SuspendedTicket.model_validate(item)

    async def recover_suspended_ticket(self, suspended_id: int) -> Ticket:
        """Recover one suspended ticket, keeping its author as the requester.

        Uses RecoverSuspendedTickets (``recover_many``) with this one id: the single-ticket
        endpoint sets the requester to the API user (OAS RecoverSuspendedTicket, note).

        Returns:
            The ticket it became (or the ticket its reply was added to), as Zendesk answered.

        Raises:
            SuspendedTicketGone: it is no longer in the queue (a person recovered or deleted it,
                or it expired).
            RecoveryFailed: Zendesk refused; it is still suspended.
        """
        try:
            with _suspended(suspended_id):
                data = await self._json(
                    "PUT", "/api/v2/suspended_tickets/recover_many", params=[("ids", str(suspended_id))]
                )
        except ValidationFailed as exc:
            raise await self._recovery_failed(suspended_id, exc) from exc
        # Failed recoveries "are still included in the response" (OAS): only ticket-shaped items count.
        made = [t for t in data.get("tickets") or () if isinstance(t, dict) and "status" in t]
        if len(made) > 1:
            raise UnexpectedResponse(
                f"Zendesk recovered suspended ticket {suspended_id} into {len(made)} tickets; expected one"
            )
        if made:
            return Ticket.model_validate(made[0])
        raise await self._recovery_failed(suspended_id, None)

    async def delete_suspended_ticket(self, suspended_id: int) -> None:
        """DeleteSuspendedTicket: the email is gone for good.

        Raises:
            SuspendedTicketGone: it was no longer in the queue.
        """
        with _suspended(suspended_id):
            await self._request("DELETE", f"/api/v2/suspended_tickets/{suspended_id}")

    async def _recovery_failed(self, suspended_id: int, refusal: ValidationFailed | None) -> RecoveryFailed:
        """The error for a recovery that did not happen, with the cause read back from the queue.

        Raises:
            SuspendedTicketGone: the re-read found it gone (someone else got there first).
        """
        still = await self.get_suspended_ticket(suspended_id)
        fields = _error_fields(refusal) if refusal is not None else {}
        return RecoveryFailed(
            f"Zendesk did not recover suspended ticket {suspended_id} (suspended because: "
            f"{still.cause or 'no cause given'}); it is still in the queue: recover it by hand in "
            "Zendesk's Suspended tickets view, or delete it",
            suspended_id=suspended_id,
            cause=still.cause,
            **fields,
        )


@contextlib.contextmanager
def _suspended(suspended_id: int) -> Iterator[None]:
    """Turn a 404 on a suspended ticket into :class:`SuspendedTicketGone` (an unknown route stays
    :class:`NotFound`: that is a client bug, not a message that left the queue)."""
    try:
        yield
    except NotFound as exc:
        if exc.error == "InvalidEndpoint" or isinstance(exc, SuspendedTicketGone):
            raise
        raise SuspendedTicketGone(
            f"Zendesk suspended ticket {suspended_id} is no longer in the queue "
            "(recovered, deleted, or expired after 14 days)",
            suspended_id=suspended_id,
            **_error_fields(exc),
        ) from exc


def _error_fields(exc: ZendeskError) -> dict[str, Any]:
    return {
        "status": exc.status,
        "error": exc.error,
        "description": exc.description,
        "details": exc.details,
        "method": exc.method,
        "url": exc.url,
    }
