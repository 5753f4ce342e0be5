"""An async client for the parts of Help Scout's Mailbox API 2.0 serviceflow uses.

What it promises its callers (the adapter, its webhook parser, Temporal activities):

- **Authentication** by OAuth2 client credentials, the token kept and renewed (:mod:`.auth`).
- **Rate limits are honoured** before and after a 429 (:mod:`.rest`): the transport paces by
  ``X-RateLimit-Remaining-Minute`` and waits a 429's ``X-RateLimit-Retry-After``, up to a bound.
- **5xx are retried only where repeating cannot apply a write twice**: reads, the whole-list tag
  PUT, and status/assignee PATCHes (which set a value); a note or reply POST is not retried, its
  caller re-reads for its marker (:mod:`.actions`).
- **Lists are followed to the end**: Help Scout's lists are HAL (``_embedded.<rel>``, omitted
  when a page is empty; ``page.number`` from 1 and ``page.totalPages``; CONTRACTS.md §2.4). The
  page size is Help Scout's (50, conversations 25; no size parameter is documented), and the next
  page is asked for here as ``page=N`` on the same path and query, never by following
  ``_links.next`` (an older copy of the docs says query params were dropped from page links), so
  the token never follows a URL an answer chose.
- **Answers are typed** (:mod:`.models`); an answer of the wrong shape is
  :class:`~.errors.UnexpectedResponse` naming the field.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar, Unpack

from pydantic import BaseModel, ValidationError

from serviceflow.plugins.http import RestTransport, TransportKnobs, TransportOptions, options_for

from . import rest
from .auth import TOKEN_PATH, ClientCredentials
from .errors import UnexpectedResponse
from .ids import NotAnId, canonical
from .models import Conversation, Customer, Mailbox, Organization, PageInfo, Team, Thread, User

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Params = Sequence[tuple[str, str]]
#: A list longer than this many pages is cut short with a warning (a runaway loop guard; a
#: conversation has at most 100 threads, an account rarely more than a few thousand users).
MAX_PAGES = 2000
_UNSET = object()
#: The Help Scout client's transport defaults: serviceflow's shared ones, with its own agent and
#: the larger pacing reserve :mod:`.rest` explains (:data:`.rest.PACE_RESERVE`).
TRANSPORT = TransportOptions(user_agent="serviceflow-helpscout", pace_reserve=rest.PACE_RESERVE)


class HelpScoutClient:
    """Async Mailbox API 2.0 client over one pooled connection (``async with`` or :meth:`aclose`)."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        options: TransportOptions | None = None,
        **knobs: Unpack[TransportKnobs],
    ) -> None:
        """Configure the client; no request is made.

        Args:
            base_url: ``https://api.helpscout.net`` (or the fake's ``base_url``).
            app_id: The OAuth2 app's App ID.
            app_secret: Its App Secret.
            options: Retries, backoff, pacing, timeout, TLS, ``User-Agent``
                (:class:`~serviceflow.plugins.http.TransportOptions`); :data:`TRANSPORT` when
                omitted (its pacing reserve is :data:`.rest.PACE_RESERVE`).
            **knobs: Fields of ``options`` by name (``max_retries=1``), overriding it.
        """
        opts = options_for(TRANSPORT, options, knobs)
        root = base_url.rstrip("/")
        self.auth = ClientCredentials(root + TOKEN_PATH, app_id, app_secret)
        self._rest = RestTransport.with_options(
            root,
            opts,
            errors=rest.HelpScoutErrors(),
            label="Help Scout",
            headers={"Accept": "application/hal+json, application/json", "User-Agent": opts.agent},
            auth=self.auth,
            rate_limits=rest.RATE_LIMITS,
        )
        self._mailboxes: dict[str, Mailbox] = {}

    async def __aenter__(self) -> HelpScoutClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._rest.aclose()

    # ------------------------------------------------------------------ people

    async def me(self) -> User:
        """``GET /v2/users/me``: the resource owner, the user the app's token acts as
        (OFFICIAL, Get Resource Owner; CONTRACTS.md §5.2)."""
        return _one(User, await self._rest.json("GET", "/v2/users/me"), "/v2/users/me")

    def users(self) -> AsyncIterator[User]:
        """``GET /v2/users``, every page (OFFICIAL, List Users; AI system users are not listed)."""
        return self._pages("/v2/users", "users", User)

    def teams(self) -> AsyncIterator[Team]:
        """``GET /v2/teams``, every page (OFFICIAL-SDK ``TeamsEndpoint``; CONTRACTS.md §5.3)."""
        return self._pages("/v2/teams", "teams", Team)

    def team_members(self, team_id: str) -> AsyncIterator[User]:
        """``GET /v2/teams/{id}/members``: ``_embedded.users`` (OFFICIAL-SDK, CONTRACTS.md §5.3)."""
        return self._pages(f"/v2/teams/{canonical(team_id)}/members", "users", User)

    async def customer(self, customer_id: str) -> Customer:
        """``GET /v2/customers/{id}`` (OFFICIAL, Get Customer: the page's request has no ``embed``
        parameter and its response has ``_embedded.emails``, CONTRACTS.md §6). The SDK's fixture
        has links only, so callers still fall back on the conversation's ``primaryCustomer.email``."""
        path = f"/v2/customers/{canonical(customer_id)}"
        return _one(Customer, await self._rest.json("GET", path), path)

    async def organization(self, organization_id: str) -> Organization:
        """``GET /v2/organizations/{id}`` (OFFICIAL, Get Organization)."""
        path = f"/v2/organizations/{canonical(organization_id)}"
        return _one(Organization, await self._rest.json("GET", path), path)

    async def mailbox(self, mailbox_id: str) -> Mailbox:
        """``GET /v2/mailboxes/{id}`` (OFFICIAL, Get Mailbox), kept for the client's life: an
        inbox's address is what ``ticket.recipient`` names, and it changes only by an admin."""
        found = self._mailboxes.get(mailbox_id)
        if found is None:
            path = f"/v2/mailboxes/{canonical(mailbox_id)}"
            found = _one(Mailbox, await self._rest.json("GET", path), path)
            self._mailboxes[mailbox_id] = found
        return found

    # ------------------------------------------------------------------ conversations

    async def conversation(self, conversation_id: int, *, threads: bool = False) -> Conversation:
        """``GET /v2/conversations/{id}`` (``embed=threads`` for its threads; OFFICIAL).

        Raises:
            ConversationGone: deleted (404), or merged into another (301).
        """
        path = f"/v2/conversations/{conversation_id}"
        params = [("embed", "threads")] if threads else None
        data = await self._rest.json("GET", path, params=params, context=conversation_id)
        return _one(Conversation, data, path)

    async def conversations_page(self, params: Params, page: int) -> tuple[list[Conversation], bool]:
        """One page of ``GET /v2/conversations`` with ``params`` (CONTRACTS.md §2.1) and whether
        another follows."""
        data = await self._rest.json("GET", "/v2/conversations", params=[*params, ("page", str(page))])
        items, info = _page(data, "conversations", Conversation, "/v2/conversations")
        return items, _more(data, info)

    async def all_conversations(self, params: Params) -> AsyncIterator[Conversation]:
        """Every page of ``GET /v2/conversations`` with ``params``."""
        for page in range(1, MAX_PAGES + 1):
            items, more = await self.conversations_page(params, page)
            for item in items:
                yield item
            if not more:
                return
        log.warning("helpscout: GET /v2/conversations stopped at page %d", MAX_PAGES)

    def threads(self, conversation_id: int) -> AsyncIterator[Thread]:
        """``GET /v2/conversations/{id}/threads``, every page, newest first: "Threads are by default
        sorted by createdAt (from newest to oldest)" (OFFICIAL, the v2 List Threads page,
        CONTRACTS.md §3.1). Callers still sort where order matters (a page boundary can move)."""
        return self._pages(f"/v2/conversations/{conversation_id}/threads", "threads", Thread, conversation_id)

    async def add_note(self, conversation_id: int, text: str, *, status: str | None = None) -> str | None:
        """``POST /v2/conversations/{id}/notes`` -> 201 with the thread's ``Resource-ID`` and no
        body (OFFICIAL, Create Note). ``status`` keeps the conversation's status explicit (whether
        a note without it reactivates the conversation is UNVERIFIED).

        Raises:
            ThreadLimitReached: 412, the conversation has 99 threads or more.
        """
        body: dict[str, Any] = {"text": text}
        if status is not None:
            body["status"] = status
        return await self._create_thread(conversation_id, "notes", body)

    async def add_reply(
        self, conversation_id: int, customer_id: str, text: str, *, status: str | None = None
    ) -> str | None:
        """``POST /v2/conversations/{id}/reply``: an email to the customer (OFFICIAL, Create
        Reply: ``customer`` is required; "if not explicitly set, a reply thread will reactivate
        the conversation", so callers pass the status to keep). 201 + ``Resource-ID``."""
        body: dict[str, Any] = {"customer": {"id": int(canonical(customer_id))}, "text": text, "draft": False}
        if status is not None:
            body["status"] = status
        return await self._create_thread(conversation_id, "reply", body)

    async def patch(self, conversation_id: int, op: str, path: str, value: Any = _UNSET) -> None:
        """``PATCH /v2/conversations/{id}`` with one JSON-Patch-style operation as a single
        object (not an array), answered 204 (OFFICIAL, Update Conversation; the official PHP
        client sends the same; ``value`` is omitted for ``remove``). Setting a value can be
        repeated without effect, so a 5xx is retried."""
        body: dict[str, Any] = {"op": op, "path": path}
        if value is not _UNSET:
            body["value"] = value
        await self._rest.request(
            "PATCH",
            f"/v2/conversations/{conversation_id}",
            json=body,
            idempotent=True,
            context=conversation_id,
        )

    async def put_tags(self, conversation_id: int, tags: Sequence[str]) -> None:
        """``PUT /v2/conversations/{id}/tags`` ``{"tags": [...]}``: replaces the whole list, 204
        (OFFICIAL, Update Tags); unknown tags are created."""
        await self._rest.request(
            "PUT",
            f"/v2/conversations/{conversation_id}/tags",
            json={"tags": list(tags)},
            context=conversation_id,
        )

    async def delete_conversation(self, conversation_id: int) -> None:
        """``DELETE /v2/conversations/{id}`` -> 204 (OFFICIAL-SDK ``ConversationsEndpoint::delete``)."""
        await self._rest.request("DELETE", f"/v2/conversations/{conversation_id}", context=conversation_id)

    # ------------------------------------------------------------------ plumbing

    async def _create_thread(self, conversation_id: int, kind: str, body: dict[str, Any]) -> str | None:
        response = await self._rest.request(
            "POST", f"/v2/conversations/{conversation_id}/{kind}", json=body, context=conversation_id
        )
        if response.status_code != 201:
            raise UnexpectedResponse(
                f"Help Scout POST .../{kind}: expected 201, got {response.status_code}",
                status=response.status_code,
            )
        resource = response.headers.get("resource-id")
        try:
            return canonical(resource) if resource is not None else None
        except NotAnId:
            log.warning(
                "helpscout: %s on conversation %s answered Resource-ID %r", kind, conversation_id, resource
            )
            return None

    async def _pages(
        self, path: str, rel: str, model: type[M], context: int | None = None
    ) -> AsyncIterator[M]:
        for page in range(1, MAX_PAGES + 1):
            data = await self._rest.json("GET", path, params=[("page", str(page))], context=context)
            items, info = _page(data, rel, model, path)
            for item in items:
                yield item
            if not _more(data, info):
                return
        log.warning("helpscout: GET %s stopped at page %d", path, MAX_PAGES)


