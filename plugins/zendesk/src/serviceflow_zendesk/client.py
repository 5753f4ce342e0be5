"""An async client for the parts of the Zendesk Support API serviceflow uses.

What it promises its callers (the plugin's hooks, Temporal activities):

- **Rate limits are honoured, before and after a 429.** Requests are paced by Zendesk's
  rate-limit headers once the minute's budget runs low (:mod:`.rest`); a 429 waits exactly the
  ``Retry-After`` Zendesk sent, up to a bound (``max_retry_after``); a longer wait is not slept
  through but raised as :class:`RateLimited` with ``retry_after``, so a durable caller can come
  back later instead of holding a worker.
- **Server errors are retried** with bounded, jittered exponential backoff, but only for calls
  that may be repeated: a 5xx on a comment may come after the comment was written, so it is
  raised (the caller re-reads for its marker first). Connection failures where the request
  cannot have reached Zendesk are always retried. Every sleep goes through an injectable
  ``sleep``, so tests never wait in real time. The transport is serviceflow's
  (:class:`serviceflow.plugins.http.RestTransport`), shared by every helpdesk plugin.
- **Edits never overwrite someone else's.** :meth:`ZendeskClient.update_ticket` sends
  ``safe_update`` with the ``updated_at`` it read; on 409 it re-reads and re-applies the change to
  the fresh ticket (a function of the ticket, or a dict), a bounded number of times.
- **Tags are merged, not replaced**, through the Tags endpoints; comments go in as
  ``ticket.comment`` (``public: false`` is an internal note).
- **Errors are typed** (:mod:`.errors`): 404 on a ticket is :class:`TicketGone`, on a suspended
  ticket :class:`SuspendedTicketGone`, and every error carries Zendesk's
  ``error``/``description``/``details``.
- **Suspended tickets are recovered keeping their author as requester**, through
  ``recover_many`` with the one id (the single-ticket endpoint makes the API user the requester).

Requests use the OAS path templates without the ``.json`` suffix and always send
``Accept: application/json`` (CONTRACTS.md §1.2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import httpx

from serviceflow.plugins.http import RestTransport, RetryPolicy, Sleep
from serviceflow.plugins.http import backoff_delay as backoff_delay  # re-exported
from serviceflow.plugins.http import parse_retry_after as parse_retry_after  # re-exported

from . import rest
from .auth import Credentials
from .errors import (
    AuthenticationFailed,
    NotFound,
    RecoveryFailed,
    SuspendedTicketGone,
    UnexpectedResponse,
    UpdateConflict,
    ValidationFailed,
    ZendeskError,
)
from .models import (
    Comment,
    Group,
    GroupMembership,
    IncrementalPage,
    JobStatus,
    SideloadedTicket,
    SuspendedTicket,
    Ticket,
    User,
)

log = logging.getLogger(__name__)

#: What to change on a ticket: fields of TicketUpdateInput, or a function of the freshly read
#: ticket returning them (None or {} for "nothing to do"). A function is what makes a re-apply
#: after a conflict correct: it sees the other writer's change.
Changes = Mapping[str, Any] | Callable[[Ticket], Mapping[str, Any] | None]
Params = Sequence[tuple[str, str]]
#: What ShowTicket side-loads for the full ticket (developer.zendesk.com/documentation/ticketing/
#: using-the-zendesk-api/side_loading: tickets take ``users``, ``groups``, ``organizations``, ...).
TICKET_SIDELOADS = ("users", "organizations")
#: ShowManyUsers takes "up to 100 user ids" (OAS).
SHOW_MANY_LIMIT = 100
#: The orders ListSuspendedTickets offers (OAS SuspendedTicketsSortBy).
SuspendedSort = Literal["author_email", "cause", "created_at", "subject"]


class ZendeskClient:
    """Async Zendesk Support API client over one pooled ``httpx.AsyncClient``.

    Use as ``async with ZendeskClient(...) as zd:`` or call :meth:`aclose` when done.
    """

    def __init__(
        self,
        base_url: str,
        auth: Credentials,
        *,
        max_retries: int = 4,
        max_retry_after: float = 60.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        max_conflict_retries: int = 3,
        page_size: int = 100,
        pace_reserve: int = 5,
        timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        user_agent: str = "serviceflow-zendesk",
    ) -> None:
        """Configure the client; no request is made.

        Args:
            base_url: ``https://{subdomain}.zendesk.com`` (a trailing ``/api/v2`` is accepted),
                or the fake's ``base_url``.
            auth: :class:`~.auth.ApiToken` or :class:`~.auth.OAuthToken`.
            max_retries: Retries after the first attempt for 429, 5xx and unsent requests.
            max_retry_after: The longest ``Retry-After`` (seconds) we wait in-process.
            backoff_initial: First backoff for 5xx, doubled per retry, with jitter.
            backoff_max: Cap of one backoff.
            max_conflict_retries: Re-reads after a 409 before :class:`UpdateConflict` is raised.
            page_size: ``page[size]`` for cursor pagination (Zendesk allows at most 100).
            pace_reserve: Below this many requests left in the minute, requests are spaced out.
            timeout: Per-request timeout in seconds.
            sleep: Awaitable sleep used for every backoff; inject a recorder in tests.
            transport: Optional httpx transport (proxies, custom TLS).
            verify: TLS verification: True (system CAs), or an ``ssl.SSLContext`` to share one
                across clients (building a context costs ~40 ms per client).
            user_agent: ``User-Agent`` header.
        """
        root = base_url.rstrip("/").removesuffix("/api/v2")
        self._rest = RestTransport(
            root,
            errors=rest.ZendeskErrors(),
            label="Zendesk",
            headers=rest.headers(auth, user_agent),
            rate_limits=rest.RATE_LIMITS,
            pace_reserve=pace_reserve,
            retry=RetryPolicy(
                max_retries=max_retries,
                max_retry_after=max_retry_after,
                backoff_initial=backoff_initial,
                backoff_max=backoff_max,
                sleep=sleep,
            ),
            timeout=timeout,
            transport=transport,
            verify=verify,
        )
        self._max_conflict_retries = max_conflict_retries
        self._page_size = min(page_size, 100)
        self._sleep = sleep

    async def __aenter__(self) -> ZendeskClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._rest.aclose()

    # ------------------------------------------------------------------ tickets

    async def get_ticket(self, ticket_id: int) -> Ticket:
        """ShowTicket.

        Raises:
            TicketGone: the ticket does not exist (any more).
        """
        data = await self._json("GET", f"/api/v2/tickets/{ticket_id}", ticket_id=ticket_id)
        return Ticket.model_validate(_field(data, "ticket"))

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
        _field(data, "ticket")
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
        return Ticket.model_validate(_field(data, "ticket"))

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
            return Ticket.model_validate(_field(data, "ticket"))
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
        return Ticket.model_validate(_field(data, "ticket"))

    async def list_comments(self, ticket_id: int, *, newest_first: bool = False) -> AsyncIterator[Comment]:
        """ListTicketComments, every page."""
        params = [("sort", "-created_at")] if newest_first else []
        async for item in self._cursor(
            f"/api/v2/tickets/{ticket_id}/comments", "comments", params, ticket_id
        ):
            yield Comment.model_validate(item)

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
        return tuple(_field(data, "tags"))

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
        return tuple(_field(data, "tags"))

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
        return JobStatus.model_validate(_field(data, "job_status"))

    async def get_job_status(self, job_id: str) -> JobStatus:
        """ShowJobStatus."""
        data = await self._json("GET", f"/api/v2/job_statuses/{job_id}")
        return JobStatus.model_validate(_field(data, "job_status"))

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

    # ------------------------------------------------------------------ people

    async def me(self) -> User:
        """ShowCurrentUser: who the credentials act as (a cheap credentials check).

        The endpoint is "Allowed for: Anonymous users" (OAS ShowCurrentUser): credentials Zendesk
        does not accept may answer 200 with an anonymous user (no id) instead of a 401, so that
        is refused here rather than taken for someone.

        Raises:
            AuthenticationFailed: the answer names no user (the credentials act as no one).
        """
        data = await self._json("GET", "/api/v2/users/me")
        user = _field(data, "user")
        if not isinstance(user, dict) or user.get("id") is None:
            raise AuthenticationFailed(
                "Zendesk GET /api/v2/users/me answered an anonymous user: the credentials act as no "
                "one (check SERVICEFLOW_ZENDESK_EMAIL and SERVICEFLOW_ZENDESK_API_TOKEN, or the OAuth token)",
                status=200,
                method="GET",
                url="/api/v2/users/me",
            )
        return User.model_validate(user)

    async def get_user(self, user_id: int) -> User:
        """ShowUser.

        Raises:
            NotFound: no such user.
        """
        data = await self._json("GET", f"/api/v2/users/{user_id}")
        return User.model_validate(_field(data, "user"))

    async def get_users(self, user_ids: Sequence[int]) -> list[User]:
        """ShowManyUsers, ``ids`` in chunks of 100 ("Accepts a comma-separated list of up to 100
        user ids", OAS); users Zendesk does not know are simply not in the answer."""
        found: list[User] = []
        wanted = list(dict.fromkeys(user_ids))
        for start in range(0, len(wanted), SHOW_MANY_LIMIT):
            chunk = ",".join(str(u) for u in wanted[start : start + SHOW_MANY_LIMIT])
            data = await self._json("GET", "/api/v2/users/show_many", params=[("ids", chunk)])
            found += [User.model_validate(u) for u in _field(data, "users")]
        return found

    async def find_users_by_email(self, email: str) -> list[User]:
        """SearchUsers with ``query=email:<address>`` (the Zendesk search syntax; OAS: "It can
        specify a partial or full value of any user property, including name, email address"),
        first page only, kept to exact matches (ignoring case)."""
        data = await self._json("GET", "/api/v2/users/search", params=[("query", f"email:{email}")])
        users = [User.model_validate(u) for u in _field(data, "users")]
        return [u for u in users if u.email and u.email.casefold() == email.casefold()]

    async def list_agents(self, *, roles: Sequence[str] = ("agent", "admin")) -> AsyncIterator[User]:
        """ListUsers filtered by ``role[]`` (admins are agents too), every page."""
        params = [("role[]", role) for role in roles]
        async for item in self._cursor("/api/v2/users", "users", params):
            yield User.model_validate(item)

    async def list_groups(self, *, exclude_deleted: bool = True) -> AsyncIterator[Group]:
        """ListGroups, every page."""
        params = [("exclude_deleted", "true")] if exclude_deleted else []
        async for item in self._cursor("/api/v2/groups", "groups", params):
            yield Group.model_validate(item)

    async def list_memberships(
        self, *, group_id: int | None = None, user_id: int | None = None
    ) -> AsyncIterator[GroupMembership]:
        """ListGroupMemberships, every page: all of them, one group's, or one agent's.

        The filtered lists are their own paths, ``/api/v2/groups/{group_id}/memberships`` and
        ``/api/v2/users/{user_id}/group_memberships`` (CONTRACTS.md §8; the OAS folds the three
        URLs into one operation and declares ``group_id``/``user_id`` as its *path* parameters),
        never query filters on ``/api/v2/group_memberships``, which takes none.
        """
        if group_id is not None and user_id is not None:
            raise ValueError("give group_id or user_id, not both (filter the other yourself)")
        if group_id is not None:
            path = f"/api/v2/groups/{group_id}/memberships"
        elif user_id is not None:
            path = f"/api/v2/users/{user_id}/group_memberships"
        else:
            path = "/api/v2/group_memberships"
        async for item in self._cursor(path, "group_memberships", []):
            yield GroupMembership.model_validate(item)

    async def list_group_memberships(self, group_id: int) -> AsyncIterator[GroupMembership]:
        """One group's memberships (``GET /api/v2/groups/{group_id}/memberships``), every page."""
        async for membership in self.list_memberships(group_id=group_id):
            yield membership

    # ------------------------------------------------------------------ suspended tickets

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

    # ------------------------------------------------------------------ plumbing

    async def _cursor(
        self, path: str, key: str, params: Params, ticket_id: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record of a cursor-paginated list: ``page[size]``, then ``page[after]`` with
        ``meta.after_cursor`` while ``meta.has_more`` (CONTRACTS.md §1.4). The next request is
        built here rather than taken from ``links.next``, so credentials never follow a URL the
        response chose."""
        base = [*params, ("page[size]", str(self._page_size))]
        after: str | None = None
        seen: set[str] = set()
        while True:
            query = base if after is None else [*base, ("page[after]", after)]
            data = await self._json("GET", path, params=query, ticket_id=ticket_id)
            items = _field(data, key)
            if not isinstance(items, list):
                raise UnexpectedResponse(f"Zendesk GET {path}: {key!r} is not a list")
            for item in items:
                yield item
            meta = data.get("meta") or {}
            if not meta.get("has_more"):
                return
            after = meta.get("after_cursor")
            if not after or after in seen:
                raise UnexpectedResponse(f"Zendesk GET {path}: has_more without a new after_cursor")
            seen.add(after)

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        ticket_id: int | None = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        data = await self._rest.json(
            method, path, params=params, json=json, context=ticket_id, idempotent=idempotent
        )
        if not isinstance(data, dict):
            raise UnexpectedResponse(f"Zendesk {method} {path}: the body is not a JSON object")
        return data

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        ticket_id: int | None = None,
    ) -> httpx.Response:
        """One API call through the transport (retries, ``Retry-After``, pacing)."""
        return await self._rest.request(method, path, params=params, json=json, context=ticket_id)


def _tags_body(tags: Sequence[str], updated_stamp: str | None) -> dict[str, Any]:
    """A Tags endpoint's body, with the documented safe-update fields when a stamp is given (the
    OAS's own example writes ``"safe_update":"true"``; a JSON boolean is what its schema reads)."""
    body: dict[str, Any] = {"tags": list(tags)}
    if updated_stamp is not None:
        body.update(safe_update=True, updated_stamp=updated_stamp)
    return body


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


def _field(data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise UnexpectedResponse(f"Zendesk response has no {key!r}")
    return data[key]
