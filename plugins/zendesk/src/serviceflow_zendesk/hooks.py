"""The Zendesk plugin's hook implementations.

Every hook answers only for ``vendor == "zendesk"`` (None otherwise, so other helpdesk plugins
can answer). Settings are read from the environment on each call, which is cheap and lets tests
and operators change them without a restart; the HTTP client is reused per settings and event
loop, created on first use, because an ``httpx.AsyncClient`` pools connections and is bound to
the loop it first ran on.
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

from . import actions, convert, webhooks
from .client import ZendeskClient
from .errors import NotFound, SuspendedTicketGone, ZendeskError
from .settings import ZendeskSettings

log = logging.getLogger(__name__)

VENDOR = convert.VENDOR

_clients: ClientCache[ZendeskClient] = ClientCache()


class AccountMismatch(ServiceflowError):
    """A hook was asked about an account other than the configured one."""


def load_settings() -> ZendeskSettings:
    """The current settings from ``SERVICEFLOW_ZENDESK_*``."""
    return current_settings(ZendeskSettings)  # built again only when the environment changes


def client_for(settings: ZendeskSettings) -> ZendeskClient:
    """The shared client for these settings on the running event loop (created lazily)."""
    return _clients.get(settings.cache_key(), lambda: ZendeskClient(settings.url, settings.credentials()))


async def aclose_clients() -> None:
    """Close the clients of the running loop (worker shutdown, tests)."""
    await _clients.aclose()


def _checked(account: str) -> ZendeskSettings:
    settings = load_settings()
    if account != settings.account:
        raise AccountMismatch(
            f"Zendesk account {account!r} is not configured "
            f"(SERVICEFLOW_ZENDESK_* points at {settings.account!r})"
        )
    return settings


# ---------------------------------------------------------------------- webhooks


@hookimpl
def serviceflow_verify_webhook(
    vendor: str, method: str, headers: Mapping[str, str], body: bytes
) -> WebhookVerdict | None:
    if vendor != VENDOR:
        return None
    return webhooks.verify_delivery(load_settings(), headers, body)


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
        account = headers.get("x-zendesk-account-id") or VENDOR
    return webhooks.parse_delivery(body, account=account)


# ---------------------------------------------------------------------- the helpdesk


@hookimpl
def serviceflow_apply_action(
    vendor: str, account: str, ticket_id: str, action: Action
) -> Awaitable[str] | None:
    if vendor != VENDOR:
        return None
    return _apply(account, ticket_id, action)


async def _apply(account: str, ticket_id: str, action: Action) -> str:
    outcome = await actions.apply(client_for(_checked(account)), ticket_id, action)
    log.info("zendesk: ticket %s: %s (%s) -> %s", ticket_id, action.type, action.key, outcome)
    return outcome


@hookimpl
def serviceflow_fetch_ticket(vendor: str, account: str, ticket_id: str) -> Awaitable[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _fetch(account, ticket_id)


async def _fetch(account: str, ticket_id: str) -> Ticket:
    settings = _checked(account)
    client = client_for(settings)
    ticket = await client.get_ticket(actions.numeric_id(ticket_id, "ticket"))
    requester = None
    if ticket.requester_id is not None:
        try:
            requester = await client.get_user(ticket.requester_id)
        except NotFound:
            requester = None  # a deleted requester does not make the ticket unreadable
    return convert.ticket_from_api(ticket, account=settings.account, requester=requester)


@hookimpl
def serviceflow_list_open_tickets(vendor: str, account: str) -> AsyncIterator[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _open_tickets(account)


async def _open_tickets(account: str) -> AsyncIterator[Ticket]:
    """Every ticket not closed (requester by id only: one user read per ticket would be costly)."""
    settings = _checked(account)
    async for ticket in client_for(settings).list_tickets():
        if ticket.status != "closed":
            yield convert.ticket_from_api(ticket, account=settings.account)


@hookimpl
def serviceflow_load_roster(vendor: str, account: str) -> Awaitable[Roster] | None:
    if vendor != VENDOR:
        return None
    return _roster(account)


async def _roster(account: str) -> Roster:
    """Active agents and admins with their group memberships; Zendesk has no team-lead field."""
    client = client_for(_checked(account))
    groups = [g async for g in client.list_groups() if not g.deleted]
    members: dict[int, list[str]] = {}
    async for membership in client.list_memberships():
        members.setdefault(membership.user_id, []).append(str(membership.group_id))
    agents = [
        Agent(id=str(user.id), name=user.name, email=user.email, groups=tuple(members.get(user.id, ())))
        async for user in client.list_agents()
        if user.active
    ]
    return Roster(agents=tuple(agents), groups=tuple(Group(id=str(g.id), name=g.name) for g in groups))


# ---------------------------------------------------------------------- the suspended tickets queue


@hookimpl
def serviceflow_list_quarantined(vendor: str, account: str) -> AsyncIterator[QuarantinedMessage] | None:
    if vendor != VENDOR:
        return None
    return _quarantined(account)


async def _quarantined(account: str) -> AsyncIterator[QuarantinedMessage]:
    """The whole suspended tickets queue, oldest first, every page. 429s within the client's
    bound are waited out; a failure on any page raises a retryable error, never a short list."""
    settings = _checked(account)
    client = client_for(settings)
    async for suspended in client.list_suspended_tickets(sort_by="created_at", sort_order="asc"):
        yield convert.quarantined_from_suspended(suspended, account=settings.account)


@hookimpl
def serviceflow_recover_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[Ticket] | None:
    if vendor != VENDOR:
        return None
    return _recover(account, message_id)


async def _recover(account: str, message_id: str) -> Ticket:
    """Recover keeping the author as requester, then read the ticket back with its requester.

    Once Zendesk has recovered the email, a failure to read the ticket back must not report the
    recovery as failed (a retry would find the message gone): the ticket as the recovery
    answered it is returned instead, with the requester by id only.
    """
    settings = _checked(account)
    suspended_id = actions.numeric_id(message_id, "suspended ticket")
    recovered = await client_for(settings).recover_suspended_ticket(suspended_id)
    log.info("zendesk: suspended ticket %s recovered as ticket %s", suspended_id, recovered.id)
    try:
        return await _fetch(account, str(recovered.id))
    except ZendeskError as exc:
        log.warning("zendesk: recovered ticket %s could not be read back (%s)", recovered.id, exc)
        return convert.ticket_from_api(recovered, account=settings.account)


@hookimpl
def serviceflow_dismiss_quarantined(vendor: str, account: str, message_id: str) -> Awaitable[str] | None:
    if vendor != VENDOR:
        return None
    return _dismiss(account, message_id)


async def _dismiss(account: str, message_id: str) -> str:
    """Delete the suspended ticket; one already gone is a success ("skipped"), so retries hold."""
    suspended_id = actions.numeric_id(message_id, "suspended ticket")
    try:
        await client_for(_checked(account)).delete_suspended_ticket(suspended_id)
    except SuspendedTicketGone:
        log.info("zendesk: suspended ticket %s was already gone", suspended_id)
        return "skipped: already gone"
    log.info("zendesk: suspended ticket %s deleted", suspended_id)
    return "done"
