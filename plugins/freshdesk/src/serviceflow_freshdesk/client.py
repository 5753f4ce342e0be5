"""An async client for the parts of the Freshdesk API v2 serviceflow uses.

What it promises its callers (the plugin's hooks, Temporal activities):

- **Authentication** is the API key as the Basic-auth username with ``X`` as the password
  (CONTRACTS.md §2.1).
- **Rate limits are honoured, before and after a 429.** Requests are paced by Freshdesk's
  ``X-RateLimit-*`` headers once the minute's budget runs low (:mod:`.rest`); a 429 waits exactly
  the ``Retry-After`` Freshdesk sent, up to a bound (``max_retry_after``); a longer wait is raised
  as :class:`RateLimited` with ``retry_after`` instead of holding a worker (§2.4).
- **Server errors are retried** with bounded, jittered exponential backoff, but only for calls
  that may be repeated: a 5xx on a note or reply (a POST) may come after it was written, so it is
  raised and the caller looks for its marker first. Connection failures where the request
  cannot have reached Freshdesk are always retried. Every sleep goes through an injectable
  ``sleep``, so tests never wait in real time. The transport is serviceflow's
  (:class:`serviceflow.plugins.http.RestTransport`), shared by every helpdesk plugin.
- **Lists are followed to the end**: ``page``/``per_page`` (at most 100), next page while the
  ``Link`` header has ``rel="next"`` (§2.3). The next request is built here from the page number
  in that link, on the same path, so the API key never follows a URL the response chose.
- **Errors are typed** (:mod:`.errors`): 404 on a ticket is :class:`TicketGone`, a 400 carries
  each field's message (§2.5).

Freshdesk has no optimistic locking (no ``updated_stamp``, no ``If-Match`` that we could
verify), so this client has no conditional update; callers read right before they write
(:mod:`.actions`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Unpack

import httpx

from serviceflow.plugins.http import RestTransport, TransportKnobs, TransportOptions, options_for
from serviceflow.plugins.http import backoff_delay as backoff_delay  # re-exported

from . import rest
from .answers import json_body, with_id
from .answers import next_page as next_page  # re-exported
from .errors import NotFound, UnexpectedResponse
from .models import Agent, Company, Conversation, EmailConfig, Group, Ticket
from .rest import basic_auth as basic_auth  # re-exported

log = logging.getLogger(__name__)

Params = Sequence[tuple[str, str]]

#: Freshdesk stops list endpoints at page 300 (CONTRACTS.md §2.3); so do we.
MAX_PAGES = 300
#: The Freshdesk client's transport defaults: serviceflow's shared ones, with its own agent.
TRANSPORT = TransportOptions(user_agent="serviceflow-freshdesk")


class FreshdeskClient:
    """Async Freshdesk API v2 client over one pooled ``httpx.AsyncClient``.

    Use as ``async with FreshdeskClient(...) as fd:`` or call :meth:`aclose` when done.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        page_size: int = 100,
        options: TransportOptions | None = None,
        **knobs: Unpack[TransportKnobs],
    ) -> None:
        """Configure the client; no request is made.

        Args:
            base_url: ``https://{domain}.freshdesk.com`` (a trailing ``/api/v2`` is accepted), or
                the fake's ``base_url``.
            api_key: The API key of the agent serviceflow acts as.
            page_size: ``per_page`` for lists (Freshdesk allows at most 100).
            options: Retries, backoff, pacing, timeout, TLS, ``User-Agent``
                (:class:`~serviceflow.plugins.http.TransportOptions`); :data:`TRANSPORT`
                when omitted.
            **knobs: Fields of ``options`` by name (``max_retries=1``), overriding it.
        """
        opts = options_for(TRANSPORT, options, knobs)
        root = base_url.rstrip("/").removesuffix("/api/v2")
        self._rest = RestTransport.with_options(
            root,
            opts,
            errors=rest.FreshdeskErrors(),
            label="Freshdesk",
            headers=rest.headers(api_key, opts.agent),
            rate_limits=rest.RATE_LIMITS,
        )
        self._page_size = max(1, min(page_size, 100))

    async def __aenter__(self) -> FreshdeskClient:
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

    async def get_ticket(self, ticket_id: int, *, include: Sequence[str] = ()) -> Ticket:
        """View a ticket, optionally with sideloads (``requester``, ``company``, ``stats``,
        ``conversations``): "Each include will consume an additional credit. For example if you
        embed the requester and company information you will be charged a total of 3 API credits
        for the call" (FD-docs line 938).

        Raises:
            TicketGone: the ticket does not exist (any more).
        """
        params = [("include", ",".join(include))] if include else None
        data = await self._json("GET", f"/api/v2/tickets/{ticket_id}", params=params, ticket_id=ticket_id)
        return Ticket.model_validate(with_id(data, "ticket"))

    async def list_tickets(
        self,
        *,
        filter_name: str | None = None,
        updated_since: str | None = None,
        order_by: str | None = None,
        order_type: str | None = None,
        include: Sequence[str] = (),
    ) -> AsyncIterator[Ticket]:
        """``GET /api/v2/tickets`` every page. Without ``updated_since`` Freshdesk returns only
        tickets created in the last 30 days (CONTRACTS.md §2.3)."""
        params: list[tuple[str, str]] = []
        optional = {
            "filter": filter_name,
            "updated_since": updated_since,
            "order_by": order_by,
            "order_type": order_type,
            "include": ",".join(include) if include else None,
        }
        params.extend((k, v) for k, v in optional.items() if v)
        async for item in self._pages("/api/v2/tickets", params):
            yield Ticket.model_validate(item)

    async def tickets_page(
        self, *, updated_since: str, page: int = 1, include: Sequence[str] = ()
    ) -> tuple[list[Ticket], int | None]:
        """One page of ``GET /api/v2/tickets?updated_since=...&order_by=updated_at&order_type=asc``
        and the number of the next page (None on the last: no ``Link: rel="next"``; CONTRACTS.md
        §2.3). Spam and deleted tickets are not listed without their filter."""
        params = [
            ("updated_since", updated_since),
            ("order_by", "updated_at"),
            ("order_type", "asc"),
            ("page", str(page)),
            ("per_page", str(self._page_size)),
        ]
        if include:
            params.append(("include", ",".join(include)))
        response = await self._request("GET", "/api/v2/tickets", params=params)
        items = json_body(response)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UnexpectedResponse("Freshdesk GET /api/v2/tickets: the body is not a JSON array of objects")
        following = next_page(response.headers.get("link"))
        return [
            Ticket.model_validate(i) for i in items
        ], following if following and following > page else None

    async def create_ticket(self, fields: Mapping[str, Any]) -> Ticket:
        """Create a ticket (demos and tests; serviceflow itself never creates tickets)."""
        data = await self._json("POST", "/api/v2/tickets", json=dict(fields))
        return Ticket.model_validate(with_id(data, "ticket"))

    async def update_ticket(self, ticket_id: int, fields: Mapping[str, Any]) -> Ticket:
        """``PUT /api/v2/tickets/{id}`` with a flat body; ``tags`` replaces the whole list.

        Not conditional: Freshdesk has no optimistic locking, so read right before calling.

        Raises:
            TicketGone: the ticket was deleted.
            ValidationFailed: Freshdesk refused a value; ``errors`` says which and why.
        """
        data = await self._json("PUT", f"/api/v2/tickets/{ticket_id}", json=dict(fields), ticket_id=ticket_id)
        return Ticket.model_validate(with_id(data, "ticket"))

    async def merge(
        self,
        primary_id: int,
        ticket_ids: Sequence[int],
        *,
        note_in_primary: Mapping[str, Any],
        note_in_secondary: Mapping[str, Any],
    ) -> None:
        """``PUT /api/v2/tickets/merge`` (Ticket Merge API, FD-docs lines 1718-1732; 204): merge
        ``ticket_ids`` into ``primary_id``, with the note each side gets (``{"body", "private"}``).

        ``ticket_ids`` carries the secondaries only, never the primary. The reference's attribute
        table: ``primary_id`` is the "Ticket to which conversations from secondary tickets will be
        merged", ``ticket_ids`` the "IDs of tickets to be merged" (FD-docs lines 1722-1723); only
        its one curl example lists the primary there too (``"primary_id":20,"ticket_ids":[20,21,
        22]``). Freshdesk's own code settles it (verify11, 2026-12-04): its merge controller loads
        every listed id as a source ticket (``@source_tickets = scoper.where(display_id:
        params[cname][:ticket_ids])``, ``Ember::Tickets::MergeController``, code-index id
        15437316117), and ``TicketMerge#update_source_tickets`` closes every source
        (``close_source_ticket``: ``source_ticket.parent_ticket = target.id`` and status CLOSED,
        code-index id 15032611033) with no exception for the target; its tests send
        ``sample_merge_request_params(primary_ticket.display_id, source_tickets_ids)``, the
        secondaries alone (code-index id 12446360795). So a primary listed among the sources would
        be closed as merged into itself. The reference lists ``note_in_primary``,
        ``note_in_secondary`` and ``convert_recepients_to_cc`` (its spelling) and says "A default
        note gets added if this is not specified"; Freshdesk's code takes the notes as
        ``note_in_primary: [:body, :private]`` and its private merge validation requires them
        (CONTRACTS.md §8), so both are always sent.

        Raises:
            ValueError: ``ticket_ids`` names no ticket but the primary.
        """
        secondaries = [t for t in dict.fromkeys(ticket_ids) if t != primary_id]
        if not secondaries:
            raise ValueError(f"merge into ticket {primary_id} needs at least one other ticket in ticket_ids")
        body = {
            "primary_id": primary_id,
            "ticket_ids": secondaries,
            "note_in_primary": dict(note_in_primary),
            "note_in_secondary": dict(note_in_secondary),
        }
        await self._request("PUT", "/api/v2/tickets/merge", json=body, ticket_id=primary_id)

    async def get_company(self, company_id: int) -> Company:
        """``GET /api/v2/companies/{id}`` (View a Company, FD-docs lines 8163-8185): its domains and
        custom fields, which the ticket's ``include=company`` does not carry.

        Raises:
            NotFound: the company is gone (404); AuthenticationFailed: the key may not see it.
        """
        data = await self._json("GET", f"/api/v2/companies/{company_id}")
        return Company.model_validate(with_id(data, "company"))

    async def get_email_config(self, config_id: int) -> EmailConfig:
        """``GET /api/v2/email_configs/{id}`` (View an Email Config, FD-docs lines 12760-12775):
        the support address a ticket came in on. Freshdesk calls these APIs old and admin-only
        (FD-docs lines 12745-12747): a 403 or 404 is the caller's to take.
        """
        data = await self._json("GET", f"/api/v2/email_configs/{config_id}")
        return EmailConfig.model_validate(with_id(data, "email config"))

    # ------------------------------------------------------------------ conversations

    async def list_conversations(self, ticket_id: int) -> AsyncIterator[Conversation]:
        """Every reply and note of a ticket, oldest first, every page."""
        async for item in self._pages(f"/api/v2/tickets/{ticket_id}/conversations", [], ticket_id):
            yield Conversation.model_validate(item)

    async def add_note(
        self, ticket_id: int, body_html: str, *, private: bool = True, notify_emails: Sequence[str] = ()
    ) -> Conversation:
        """``POST /api/v2/tickets/{id}/notes`` (201); ``private`` notes are agents-only."""
        body: dict[str, Any] = {"body": body_html, "private": private}
        if notify_emails:
            body["notify_emails"] = list(notify_emails)
        data = await self._json(
            "POST", f"/api/v2/tickets/{ticket_id}/notes", json=body, ticket_id=ticket_id, expect=201
        )
        return Conversation.model_validate(data)

    async def add_reply(self, ticket_id: int, body_html: str) -> Conversation:
        """``POST /api/v2/tickets/{id}/reply`` (201): an email to the requester."""
        data = await self._json(
            "POST",
            f"/api/v2/tickets/{ticket_id}/reply",
            json={"body": body_html},
            ticket_id=ticket_id,
            expect=201,
        )
        return Conversation.model_validate(data)

    # ------------------------------------------------------------------ people

    async def me(self) -> Agent:
        """``GET /api/v2/agents/me``: the agent the API key acts as ("Currently Authenticated
        Agent", FD-docs lines 6771-6808; also mpclarkson/freshdesk-php-sdk ``Agent::current()``).
        The agent's ``id`` is its user id (research C2), and ``ticket_scope`` says what it sees.
        """
        data = await self._json("GET", "/api/v2/agents/me")
        return Agent.model_validate(with_id(data, "agent"))

    async def list_agents(self) -> AsyncIterator[Agent]:
        """``GET /api/v2/agents``: a plain array, every page. Its documented items carry no
        ``group_ids`` (List All Agents, FD-docs lines 6522-6560; View an Agent's do, line 6491):
        membership comes from :meth:`list_groups`."""
        async for item in self._pages("/api/v2/agents", []):
            yield Agent.model_validate(item)

    async def list_groups(self, *, members: bool = True) -> AsyncIterator[Group]:
        """``GET /api/v2/groups``, every page, each group with its members.

        The reference's List All Groups answer has no ``agent_ids`` (FD-docs lines 7483-7500:
        ``id``, ``name``, ``description``, ``business_hour_id``, ``escalate_to``,
        ``unassigned_for``, ``auto_ticket_assign``, the times), while View a Group's has
        (``"agent_ids":[2,15]``, lines 7465-7481); python-freshdesk's ``groups.json`` list fixture
        has none either. So a listed group without ``agent_ids`` is read once by id (``GET
        /api/v2/groups/{id}``, same admin privilege as the list, line 7412); one gone since the
        list is kept with no members. A list that carries them (an account answering more than
        the reference shows) costs no extra call. ``members=False``: the groups as listed, no
        read by id (a Notify finds its one team by name first, then reads that one:
        :meth:`group_with_members`).
        """
        async for item in self._pages("/api/v2/groups", []):
            group = Group.model_validate(item)
            yield await self.group_with_members(group) if members else group

    async def group_with_members(self, group: Group) -> Group:
        """``group`` with its ``agent_ids``: as it is when its listing carried them, else read by
        id (View a Group); one gone since the list is kept with no members."""
        if "agent_ids" in group.model_fields_set:
            return group
        try:
            return await self.get_group(group.id)
        except NotFound:
            log.info("freshdesk: group %s is gone since the list: no members", group.id)
            return group

    async def get_group(self, group_id: int) -> Group:
        """``GET /api/v2/groups/{id}`` (View a Group, FD-docs lines 7465-7481): with ``agent_ids``.

        Raises:
            NotFound: the group is gone (404).
        """
        data = await self._json("GET", f"/api/v2/groups/{group_id}")
        return Group.model_validate(with_id(data, "group"))

    # ------------------------------------------------------------------ plumbing

    async def _pages(
        self, path: str, params: Params, ticket_id: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paginated array: page 1, then the page named by ``Link: rel="next"``
        until a page comes without one (CONTRACTS.md §2.3)."""
        page = 1
        for _ in range(MAX_PAGES):
            query = [*params, ("page", str(page)), ("per_page", str(self._page_size))]
            response = await self._request("GET", path, params=query, ticket_id=ticket_id)
            items = json_body(response)
            if not isinstance(items, list):
                raise UnexpectedResponse(f"Freshdesk GET {path}: the body is not a JSON array")
            for item in items:
                if not isinstance(item, dict):
                    raise UnexpectedResponse(f"Freshdesk GET {path}: an item is not a JSON object")
                yield item
            following = next_page(response.headers.get("link"))
            if following is None:
                return
            if following <= page:
                raise UnexpectedResponse(
                    f"Freshdesk GET {path}: Link rel=next points back to page {following}"
                )
            page = following
        log.warning("freshdesk: GET %s stopped at page %d, Freshdesk's own limit", path, MAX_PAGES)

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        ticket_id: int | None = None,
        expect: int | None = None,
    ) -> dict[str, Any]:
        response = await self._request(method, path, params=params, json=json, ticket_id=ticket_id)
        if expect is not None and response.status_code != expect:
            raise UnexpectedResponse(
                f"Freshdesk {method} {path}: expected {expect}, got {response.status_code}",
                status=response.status_code,
                method=method,
                url=str(response.request.url),
            )
        data = json_body(response)
        if not isinstance(data, dict):
            raise UnexpectedResponse(f"Freshdesk {method} {path}: the body is not a JSON object")
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
