"""From the engine's :class:`~serviceflow.model.Notify` action to a channel's :class:`Notification`.

The engine names people by agent id; channels need names and addresses, which the roster has.
Today's ``Notify`` carries ids, a subject, a body and the ladder level; the fields it is to carry
for channels (the kind, the target's id, the ticket's link) are parameters here until it does.
"""

from __future__ import annotations

from serviceflow.channels.model import MAX_RECIPIENTS, Notification, NotificationKind, Recipient, TicketRef
from serviceflow.model import Notify, Roster

GROUP_PREFIX = "group:"


def recipients_of(ids: tuple[str, ...], roster: Roster) -> tuple[Recipient, ...]:
    """Each id as the roster knows the person (name, email); ``group:X`` becomes its members;
    an id the roster does not know stays, with no name, so no one is dropped silently."""
    people: dict[str, Recipient] = {}
    for key in ids:
        agent = roster.agent(key)
        if agent is not None:
            people.setdefault(agent.id, Recipient(id=agent.id, name=agent.name, email=agent.email))
            continue
        if key.startswith(GROUP_PREFIX):
            members = roster.members(key[len(GROUP_PREFIX) :])
            if members:
                for member in members:
                    people.setdefault(
                        member.id, Recipient(id=member.id, name=member.name, email=member.email)
                    )
                continue
        people.setdefault(key, Recipient(id=key[:200]))
    return tuple(people.values())[:MAX_RECIPIENTS]


def notification_for(
    case_id: str,
    action: Notify,
    roster: Roster | None = None,
    *,
    recipients: tuple[Recipient, ...] | None = None,
    ticket: TicketRef | None = None,
    kind: NotificationKind | None = None,
    target_id: str | None = None,
) -> Notification:
    """The notification a ``Notify`` action asks for, with its recipients resolved.

    Args:
        case_id: The case the action belongs to.
        action: The engine's action; its ``key`` stays the idempotency key.
        roster: Who the recipients are (their names and emails), when ``recipients`` is None.
        recipients: The recipients already resolved (by the engine, from the roster it decided
            with); workflow code passes these, since it has no roster of its own.
        ticket: The ticket, with its subject and link, when the shell knows them.
        kind: Warning, breach or resolve; by default a breach when the action has a ladder
            level, else a warning.
        target_id: The target's id in the case, so a breach and its resolve share an incident;
            by default the target's name (``action.rule``).
    """
    if kind is None:
        kind = NotificationKind.BREACH if action.escalation_level else NotificationKind.WARNING
    return Notification(
        key=action.key,
        case_id=case_id,
        kind=kind,
        subject=action.subject[:1_000],
        body=action.body[:20_000],
        recipients=recipients
        if recipients is not None
        else recipients_of(action.recipients, roster or Roster()),
        ticket=ticket,
        target=action.rule[:200] or None,
        target_id=target_id,
        level=action.escalation_level,
        policy=action.policy[:200],
        rule=action.rule[:200],
        reason=action.reason[:2_000],
    )
