"""Notifications: what a channel needs to tell people and to name them (never by bare ids)."""

from __future__ import annotations

from collections.abc import Sequence

from serviceflow.engine.people import person
from serviceflow.engine.records import record
from serviceflow.engine.run import Run
from serviceflow.model import HELPDESK_CHANNEL, Notify, NotifyPurpose, TargetState, TicketKind

_QUARANTINED = TicketKind.QUARANTINED  # read once: an enum member off its class is slow to read


def notification(
    run: Run,
    target: TargetState,
    *,
    key: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    reason: str,
    purpose: NotifyPurpose,
    level: int | None = None,
    channels: Sequence[str] = (HELPDESK_CHANNEL,),
    rule: str | None = None,
) -> Notify:
    """A notification about ``target``, with what a channel needs to address and name people."""
    return record(
        Notify,
        key=run.key(key),
        reason=reason,
        policy=target.policy,
        rule=rule or target.name,
        recipients=tuple(recipients),
        people=tuple(person(r, run.context.roster) for r in recipients),
        subject=subject,
        body=body,
        escalation_level=level,
        channels=tuple(channels),
        purpose=purpose,
        target=target.name,
        target_id=target.id,
        ticket_subject=run.case.ticket.subject,
    )


def about(run: Run) -> str:
    """What a notification's subject says it is about, as a person looks for it: ``ticket 42``,
    or a quarantined message's ``review case quarantine-9`` (found in the review queue, not among
    the tickets)."""
    ticket = run.case.ticket
    return f"review case {ticket.id}" if ticket.kind is _QUARANTINED else f"ticket {ticket.id}"
