"""The full ticket: what the helpdesk knows that a webhook may not carry (the recipient, the
requester's email and name, the organization, custom fields), read when a case opens and when
an event's ticket lacks one of them, and kept in the case.

Pure functions, so workflow code can call them: which fields an event's ticket lacks, and the
event's ticket completed from what the case already knows. Reading the helpdesk is the
``fetch_ticket`` activity (:mod:`.activities`).
"""

from __future__ import annotations

from serviceflow.adapters.records import TicketRecord
from serviceflow.model import Requester, Ticket, TicketKind, TicketOrganization

#: Reads of one case's ticket that may fail before the case stops trying (each read is itself
#: retried under rate limits by the activity's retry policy).
MAX_READS = 3


def lacking(ticket: Ticket) -> tuple[str, ...]:
    """The fields policies read that this ticket (from a webhook) does not carry."""
    if ticket.kind is not TicketKind.TICKET:
        return ()  # a quarantined message is not in the helpdesk's tickets
    missing = []
    if ticket.recipient is None:
        missing.append("recipient")
    if ticket.requester.email is None:
        missing.append("requester.email")
    if ticket.requester.name is None:
        missing.append("requester.name")
    if not ticket.organization.known:
        missing.append("organization")
    return tuple(missing)


def completed(ticket: Ticket, known: Ticket | None) -> Ticket:
    """``ticket`` (the event's: current status, tags, assignee) with what it lacks taken from
    ``known`` (the helpdesk's, or the case's last ticket) when that is the same ticket."""
    if known is None or known.key != ticket.key:
        return ticket
    update: dict[str, object] = {}
    if ticket.recipient is None and known.recipient is not None:
        update["recipient"] = known.recipient
    requester = ticket.requester
    if requester.id == known.requester.id and (
        (requester.email is None and known.requester.email)
        or (requester.name is None and known.requester.name)
    ):
        update["requester"] = Requester(
            id=requester.id,
            email=requester.email or known.requester.email,
            name=requester.name or known.requester.name,
        )
    if not ticket.organization.known and known.organization.known:
        update["organization"] = known.organization
    if not ticket.custom_fields and known.custom_fields:
        update["custom_fields"] = known.custom_fields
    if not ticket.subject and known.subject:
        update["subject"] = known.subject
    return ticket.model_copy(update=update) if update else ticket


def ticket_of(record: TicketRecord) -> Ticket:
    """The adapter's record as one ticket: the requester's email and name, the organization."""
    ticket = record.ticket
    update: dict[str, object] = {}
    person = record.requester
    if person is not None and person.id == ticket.requester.id:
        update["requester"] = Requester(
            id=ticket.requester.id,
            email=ticket.requester.email or person.email,
            name=ticket.requester.name or person.name,
        )
    org = record.organization
    if org is not None and not ticket.organization.known:
        update["organization"] = TicketOrganization(
            id=org.id[:200],
            name=(org.name or "")[:1_000],
            domains=org.domains[:100],
            tags=org.tags[:500],
            fields=org.fields,
        )
    return ticket.model_copy(update=update) if update else ticket
