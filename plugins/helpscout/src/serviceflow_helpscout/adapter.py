"""The Help Scout adapter: serviceflow's :class:`~serviceflow.adapters.HelpdeskAdapter` for Help Scout.

Glue only: webhooks (:mod:`.webhooks`, :mod:`.signature`, :mod:`.own_writes`), actions
(:mod:`.actions`), the REST client (:mod:`.client`, :mod:`.rest`, :mod:`.auth`), conversions
(:mod:`.convert`) and the spam folder (:mod:`.quarantine`) do the work. Settings come from
``SERVICEFLOW_HELPSCOUT_*`` unless the adapter is built with its own; the HTTP client (and its
OAuth2 token) is reused per settings and event loop.

Help Scout's webhooks are thin (the conversation, not its threads: who wrote a note or made a
change is only in the helpdesk), so :meth:`HelpScoutAdapter.parse_webhook` is a coroutine that
reads the conversation's threads when a delivery does not carry them (see
:meth:`serviceflow.adapters.HelpdeskAdapter.parse_webhook`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from serviceflow.adapters import (
    ChangeCursor,
    ChangePage,
    ConfiguredAdapter,
    Identity,
    Organization,
    Person,
    TicketRecord,
    WebhookRequest,
)
from serviceflow.model import Action, Agent, Group, Roster, TicketEvent
from serviceflow.plugins.webhooks import WebhookVerdict

from . import actions, convert, history, webhooks
from .client import HelpScoutClient
from .errors import ConversationGone, NotFound
from .models import Conversation, Thread
from .quarantine import SpamFolder, recipient_of
from .settings import HelpScoutSettings

if TYPE_CHECKING:
    from serviceflow.adapters import DemoHelpdesk

log = logging.getLogger(__name__)

VENDOR = convert.VENDOR
#: Each sweep window starts this long before the newest change the last one saw: whether
#: ``modifiedSince`` is inclusive, and what counts as a modification, are UNVERIFIED
#: (CONTRACTS.md §10), and the listing is at-least-once anyway.
SWEEP_OVERLAP = timedelta(minutes=5)


class HelpScoutAdapter(ConfiguredAdapter[HelpScoutSettings, HelpScoutClient]):
    """Help Scout (Mailbox API 2.0), as serviceflow uses it."""

    vendor = VENDOR
    description = "Help Scout (Mailbox API 2.0)"
    settings_class = HelpScoutSettings

    def __init__(
        self, settings: HelpScoutSettings | None = None, *, client_options: Mapping[str, Any] | None = None
    ) -> None:
        """An adapter reading ``SERVICEFLOW_HELPSCOUT_*``, or using ``settings``.

        Args:
            settings: Fixed settings instead of the environment's.
            client_options: Keyword arguments for every :class:`~.client.HelpScoutClient` (retry
                bounds, an injected ``sleep``, a shared TLS context).
        """
        super().__init__(settings, client_options=client_options)
        self._spam = SpamFolder(self)

    def make_client(self, settings: HelpScoutSettings) -> HelpScoutClient:
        app_id, app_secret = settings.credentials()
        return HelpScoutClient(settings.url, app_id, app_secret, **self.client_options)

    # ------------------------------------------------------------------ webhooks

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        return webhooks.verify_delivery(self.settings(), request.method, request.headers, request.body)

    async def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        """The delivery's events; reads the conversation's threads (one call) when the body has
        none and the event needs them, and its inbox's address (once per inbox)."""
        settings = self.checked(account)
        client = self.client(settings)

        async def read_threads(conversation: Conversation) -> Sequence[Thread]:
            try:
                return (await client.conversation(int(conversation.id), threads=True)).thread_list or ()
            except ConversationGone:
                return ()  # deleted or merged since: the body is all there is

        async def recipient(conversation: Conversation) -> str | None:
            try:
                return await recipient_of(client, conversation)
            except NotFound:
                return None

        return await webhooks.parse_delivery(
            request.body,
            request.headers,
            account=account,
            identity=identity,
            priority_prefix=settings.priority_tag_prefix,
            read_threads=read_threads,
            recipient_of=recipient,
        )

    # ------------------------------------------------------------------ the helpdesk

    async def whoami(self, account: str) -> Identity:
        """``GET /v2/users/me``: the resource owner, the user the app's token acts as."""
        me = await self.client(self.checked(account)).me()
        return Identity(vendor=VENDOR, account=account, id=me.id, name=me.name, email=me.email)

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        settings = self.checked(account)
        outcome = await actions.apply(
            self.client(settings), ticket_id, action, priority_prefix=settings.priority_tag_prefix
        )
        log.info("helpscout: conversation %s: %s (%s) -> %s", ticket_id, action.type, action.key, outcome)
        return outcome

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        """The conversation with its threads (``embed=threads``), its customer (``GET
        /v2/customers/{id}``) and the customer's organization; what could not be read is named
        in ``missing``."""
        settings = self.checked(account)
        client = self.client(settings)
        conversation = await client.conversation(actions.conversation_number(ticket_id), threads=True)
        ticket = convert.ticket_from_conversation(
            conversation,
            account=settings.account,
            priority_prefix=settings.priority_tag_prefix,
            recipient=await recipient_of(client, conversation),
        )
        missing: list[str] = []
        requester: Person | None = None
        organization: Organization | None = None
        if ticket.requester.id != "unknown":
            requester = Person(
                id=ticket.requester.id, name=ticket.requester.name, email=ticket.requester.email
            )
            try:
                customer = await client.customer(ticket.requester.id)
            except NotFound:
                missing.append("requester_details")
            else:
                email = ticket.requester.email or next(iter(customer.emails), None)
                requester = Person(
                    id=customer.id,
                    name=customer.name or ticket.requester.name,
                    email=email,
                    organization=customer.organizationId,
                    fields=customer.fields,
                )
                if customer.organizationId is not None:
                    try:
                        found = await client.organization(customer.organizationId)
                        organization = Organization(id=found.id, name=found.name)
                    except NotFound:
                        missing.append("organization")
        else:
            missing.append("requester")
        return TicketRecord(
            ticket=ticket, requester=requester, organization=organization, missing=tuple(missing)
        )

    ticket_history = history.ticket_history  # the ticket's conversations/threads (history.py)

    async def changed_tickets(self, account: str, cursor: ChangeCursor) -> ChangePage:
        """One page of ``GET /v2/conversations?status=all&modifiedSince=...&sortField=modifiedAt
        &sortOrder=asc`` (CONTRACTS.md §10; ``status=all``, since the default lists only active
        conversations). The cursor's token keeps the window's start, the page and the newest
        change seen; once caught up the next window starts :data:`SWEEP_OVERLAP` before that
        newest change. Spam, deleted and draft conversations are not tickets."""
        settings = self.checked(account)
        client = self.client(settings)
        window = _Window.of(cursor)
        params = [
            ("status", "all"),
            ("modifiedSince", window.since),
            ("sortField", "modifiedAt"),
            ("sortOrder", "asc"),
        ]
        conversations, more = await client.conversations_page(params, window.page)
        records = []
        newest = window.newest
        for conversation in conversations:
            newest = max(newest, _stamp(conversation.last_change))
            if conversation.status == convert.SPAM or conversation.state in ("deleted", "draft"):
                continue
            ticket = convert.ticket_from_conversation(
                conversation,
                account=settings.account,
                priority_prefix=settings.priority_tag_prefix,
                recipient=await recipient_of(client, conversation),
            )
            person = Person(id=ticket.requester.id, name=ticket.requester.name, email=ticket.requester.email)
            records.append(TicketRecord(ticket=ticket, requester=person))
        if more:
            return ChangePage(
                tickets=tuple(records),
                next=_Window(window.since, window.page + 1, newest).cursor(),
                more=True,
            )
        restart = _stamp(_parse(newest) - SWEEP_OVERLAP) if newest > window.since else window.since
        return ChangePage(tickets=tuple(records), next=_Window(restart, 1, newest).cursor(), more=False)

    async def load_roster(self, account: str) -> Roster:
        """Users (``GET /v2/users``) and teams with their members (``GET /v2/teams``,
        ``/v2/teams/{id}/members``), except the integration's own user (no person: it must
        never own a case)."""
        client = self.client(self.checked(account))
        me = await self.whoami(account)
        teams = [t async for t in client.teams()]
        memberships: dict[str, list[str]] = {}
        for team in teams:
            async for member in client.team_members(team.id):
                memberships.setdefault(member.id, []).append(team.id)
        agents = [
            Agent(
                id=user.id,
                name=user.name,
                email=user.email,
                groups=tuple(dict.fromkeys(memberships.get(user.id, ()))),
            )
            async for user in client.users()
            if user.id != me.id
        ]
        return Roster(agents=tuple(agents), groups=tuple(Group(id=t.id, name=t.name) for t in teams))

    @property
    def quarantine(self) -> SpamFolder:
        return self._spam

    def demo_helpdesk(self) -> DemoHelpdesk:
        from .demo import DemoHelpScout  # the fake: loaded only for a demo

        return DemoHelpScout()


def _stamp(moment: datetime) -> str:
    """A ``modifiedSince`` value: UTC, second precision (milliseconds are refused, SECONDARY)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class _Window:
    """What :meth:`HelpScoutAdapter.changed_tickets` keeps in a cursor's token."""

    def __init__(self, since: str, page: int, newest: str) -> None:
        self.since, self.page, self.newest = since, page, newest

    @classmethod
    def of(cls, cursor: ChangeCursor) -> _Window:
        if cursor.token:
            try:
                data = json.loads(cursor.token)
                window = cls(str(data["since"]), int(data["page"]), str(data["newest"]))
                _parse(window.since), _parse(window.newest)
                return window
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"not a Help Scout change cursor: {cursor.token[:80]!r}") from exc
        if cursor.start is None:
            raise ValueError("a first call needs ChangeCursor.since(start)")
        since = _stamp(cursor.start)
        return cls(since, 1, since)

    def cursor(self) -> ChangeCursor:
        return ChangeCursor(token=json.dumps({"since": self.since, "page": self.page, "newest": self.newest}))


ADAPTER = HelpScoutAdapter()


async def aclose_clients() -> None:
    """Close the registered adapter's clients on the running loop (worker shutdown, tests)."""
    await ADAPTER.aclose()
