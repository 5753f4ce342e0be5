"""A ``Notify`` action as the case workflow delivers it: one delivery request per channel it
names (the helpdesk aside, which the adapter carries out), and the records the case keeps.

Pure functions over their inputs, so workflow code can call them (no I/O, no clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from serviceflow.channels import Delivery, NotificationKind, Recipient, TicketRef, notification_for
from serviceflow.channels.model import MAX_SUBJECT
from serviceflow.durable.messages import ActionRequest
from serviceflow.durable.notifier import DeliveryRequest
from serviceflow.model import HELPDESK_CHANNEL, Notify, NotifyPurpose
from serviceflow.model.case import DeliveryRecord

#: Channels one notification goes to, at most (a ladder level names a few).
MAX_CHANNELS_PER_NOTIFY = 20

KINDS = {
    NotifyPurpose.BREACHED: NotificationKind.BREACH,
    NotifyPurpose.RESOLVED: NotificationKind.RESOLVE,
}


def recipients(action: Notify) -> tuple[Recipient, ...]:
    """The people the engine resolved (names, emails); bare ids for actions decided before."""
    if action.people:
        return tuple(Recipient(id=p.id[:200], name=p.name[:200], email=p.email) for p in action.people)
    return tuple(Recipient(id=r[:200]) for r in action.recipients)


def names(action: Notify) -> tuple[str, ...]:
    """Who it is for, by name where the roster had one."""
    return tuple(r.display for r in recipients(action))


def kind_of(action: Notify) -> NotificationKind:
    if action.purpose is not None and action.purpose in KINDS:
        return KINDS[action.purpose]
    return NotificationKind.BREACH if action.escalation_level else NotificationKind.WARNING


def delivery_requests(request: ActionRequest, action: Notify) -> list[DeliveryRequest]:
    """One request per channel the action names besides the helpdesk, each once."""
    channels = list(dict.fromkeys(c for c in action.channels if c != HELPDESK_CHANNEL))
    if not channels:
        return []
    notification = notification_for(
        request.case_id[:500],
        action,
        recipients=recipients(action)[:100],
        ticket=TicketRef(id=request.ticket_id[:200], subject=action.ticket_subject[:MAX_SUBJECT]),
        kind=kind_of(action),
        target_id=(action.target_id or "")[:500] or None,
    )
    return [
        DeliveryRequest(
            channel=channel,
            notification=notification,
            vendor=request.vendor,
            account=request.account,
        )
        for channel in channels[:MAX_CHANNELS_PER_NOTIFY]
    ]


def helpdesk_record(action: Notify, outcome: str, at: datetime) -> DeliveryRecord:
    """The helpdesk's part of a notification (the adapter's outcome), as the case records it."""
    word, _, detail = outcome.partition(": ")
    if outcome.startswith("shadow:"):
        word, detail = outcome, ""
    return DeliveryRecord(
        key=action.key,
        channel=HELPDESK_CHANNEL,
        recipients=names(action),
        outcome="delivered" if word == "done" else word,
        detail=detail[:2_000],
        at=at,
    )


def records_of(action: Notify, deliveries: Sequence[Delivery], at: datetime) -> list[DeliveryRecord]:
    """The channels' outcomes, as the case records them."""
    who = names(action)
    return [
        DeliveryRecord(
            key=action.key,
            channel=d.channel,
            recipients=who,
            outcome=d.detail if d.detail.startswith("shadow:") else d.outcome.value,
            detail="" if d.detail.startswith("shadow:") else d.detail[:2_000],
            at=at,
        )
        for d in deliveries
    ]
