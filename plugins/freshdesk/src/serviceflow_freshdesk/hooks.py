"""The Freshdesk plugin's hook implementations.

Every hook answers only for ``vendor == "freshdesk"`` (None otherwise, so other helpdesk plugins
can answer). Settings are read from the environment on each call, which is cheap and lets tests
and operators change them without a restart; the HTTP client is reused per settings and event
loop, created on first use, because an ``httpx.AsyncClient`` pools connections and is bound to
the loop it first ran on. Verify and parse are sync, as the hookspecs say.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Mapping

from serviceflow.errors import ServiceflowError
from serviceflow.model import Action, Agent, Group, QuarantinedMessage, Roster, Ticket, TicketEvent
from serviceflow.plugins import hookimpl
from serviceflow.plugins.http import ClientCache
from serviceflow.plugins.settings import current_settings
from serviceflow.plugins.webhooks import WebhookVerdict

from . import actions, codes, convert, quarantine, webhooks
from .client import FreshdeskClient
from .errors import FreshdeskError
from .settings import FreshdeskSettings

log = logging.getLogger(__name__)

VENDOR = codes.VENDOR
#: The oldest ``updated_since`` the reconcile sweep asks for: without one, Freshdesk lists only
#: tickets created in the last 30 days (CONTRACTS.md §2.3).
RECONCILE_SINCE = "2000-01-01T00:00:00Z"
CLOSED = codes.STATUS_OUT[codes.TicketStatus.CLOSED]

_clients: ClientCache[FreshdeskClient] = ClientCache()


class AccountMismatch(FreshdeskError):
    """A hook was asked about an account other than the configured one."""


def load_settings() -> FreshdeskSettings:
    """The current settings from ``SERVICEFLOW_FRESHDESK_*``."""
    return current_settings(FreshdeskSettings)  # built again only when the environment changes


def client_for(settings: FreshdeskSettings) -> FreshdeskClient:
    """The shared client for these settings on the running event loop (created lazily)."""
    return _clients.get(settings.cache_key(), lambda: FreshdeskClient(settings.url, settings.key()))


async def aclose_clients() -> None:
    """Close the clients of the running loop (worker shutdown, tests)."""
    await _clients.aclose()


def _checked(account: str) -> FreshdeskSettings:
    settings = load_settings()
    if account != settings.account:
        raise AccountMismatch(
            f"Freshdesk account {account!r} is not configured "
            f"(SERVICEFLOW_FRESHDESK_* points at {settings.account!r})"
        )
    return settings


# ---------------------------------------------------------------------- webhooks


@hookimpl
def serviceflow_verify_webhook(
    vendor: str, method: str, headers: Mapping[str, str], body: bytes
) -> WebhookVerdict | None:
    if vendor != VENDOR:
        return None
    return webhooks.verify_delivery(load_settings(), method, headers)


@hookimpl
def serviceflow_parse_webhook(
    vendor: str, headers: Mapping[str, str], body: bytes
) -> list[TicketEvent] | None:
    if vendor != VENDOR:
        return None
    settings = load_settings()
    try:
        account = settings.account
    except ServiceflowError:
        account = VENDOR
    return webhooks.parse_delivery(body, account=account, headers=headers, overrides=settings.custom_statuses)


# ---------------------------------------------------------------------- the helpdesk


@hookimpl
def serviceflow_apply_action(
    vendor: str, account: str, ticket_id: str, action: Action
) -> Awaitable[str] | None:
    if vendor != VENDOR:
        return None
    return _apply(account, ticket_id, action)


async def _apply(account: str, ticket_id: str, action: Action) -> str:
    settings = _checked(account)
    outcome = await actions.apply(
        client_for(settings), ticket_id, action, on_hold_status=settings.on_hold_status
    )
    log.info("freshdesk: ticket %s: %s (%s) -> %s", ticket_id, action.type, action.key, outcome)
    return outcome


@hookimpl
def serviceflow_fetch_ticket(vendor: str, account: str, ticket_id: str) -> Awaitable[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _fetch(account, ticket_id)


async def _fetch(account: str, ticket_id: str) -> Ticket:
    settings = _checked(account)
    tid = actions.numeric_id(ticket_id, "ticket")
    ticket = await client_for(settings).get_ticket(tid, include=("requester",))
    return convert.ticket_from_api(ticket, account=settings.account, overrides=settings.custom_statuses)


@hookimpl
def serviceflow_list_open_tickets(vendor: str, account: str) -> AsyncIterator[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _open_tickets(account)


async def _open_tickets(account: str) -> AsyncIterator[Ticket]:
    """Every ticket not closed, oldest update first; spam and deleted tickets are not listed."""
    settings = _checked(account)
    listing = client_for(settings).list_tickets(
        updated_since=RECONCILE_SINCE, order_by="updated_at", order_type="asc"
    )
    async for ticket in listing:
        if ticket.status != CLOSED and not ticket.spam and not ticket.deleted:
            yield convert.ticket_from_api(
                ticket, account=settings.account, overrides=settings.custom_statuses
            )


@hookimpl
def serviceflow_load_roster(vendor: str, account: str) -> Awaitable[Roster] | None:
    if vendor != VENDOR:
        return None
    return _roster(account)


async def _roster(account: str) -> Roster:
    """Agents (ids as strings, so AssignOwner can name them) and groups with their members.

    Membership comes from both sides Freshdesk may send it on: ``agent.group_ids`` and
    ``group.agent_ids`` (which of the two the list answers carry is UNVERIFIED). Occasional
    agents are kept; deactivated contacts are not.
    """
    client = client_for(_checked(account))
    groups = [g async for g in client.list_groups()]
    members: dict[int, list[str]] = {}
    for group in groups:
        for agent_id in group.agent_ids:
            members.setdefault(agent_id, []).append(str(group.id))
    agents = []
    async for agent in client.list_agents():
        if not agent.contact.active:
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


# ---------------------------------------------------------------------- quarantine (spam)


@hookimpl
def serviceflow_list_quarantined(vendor: str, account: str) -> AsyncIterator[QuarantinedMessage] | None:
    if vendor != VENDOR:
        return None
    return _quarantined(account)


async def _quarantined(account: str) -> AsyncIterator[QuarantinedMessage]:
    settings = _checked(account)
    async for message in quarantine.list_spam(client_for(settings), account=settings.account):
        yield message


@hookimpl
def serviceflow_recover_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _recover(account, message_id)


async def _recover(account: str, message_id: str) -> Ticket:
    settings = _checked(account)
    ticket = await quarantine.recover(client_for(settings), message_id, settings=settings)
    log.info("freshdesk: spam ticket %s recovered", message_id)
    return ticket


@hookimpl
def serviceflow_dismiss_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[str] | None:
    if vendor != VENDOR:
        return None
    return _dismiss(account, message_id)


async def _dismiss(account: str, message_id: str) -> str:
    outcome = await quarantine.dismiss(client_for(_checked(account)), message_id)
    log.info("freshdesk: spam ticket %s dismissed -> %s", message_id, outcome)
    return outcome
