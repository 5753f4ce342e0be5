"""Triage of quarantined mail: recover it, review it, ignore it or dismiss it, as the policies say.

Pure, like ``decide``. A quarantined message becomes a *review case*: a case whose ticket has
``kind: quarantined`` and the id ``quarantine-{message id}``, so owners, targets, at-risk warnings
and escalation ladders work on it as on any ticket, with the policies that apply to quarantined
mail. Before that case starts, :func:`triage` runs the ``quarantine`` rules of those policies
(highest ``priority`` first; in each, the first rule whose ``when`` holds decides). Nothing
auto-sorted goes unread: a message no rule takes is reviewed, and so is one whose rules fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.rules import Rules
from serviceflow.model import (
    QUARANTINE_PREFIX,
    Actor,
    ActorRole,
    CaseState,
    EventKind,
    QuarantinedMessage,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)

Verdict = Literal["recover", "review", "ignore", "dismiss"]

#: The tag every review case's ticket carries, for policies and for people reading the case.
QUARANTINED_TAG = "quarantined"


@dataclass(frozen=True)
class Triage:
    """What to do with one quarantined message, and which rule said so."""

    verdict: Verdict
    policy: str
    rule: str
    reason: str
    errors: tuple[str, ...] = field(default=())


def review_ticket(message: QuarantinedMessage, status: TicketStatus = TicketStatus.NEW) -> Ticket:
    """The ticket of a message's review case: what a person must look at, in ticket form."""
    custom: dict[str, str] = {"cause": message.cause, "message_id": message.id}
    if message.expires_at is not None:
        custom["expires_at"] = message.expires_at.isoformat()
    if message.ticket_id is not None:
        custom["ticket_id"] = message.ticket_id
    if message.how_to_recover:
        custom["how_to_recover"] = message.how_to_recover
    return Ticket(
        id=f"{QUARANTINE_PREFIX}{message.id}",
        kind=TicketKind.QUARANTINED,
        vendor=message.vendor,
        account=message.account,
        subject=message.subject,
        status=status,
        channel=message.channel,
        requester=message.sender,
        recipient=message.recipient,
        tags=(QUARANTINED_TAG,),
        custom_fields=custom,
        created_at=message.received_at,
        updated_at=message.received_at,
    )


def arrival_event(message: QuarantinedMessage) -> TicketEvent:
    """The event that opens a review case: the message as it arrived, at the time it arrived,
    followed by what a person does in the helpdesk to recover it where serviceflow cannot."""
    body = message.excerpt
    if message.how_to_recover:
        body = f"{body}\n\nTo recover it: {message.how_to_recover}" if body else message.how_to_recover
    return TicketEvent(
        id=f"{QUARANTINE_PREFIX}{message.id}/arrived",
        kind=EventKind.CREATED,
        time=message.received_at,
        actor=Actor(id=message.sender.id, role=ActorRole.CUSTOMER, name=message.sender.name),
        ticket=review_ticket(message),
        body=body,
        public=True,
    )


def recovery_event(message: QuarantinedMessage, ticket: Ticket) -> TicketEvent:
    """The event that brings a recovered message to its ticket's case. The customer has waited
    since the message arrived, so the case's clocks start then; a recovered reply lands on the
    ticket it answered, as a message on that case."""
    reply = message.ticket_id is not None and message.ticket_id == ticket.id
    return TicketEvent(
        id=f"{ticket.key}/recovered-{message.id}",
        kind=EventKind.CUSTOMER_MESSAGE if reply else EventKind.CREATED,
        time=message.received_at if reply else min(message.received_at, ticket.created_at),
        actor=Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER, name=ticket.requester.name),
        ticket=ticket,
        body=message.excerpt,
        public=True,
    )


def departure_event(message: QuarantinedMessage, time: datetime, how: str) -> TicketEvent:
    """The event that settles a review case: the message left the queue (``how`` says why)."""
    ticket = review_ticket(message, TicketStatus.CLOSED).model_copy(update={"updated_at": time})
    return TicketEvent(
        id=f"{QUARANTINE_PREFIX}{message.id}/left",
        kind=EventKind.STATUS_CHANGED,
        time=time,
        actor=Actor(id="helpdesk", role=ActorRole.SYSTEM, name="the helpdesk"),
        ticket=ticket,
        body=how,
        public=False,
        changes={"status": TicketStatus.NEW.value},
    )


def triage(
    message: QuarantinedMessage,
    rules: Rules,
    open_cases: Sequence[CaseState] = (),
    now: datetime | None = None,
) -> Triage:
    """Decide what happens to ``message``; ``open_cases`` are its sender's running cases."""
    event = arrival_event(message)
    ticket = event.ticket
    at = now or message.received_at
    case = CaseState(case_id=ticket.key, ticket=ticket, opened_at=message.received_at)
    evaluator = Evaluator(
        rules.environment,
        {
            "ticket": ticket,
            "event": event,
            "case": case.view,
            "now": at,
            "message": message,
            # The sender's customer cases: their other quarantined mail under review is not one.
            "open_cases": [c.view() for c in open_cases if c.ticket.kind is TicketKind.TICKET],
        },
    )
    policies = sorted(
        (p for p in rules.policies if p.kind == TicketKind.QUARANTINED.value),
        key=lambda p: -p.spec.priority,
    )
    for policy in policies:
        if not policy.quarantine or not evaluator.test(policy.match, policy=policy.name, rule="match"):
            continue
        for rule, when in policy.quarantine:
            if not evaluator.test(when, policy=policy.name, rule=rule.name):
                continue
            if evaluator.errors and rule.do in ("ignore", "dismiss"):
                # An earlier rule failed: it might have kept this message. Do not drop it unseen.
                reason = f"{rule.name} would {rule.do} it, but an earlier rule failed: a person reviews it"
                return Triage("review", policy.name, rule.name, reason, _errors(evaluator))
            return Triage(rule.do, policy.name, rule.name, f"{rule.name}: {when.source}", _errors(evaluator))
    if evaluator.errors:
        reason = "a quarantine rule failed, so a person reviews it"
    else:
        reason = "no quarantine rule took it, so a person reviews it"
    return Triage("review", "-", "default", reason, _errors(evaluator))


def _errors(evaluator: Evaluator) -> tuple[str, ...]:
    return tuple(str(e) for e in evaluator.errors)
