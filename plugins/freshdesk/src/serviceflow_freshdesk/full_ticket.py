"""The full ticket (issue 12 part E): the ticket with its requester, its company and the address
the customer wrote to, for ``fetch_ticket``.

- ``GET /api/v2/tickets/{id}?include=requester,company`` (View a Ticket, FD-docs lines 936-953;
  the doc's own example, line 1005: ``?include=company,requester``): the requester's "email, id,
  mobile, name, and phone" and the company's "id and name". **It costs 3 API credits**: "Each
  include will consume an additional credit. For example if you embed the requester and company
  information you will be charged a total of 3 API credits for the call" (line 938).
- The company's domains and custom fields are not in that sideload: a ticket with a company
  costs one more call, ``GET /api/v2/companies/{id}`` (View a Company, lines 8163-8185).
- The recipient is the ticket's ``to_emails`` ("Email addresses to which the ticket was
  originally sent", line 507), first address; a ticket without them (a portal ticket, say) that
  names a support mailbox (``email_config_id``) gets that mailbox's ``reply_email`` through
  ``GET /api/v2/email_configs/{id}`` (lines 12744-12775), read once per mailbox and kept for the
  life of the process (Freshdesk calls this API old and admin-only: a refusal leaves the
  recipient out and says so in ``missing``).

Nothing here blocks a decision forever: a part that cannot be read (404, 403) is named in
``TicketRecord.missing`` and the rest is returned; what may pass (429, 5xx, network) is raised
retryable for the caller to try again, and a deleted ticket is ``TicketGone``.
"""

from __future__ import annotations

from collections import OrderedDict

from serviceflow.adapters import Organization, Person, TicketRecord
from serviceflow.model import TicketStatus

from . import convert
from .client import FreshdeskClient
from .errors import AuthenticationFailed, NotFound, UnexpectedResponse
from .models import Ticket

#: The sideloads of one ticket read (each one credit more, FD-docs line 938).
INCLUDE = ("requester", "company")
#: Support mailboxes remembered per process; a Freshdesk account has a handful.
MAILBOXES_KEPT = 256

_REFUSED = (NotFound, AuthenticationFailed, UnexpectedResponse)


class Mailboxes:
    """Support addresses by (account, email config id), each read once (bounded)."""

    def __init__(self, limit: int = MAILBOXES_KEPT) -> None:
        self._known: OrderedDict[tuple[str, int], str | None] = OrderedDict()
        self._limit = limit

    async def address(self, client: FreshdeskClient, account: str, config_id: int) -> str | None:
        """The mailbox's ``reply_email``, or None when Freshdesk will not say (kept too, so a
        refusal costs one call, not one per ticket)."""
        key = (account, config_id)
        if key not in self._known:
            try:
                config = await client.get_email_config(config_id)
            except _REFUSED:
                found = None
            else:
                found = config.reply_email or config.to_email
            self._known[key] = found
            while len(self._known) > self._limit:
                self._known.popitem(last=False)
        return self._known[key]


def requester_of(ticket: Ticket) -> Person | None:
    """The ``requester`` sideload as a :class:`~serviceflow.adapters.Person` (with the company
    as their organization)."""
    requester = ticket.requester
    if requester is None:
        return None
    return Person(
        id=str(requester.id),
        name=requester.name,
        email=requester.email,
        organization=None if ticket.company_id is None else str(ticket.company_id),
    )


async def read(
    client: FreshdeskClient,
    ticket_id: int,
    *,
    account: str,
    overrides: dict[str, TicketStatus],
    mailboxes: Mailboxes,
) -> TicketRecord:
    """The ticket with its people, company and recipient (see the module docstring).

    Raises:
        TicketGone: the ticket does not exist (any more).
    """
    ticket = await client.get_ticket(ticket_id, include=INCLUDE)
    core = convert.ticket_from_api(ticket, account=account, overrides=overrides)
    missing: list[str] = []
    requester = requester_of(ticket)
    if requester is None:
        missing.append("requester")
    organization = None
    if ticket.company_id is not None:
        organization, lacking = await _company(client, ticket)
        missing.extend(lacking)
    if core.recipient is None and ticket.email_config_id is not None:
        address = await mailboxes.address(client, account, ticket.email_config_id)
        if address is None:
            missing.append("recipient")
        else:
            core = core.model_copy(update={"recipient": address})
    return TicketRecord(ticket=core, requester=requester, organization=organization, missing=tuple(missing))


async def _company(client: FreshdeskClient, ticket: Ticket) -> tuple[Organization | None, list[str]]:
    """The ticket's company as an :class:`~serviceflow.adapters.Organization`, and what of it could
    not be read: with the sideload's name when View a Company is refused."""
    assert ticket.company_id is not None
    named = ticket.company.name if ticket.company is not None else None
    try:
        company = await client.get_company(ticket.company_id)
    except _REFUSED:
        if named is None:
            return None, ["organization"]
        return Organization(id=str(ticket.company_id), name=named), [
            "organization.domains",
            "organization.fields",
        ]
    return (
        Organization(
            id=str(company.id),
            name=company.name or named,
            domains=tuple(company.domains),
            fields=dict(company.custom_fields),
        ),
        [],
    )
