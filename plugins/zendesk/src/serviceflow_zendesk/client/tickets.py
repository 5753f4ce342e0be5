"""Ticket calls of the Zendesk client: read, list, export, create, update (as a safe update),
comment, merge, and the job statuses a merge answers with."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from ..errors import UpdateConflict, ZendeskError
from ..models import Comment, IncrementalPage, JobStatus, SideloadedTicket, Ticket
from .session import ZendeskSession, body_field

log = logging.getLogger("serviceflow_zendesk.client")

#: What to change on a ticket: fields of TicketUpdateInput, or a function of the freshly read
#: ticket returning them (None or {} for "nothing to do"). A function is what makes a re-apply
#: after a conflict correct: it sees the other writer's change.
Changes = Mapping[str, Any] | Callable[[Ticket], Mapping[str, Any] | None]
#: What ShowTicket side-loads for the full ticket (developer.zendesk.com/documentation/ticketing/
#: using-the-zendesk-api/side_loading: tickets take ``users``, ``groups``, ``organizations``, ...).
TICKET_SIDELOADS = ("users", "organizations")


class TicketCalls(ZendeskSession):
    """Tickets and their comments, merges and job statuses."""

    async def get_ticket(self, ticket_id: int) -> Ticket:
        """ShowTicket.

        Raises:
            TicketGone: the ticket does not exist (any more).
        """
        data = await self._json("GET", f"/api/v2/tickets/{ticket_id}", ticket_id=ticket_id)
        return Ticket.model_validate(body_field(data, "ticket"))

    async def get_ticket_with_people(self, ticket_id: int) -> SideloadedTicket:
        """ShowTicket with its users and organizations side-loaded (``include=users,organizations``:
        one request, one rate-limit unit; the side-loading guide's own example is
        ``/tickets/1.json?include=users,groups``).

        Raises:
            TicketGone: the ticket does not exist (any more).
        """
        data = await self._json(
            "GET",
            f"/api/v2/tickets/{ticket_id}",
            params=[("include", ",".join(TICKET_SIDELOADS))],
            ticket_id=ticket_id,
        )
        body_field(data, "ticket")
        return SideloadedTicket.model_validate(data)

    async def list_tickets(self, *, external_id: str | None = None) -> AsyncIterator[Ticket]:
        """ListTickets, every page (cursor pagination), oldest id first."""
        params = [("external_id", external_id)] if external_id is not None else []
        async for item in self._cursor("/api/v2/tickets", "tickets", params):
            yield Ticket.model_validate(item)

    async def incremental_tickets(
        self, *, start_time: int | None = None, cursor: str | None = None, per_page: int | None = None
    ) -> IncrementalPage:
        """IncrementalTicketExportCursor: one page of the tickets changed since ``start_time``
        (a first call) or since ``cursor`` (every later one).

        ``start_time`` must be at least one minute in the past (OAS IncrementalUnixTime); the
        answer's ``after_cursor`` continues the export and ``end_of_stream`` says it is caught
        up (CONTRACTS.md §1.6). Allowed for admins only (OAS).
        """
        if (start_time is None) == (cursor is None):
            raise ValueError("give exactly one of start_time and cursor")
        params = [("start_time", str(start_time))] if start_time is not None else [("cursor", str(cursor))]
        if per_page is not None:
            params.append(("per_page", str(per_page)))
        data = await self._json("GET", "/api/v2/incremental/tickets/cursor", params=params)
        return IncrementalPage.model_validate(data)

    async def create_ticket(self, fields: Mapping[str, Any]) -> Ticket:
        """CreateTicket (for demos and tests; serviceflow itself never creates tickets)."""
        data = await self._json("POST", "/api/v2/tickets", json={"ticket": dict(fields)})
        return Ticket.model_validate(body_field(data, "ticket"))

    async def update_ticket(self, ticket_id: int, changes: Changes, *, base: Ticket | None = None) -> Ticket:
        """UpdateTicket as a safe update, re-reading and re-applying on 409.

        Args:
            ticket_id: The ticket.
            changes: TicketUpdateInput fields, or a function of the current ticket returning
                them. Prefer a function whenever the new value depends on the old one (tags,
                custom fields): after a conflict it runs again on the fresh ticket, so the
                other writer's change is kept.
            base: The ticket as already read, to save one GET.

        Returns:
            The ticket after the update (or as read, when ``changes`` asked for nothing).

        Raises:
            TicketGone: the ticket was deleted.
            UpdateConflict: still conflicting after ``max_conflict_retries`` re-reads.
            ValidationFailed: Zendesk refused a value (e.g. the ticket is closed).
        """
        ticket = base if base is not None else await self.get_ticket(ticket_id)
        for attempt in range(self._max_conflict_retries + 1):
            fields = changes(ticket) if callable(changes) else dict(changes)
            if not fields:
                return ticket
            body = {**fields, "safe_update": True, "updated_stamp": ticket.updated_at}
            try:
                data = await self._json(
                    "PUT",
                    f"/api/v2/tickets/{ticket_id}",
                    json={"ticket": body},
                    ticket_id=ticket_id,
                    idempotent="comment" not in fields,  # a comment is written again by a repeat
                )
            except UpdateConflict:
                if attempt == self._max_conflict_retries:
                    raise
                log.info("zendesk: ticket %s changed under us; re-reading and re-applying", ticket_id)
                ticket = await self.get_ticket(ticket_id)
                continue
            return Ticket.model_validate(body_field(data, "ticket"))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def add_comment(
        self, ticket_id: int, body: str, *, public: bool, author_id: int | None = None, html: bool = False
    ) -> Ticket:
        """Add a comment through ``ticket.comment``; ``public=False`` makes an internal note.

        Not a safe update: a comment overwrites nothing, so another writer cannot be lost. Not
        repeated after a 5xx either (the comment may have been written before the error): the
        :class:`~.errors.ServerError` is raised for the caller to check before writing again.
        """
        comment: dict[str, Any] = {"html_body" if html else "body": body, "public": public}
        if author_id is not None:
            comment["author_id"] = author_id
        data = await self._json(
            "PUT",
            f"/api/v2/tickets/{ticket_id}",
            json={"ticket": {"comment": comment}},
            ticket_id=ticket_id,
            idempotent=False,
        )
        return Ticket.model_validate(body_field(data, "ticket"))

    async def list_comments(self, ticket_id: int, *, newest_first: bool = False) -> AsyncIterator[Comment]:
        """ListTicketComments, every page."""
        params = [("sort", "-created_at")] if newest_first else []
        async for item in self._cursor(
            f"/api/v2/tickets/{ticket_id}/comments", "comments", params, ticket_id
        ):
            yield Comment.model_validate(item)

    async def merge(
        self,
        target_id: int,
        source_ids: Sequence[int],
        *,
        target_comment: str | None = None,
        source_comment: str | None = None,
        target_comment_is_public: bool | None = None,
        source_comment_is_public: bool | None = None,
    ) -> JobStatus:
        """MergeTicketsIntoTargetTicket: queue a merge job (see :meth:`wait_for_job`).

        Raises:
            TicketGone: the target ticket does not exist.
            ValidationFailed: a source is missing or closed.
        """
        body: dict[str, Any] = {"ids": list(source_ids)}
        optional = {
            "target_comment": target_comment,
            "source_comment": source_comment,
            "target_comment_is_public": target_comment_is_public,
            "source_comment_is_public": source_comment_is_public,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        data = await self._json("POST", f"/api/v2/tickets/{target_id}/merge", json=body, ticket_id=target_id)
        return JobStatus.model_validate(body_field(data, "job_status"))

    async def get_job_status(self, job_id: str) -> JobStatus:
        """ShowJobStatus."""
        data = await self._json("GET", f"/api/v2/job_statuses/{job_id}")
        return JobStatus.model_validate(body_field(data, "job_status"))

    async def wait_for_job(
        self, job_id: str, *, poll_interval: float = 1.0, max_polls: int = 60
    ) -> JobStatus:
        """Poll a job until it finishes; bounded by ``max_polls``, sleeping through ``sleep``.

        Raises:
            ZendeskError: the job had not finished after ``max_polls`` polls.
        """
        for poll in range(max_polls):
            job = await self.get_job_status(job_id)
            if job.finished:
                return job
            if poll + 1 < max_polls:
                await self._sleep(poll_interval)
        raise ZendeskError(f"Zendesk job {job_id} did not finish after {max_polls} polls")
