"""The Zendesk adapter: serviceflow's :class:`~serviceflow.adapters.HelpdeskAdapter` for Zendesk.

Glue only: webhooks (:mod:`.webhooks`), actions (:mod:`.actions`), the REST client
(:mod:`.client`), conversions (:mod:`.convert`) and the suspended queue (:mod:`.quarantine`) do
the work. Settings come from ``SERVICEFLOW_ZENDESK_*`` (read again only when they change) unless
the adapter is built with its own (the conformance suite, other tests). The HTTP client is
reused per settings and event loop, created on first use, because an ``httpx.AsyncClient``
pools connections and is bound to the loop it first ran on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
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

from . import actions, convert, full_ticket, history, webhooks
from .client import ZendeskClient
from .export import EXPORT
from .quarantine import SuspendedTickets
from .settings import ZendeskSettings

if TYPE_CHECKING:
    from serviceflow.adapters import DemoHelpdesk

log = logging.getLogger(__name__)

VENDOR = convert.VENDOR
#: The incremental export's start must be "at least one minute in the past" (OAS
#: IncrementalUnixTime); a cursor asking for later starts from a minute ago.
INCREMENTAL_LAG = 60

__all__ = ["ADAPTER", "AccountMismatch", "ZendeskAdapter", "aclose_clients"]


class ZendeskAdapter(ConfiguredAdapter[ZendeskSettings, ZendeskClient]):
    """Zendesk, as serviceflow uses it."""

    vendor = VENDOR
    description = "Zendesk"
    settings_class = ZendeskSettings
    #: The demo ``serviceflow dev`` tells by default: signed event webhooks and a suspended queue.
    demo_preference = 10
    #: What ``serviceflow backtest FILE`` reads (:mod:`.export`).
    export_formats = (EXPORT,)

    def __init__(
        self,
        settings: ZendeskSettings | None = None,
        *,
        client_options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """An adapter reading ``SERVICEFLOW_ZENDESK_*``, or using ``settings``.

        Args:
            settings: Fixed settings instead of the environment's.
            client_options: Keyword arguments for every :class:`~.client.ZendeskClient` (page size,
                retry bounds, an injected ``sleep``).
            clock: Unix time, for the incremental export's start.
        """
        super().__init__(settings, client_options=client_options)
        self._clock = clock
        self._suspended = SuspendedTickets(self)

    def make_client(self, settings: ZendeskSettings) -> ZendeskClient:
        return ZendeskClient(settings.url, settings.credentials(), **self.client_options)

    # ------------------------------------------------------------------ webhooks

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        # the signature's freshness against the receiver's clock (WebhookRequest.received_at)
        return webhooks.verify_delivery(
            self.settings(), request.headers, request.body, now=request.received_at
        )

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        return webhooks.parse_delivery(
            request.body, account=account, identity=identity, received_at=request.received_at
        )

    # ------------------------------------------------------------------ the helpdesk

    async def whoami(self, account: str) -> Identity:
        """``GET /api/v2/users/me`` (OAS ShowCurrentUser), refused when it names no one."""
        user = await self.client(self.checked(account)).me()
        return Identity(vendor=VENDOR, account=account, id=str(user.id), name=user.name, email=user.email)

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        outcome = await actions.apply(self.client(self.checked(account)), ticket_id, action)
        log.info("zendesk: ticket %s: %s (%s) -> %s", ticket_id, action.type, action.key, outcome)
        return outcome

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        """The full ticket in one request: ShowTicket with ``include=users,organizations``
        (:mod:`.full_ticket`): requester email and name, recipient, organization (name, tags,
        domains, fields), custom fields; what Zendesk did not send is named in ``missing``."""
        settings = self.checked(account)
        tid = actions.numeric_id(ticket_id, "ticket")
        return await full_ticket.read(self.client(settings), tid, account=settings.account)

    async def changed_tickets(self, account: str, cursor: ChangeCursor) -> ChangePage:
        """One page of the cursor-based incremental ticket export (CONTRACTS.md §1.6; Admins only).

        Tickets come with the requester by id only (``missing`` says so): reading each one's
        user would cost a call per ticket at 10 export calls a minute.
        """
        settings = self.checked(account)
        client = self.client(settings)
        if cursor.token:
            page = await client.incremental_tickets(cursor=cursor.token)
        elif cursor.start is not None:
            latest = int(self._clock()) - INCREMENTAL_LAG
            page = await client.incremental_tickets(start_time=min(int(cursor.start.timestamp()), latest))
        else:
            raise ValueError("a first call needs ChangeCursor.since(start)")
        records = tuple(
            TicketRecord(ticket=convert.ticket_from_api(t, account=settings.account), missing=("requester",))
            for t in page.tickets
        )
        following = ChangeCursor(token=page.after_cursor) if page.after_cursor else cursor
        return ChangePage(tickets=records, next=following, more=not page.end_of_stream)

    ticket_history = history.ticket_history  # the ticket's audits (history.py)

    async def load_roster(self, account: str) -> Roster:
        """Active agents and admins with their group memberships, except the integration's own
        user (no person: it must never own a case); Zendesk has no team-lead field."""
        client = self.client(self.checked(account))
        me = await self.whoami(account)
        groups = [g async for g in client.list_groups() if not g.deleted]
        members: dict[int, list[str]] = {}
        async for membership in client.list_memberships():
            members.setdefault(membership.user_id, []).append(str(membership.group_id))
        agents = [
            Agent(id=str(user.id), name=user.name, email=user.email, groups=tuple(members.get(user.id, ())))
            async for user in client.list_agents()
            if user.active and str(user.id) != me.id
        ]
        return Roster(agents=tuple(agents), groups=tuple(Group(id=str(g.id), name=g.name) for g in groups))

    @property
    def quarantine(self) -> SuspendedTickets:
        return self._suspended

    def demo_helpdesk(self) -> DemoHelpdesk:
        from .demo import DemoZendesk  # the fake: loaded only for a demo

        return DemoZendesk()


ADAPTER = ZendeskAdapter()


async def aclose_clients() -> None:
    """Close the registered adapter's clients on the running loop (worker shutdown, tests)."""
    await ADAPTER.aclose()
