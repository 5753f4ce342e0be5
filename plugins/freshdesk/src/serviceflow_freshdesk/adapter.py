"""The Freshdesk adapter: serviceflow's :class:`~serviceflow.adapters.HelpdeskAdapter` for Freshdesk.

Glue only: webhooks (:mod:`.webhooks`, :mod:`.webhook_auth`, :mod:`.own_writes`), actions
(:mod:`.actions`), the REST client (:mod:`.client`, :mod:`.rest`), conversions (:mod:`.convert`,
:mod:`.codes`) and the spam folder (:mod:`.quarantine`) do the work. Settings come from
``SERVICEFLOW_FRESHDESK_*`` (read again only when they change) unless the adapter is built with
its own. The HTTP client is reused per settings and event loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from serviceflow.adapters import (
    AccountMismatch,
    ChangeCursor,
    ChangePage,
    ConfiguredAdapter,
    Identity,
    TicketRecord,
    WebhookRequest,
)
from serviceflow.model import Action, Agent, Group, Roster, TicketEvent
from serviceflow.plugins.webhooks import WebhookVerdict

from . import actions, codes, convert, full_ticket, history, webhooks
from .client import MAX_PAGES, FreshdeskClient
from .export import EXPORT
from .quarantine import SpamFolder
from .settings import FreshdeskSettings

if TYPE_CHECKING:
    from serviceflow.adapters import DemoHelpdesk

log = logging.getLogger(__name__)

VENDOR = codes.VENDOR
#: ``ticket_scope`` 1: "Global Access" (FD-docs line 6462). Lists show an agent of another scope
#: only the tickets it may see (``.permissible(api_current_user)`` in Freshdesk's code, research B.5).
GLOBAL_ACCESS = 1

__all__ = ["ADAPTER", "AccountMismatch", "FreshdeskAdapter", "aclose_clients"]


class FreshdeskAdapter(ConfiguredAdapter[FreshdeskSettings, FreshdeskClient]):
    """Freshdesk, as serviceflow uses it."""

    vendor = VENDOR
    description = "Freshdesk"
    #: What ``serviceflow backtest FILE`` reads (:mod:`.export`).
    export_formats = (EXPORT,)
    settings_class = FreshdeskSettings

    def __init__(
        self, settings: FreshdeskSettings | None = None, *, client_options: Mapping[str, Any] | None = None
    ) -> None:
        """An adapter reading ``SERVICEFLOW_FRESHDESK_*``, or using ``settings``.

        Args:
            settings: Fixed settings instead of the environment's.
            client_options: Keyword arguments for every :class:`~.client.FreshdeskClient` (page
                size, retry bounds, an injected ``sleep``).
        """
        super().__init__(settings, client_options=client_options)
        self._spam = SpamFolder(self)
        self._mailboxes = full_ticket.Mailboxes()
        self._warned_unstamped = False
        self._warned_scope = False

    def make_client(self, settings: FreshdeskSettings) -> FreshdeskClient:
        return FreshdeskClient(settings.url, settings.key(), **self.client_options)

    # ------------------------------------------------------------------ webhooks

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        return webhooks.verify_delivery(self.settings(), request.method, request.headers)

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        return webhooks.parse_delivery(
            request.body,
            account=account,
            identity=identity,
            received_at=request.received_at,
            headers=request.headers,
            overrides=self.settings().custom_statuses,
        )

    # ------------------------------------------------------------------ the helpdesk

    async def whoami(self, account: str) -> Identity:
        """``GET /api/v2/agents/me``: the agent the API key acts as (:meth:`.client.FreshdeskClient.me`)."""
        settings = self.checked(account)
        agent = await self.client(settings).me()
        if agent.ticket_scope not in (None, GLOBAL_ACCESS) and not self._warned_scope:
            self._warned_scope = True
            log.warning(
                "freshdesk: the API key's agent has ticket scope %s, not Global Access (1): Freshdesk "
                "leaves the tickets it may not see out of every list, silently (see the plugin's README)",
                agent.ticket_scope,
            )
        if settings.change_field is None and not self._warned_unstamped:
            self._warned_unstamped = True
            log.warning(
                "freshdesk: SERVICEFLOW_FRESHDESK_CHANGE_FIELD is not set: serviceflow's own assignments "
                "and status changes come back looking like an agent's (see the plugin's README)"
            )
        return Identity(
            vendor=VENDOR,
            account=account,
            id=str(agent.id),
            name=agent.contact.name,
            email=agent.contact.email,
        )

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        settings = self.checked(account)
        outcome = await actions.apply(
            self.client(settings),
            ticket_id,
            action,
            on_hold_status=settings.on_hold_status,
            change_field=settings.change_field,
        )
        log.info("freshdesk: ticket %s: %s (%s) -> %s", ticket_id, action.type, action.key, outcome)
        return outcome

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        """The full ticket: ``GET /api/v2/tickets/{id}?include=requester,company`` (3 API
        credits), the company's domains and fields, the recipient (:mod:`.full_ticket`)."""
        settings = self.checked(account)
        return await full_ticket.read(
            self.client(settings),
            actions.numeric_id(ticket_id, "ticket"),
            account=settings.account,
            overrides=settings.custom_statuses,
            mailboxes=self._mailboxes,
        )

    ticket_history = history.ticket_history  # the ticket's conversations/threads (history.py)

    async def changed_tickets(self, account: str, cursor: ChangeCursor) -> ChangePage:
        """One page of ``GET /api/v2/tickets?updated_since=`` oldest update first (CONTRACTS.md
        §2.3), with the requester sideloaded. The cursor's token keeps the window's start, the
        page, and the newest update seen; past Freshdesk's 300th page, the next window starts at
        that newest update, so a large account is swept in windows (a ticket on a window's edge
        comes twice: the listing is at-least-once). Spam and deleted tickets are not listed."""
        settings = self.checked(account)
        state = _Window.of(cursor)
        tickets, following = await self.client(settings).tickets_page(
            updated_since=state.since, page=state.page, include=("requester",)
        )
        records = tuple(
            TicketRecord(
                ticket=convert.ticket_from_api(
                    t, account=settings.account, overrides=settings.custom_statuses
                ),
                requester=full_ticket.requester_of(t),
            )
            for t in tickets
        )
        newest = max([state.newest, *(t.updated_at for t in tickets)], key=convert.timestamp)
        if following is not None and following <= MAX_PAGES:
            return ChangePage(
                tickets=records, next=_Window(state.since, following, newest).cursor(), more=True
            )
        more = following is not None  # the 300-page limit: a new window from the newest update
        return ChangePage(tickets=records, next=_Window(newest, 1, newest).cursor(), more=more)

    async def load_roster(self, account: str) -> Roster:
        """Agents (ids as strings, so AssignOwner can name them) and groups with their members,
        except the integration's own agent (no person: it must never own a case).

        Membership is each group's ``agent_ids``, from View a Group (the list answers carry no
        membership on either side, FD-docs lines 6522-6560 and 7483-7500: see
        :meth:`FreshdeskClient.list_groups`), and any ``agent.group_ids`` an answer carries.
        Occasional agents are kept; deactivated contacts are not.
        """
        client = self.client(self.checked(account))
        me = await self.whoami(account)
        groups = [g async for g in client.list_groups()]
        members: dict[int, list[str]] = {}
        for group in groups:
            for agent_id in group.agent_ids:
                members.setdefault(agent_id, []).append(str(group.id))
        agents = []
        async for agent in client.list_agents():
            if not agent.contact.active or str(agent.id) == me.id:
                continue
            ids = [*members.get(agent.id, ()), *(str(g) for g in agent.group_ids)]
            agents.append(
                Agent(
                    id=str(agent.id),
                    name=agent.contact.name or "",
                    email=agent.contact.email,
                    groups=tuple(dict.fromkeys(ids)),
                )
            )
        return Roster(agents=tuple(agents), groups=tuple(Group(id=str(g.id), name=g.name) for g in groups))

    @property
    def quarantine(self) -> SpamFolder:
        return self._spam

    def demo_helpdesk(self) -> DemoHelpdesk:
        from .demo import DemoFreshdesk  # the fake: loaded only for a demo

        return DemoFreshdesk()


class _Window:
    """The state :meth:`FreshdeskAdapter.changed_tickets` keeps in a cursor's token."""

    def __init__(self, since: str, page: int, newest: str) -> None:
        self.since, self.page, self.newest = since, page, newest

    @classmethod
    def of(cls, cursor: ChangeCursor) -> _Window:
        if cursor.token:
            try:
                data = json.loads(cursor.token)
                return cls(str(data["since"]), int(data["page"]), str(data["newest"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"not a Freshdesk change cursor: {cursor.token[:80]!r}") from exc
        if cursor.start is None:
            raise ValueError("a first call needs ChangeCursor.since(start)")
        since = cursor.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(since, 1, since)

    def cursor(self) -> ChangeCursor:
        return ChangeCursor(token=json.dumps({"since": self.since, "page": self.page, "newest": self.newest}))


ADAPTER = FreshdeskAdapter()


async def aclose_clients() -> None:
    """Close the registered adapter's clients on the running loop (worker shutdown, tests)."""
    await ADAPTER.aclose()
