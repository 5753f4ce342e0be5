"""What a person or Zendesk itself does to the fake's suspended tickets queue (as opposed to what
the API does, :mod:`.suspended_routes`): an email arrives suspended, a person recovers or
deletes it in the UI, Zendesk expires it after 14 days."""

from __future__ import annotations

from datetime import datetime

from .records import FakeApiError, Json
from .suspended import SuspendedQueue


class SuspendedTicketControls:
    """The suspended-queue part of :class:`~.controller.FakeZendesk` (which sets both attributes)."""

    suspended: SuspendedQueue
    admin: Json

    def add_suspended(
        self,
        author_email: str,
        *,
        author_name: str | None = None,
        subject: str = "",
        content: str = "",
        cause: str = "Detected as spam",
        recipient: str | None = None,
        created_at: datetime | str | None = None,
        ticket_id: int | None = None,
        recoverable: bool = True,
    ) -> Json:
        """Put an email in the suspended tickets queue, as Zendesk's mail processing would.

        No webhook fires (a suspended ticket is not a ticket). See
        :meth:`.suspended.SuspendedQueue.add` for the arguments; ``recoverable=False``
        makes every recovery of it fail with 422.
        """
        return self.suspended.add(
            author_email,
            author_name=author_name,
            subject=subject,
            content=content,
            cause=cause,
            recipient=recipient,
            created_at=created_at,
            ticket_id=ticket_id,
            recoverable=recoverable,
        )

    def suspended_tickets(self) -> list[Json]:
        """The suspended tickets queue, by id."""
        return self.suspended.listing()

    def recover_suspended(self, suspended_id: int, *, actor_id: int | None = None) -> Json:
        """Recover a suspended ticket as a person in the Zendesk UI would: the author stays the
        requester, the ticket-created webhook fires; returns the ticket.

        Raises:
            FakeApiError: 404 when it is not in the queue, 422 when it cannot be recovered.
        """
        actor = actor_id if actor_id is not None else self.admin["id"]
        done = self.suspended.recover([suspended_id], actor_id=actor, requester="author")
        if done.failed:
            raise FakeApiError(422, "RecoveryFailed", f"suspended ticket {suspended_id} cannot be recovered")
        return done.tickets[0]

    def delete_suspended(self, suspended_id: int) -> None:
        """Delete a suspended ticket as a person in the Zendesk UI would.

        Raises:
            FakeApiError: 404 when it is not in the queue.
        """
        self.suspended.delete([suspended_id])

    def expire_suspended(self) -> list[int]:
        """Delete what has been suspended for over 14 days by :attr:`clock`, as Zendesk does;
        returns the ids deleted."""
        return self.suspended.expire()