def _one(model: type[M], data: Any, path: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UnexpectedResponse(f"Help Scout GET {path}: {_first_problem(exc)}") from None


def _page(data: Any, rel: str, model: type[M], path: str) -> tuple[list[M], PageInfo]:
    """The items of a HAL page (``_embedded`` omitted when empty) and its ``page`` info."""
    if not isinstance(data, dict):
        raise UnexpectedResponse(f"Help Scout GET {path}: the body is not a JSON object")
    embedded = data.get("_embedded") or {}
    raw = embedded.get(rel, []) if isinstance(embedded, dict) else None
    if not isinstance(raw, list):
        raise UnexpectedResponse(f"Help Scout GET {path}: _embedded.{rel} is not a list")
    try:
        info = PageInfo.model_validate(data.get("page") or {})
        return [model.model_validate(item) for item in raw], info
    except ValidationError as exc:
        raise UnexpectedResponse(f"Help Scout GET {path}: _embedded.{rel}: {_first_problem(exc)}") from None


def _more(data: dict[str, Any], info: PageInfo) -> bool:
    """Whether another page follows: ``page.totalPages`` when stated, else a ``next`` link."""
    if info.totalPages is not None:
        return info.number < info.totalPages
    links = data.get("_links")
    return isinstance(links, dict) and isinstance(links.get("next"), dict)


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"
