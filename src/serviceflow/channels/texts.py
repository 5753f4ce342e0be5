"""The words of a notification, shared by every channel: people by name, the ticket by subject.

Each channel lays these out in its own format (Slack mrkdwn, Markdown, an Adaptive Card, a mail,
an incident summary); what is said is the same everywhere.
"""

from __future__ import annotations

from serviceflow.channels.model import Notification, NotificationKind
from serviceflow.model.quarantine import QUARANTINE_PREFIX


def review_case(notification: Notification) -> str | None:
    """The id of the quarantined message's review case (``quarantine-9``) a notification is
    about, or None for a ticket's case (``{vendor}:{account}:{ticket id}``)."""
    tail = notification.case_id.rpartition(":")[2]
    return tail if tail.startswith(QUARANTINE_PREFIX) else None


def title(notification: Notification) -> str:
    """The first line: the engine's subject, and the ladder level of a breach.

    A review case is no ticket: the engine says ``on review case quarantine-9`` (a person looks
    for it in the review queue, not among the tickets); a subject decided before it did (``on
    ticket quarantine-9``, a notification a running case still holds for business hours) is
    read the same way here.
    """
    subject = notification.subject
    review = review_case(notification)
    if review is not None:
        subject = subject.replace(f" on ticket {review}", f" on review case {review}")
    level = notification.level
    if notification.kind is NotificationKind.BREACH and level:
        return f"{subject} (escalation level {level})"
    return subject


def people(notification: Notification) -> str:
    """Who it is for, by name: ``Lee Lead, Max Manager`` (ids only where the roster has no name)."""
    return ", ".join(r.display for r in notification.recipients) or "(no one named)"


def ticket_line(notification: Notification) -> str | None:
    """``ticket 1042 "Charged twice"``, or None for a notification about no ticket."""
    ticket = notification.ticket
    if ticket is None:
        return None
    return f'ticket {ticket.id} "{ticket.subject}"' if ticket.subject else f"ticket {ticket.id}"


def facts(notification: Notification) -> list[tuple[str, str]]:
    """The details as label/value pairs, in the order every channel shows them."""
    rows = [("For", people(notification))]
    line = ticket_line(notification)
    if line is not None:
        rows.append(("Ticket", line[len("ticket ") :]))
    if notification.target:
        rows.append(("Target", notification.target))
    if notification.due_at is not None:
        rows.append(("Due", notification.due_at.strftime("%a %d %b %Y %H:%M %Z").strip()))
    rows.append(("Case", notification.case_id))
    return rows


def plain(notification: Notification) -> str:
    """The whole notification as plain text (mail, logs, the generic webhook's ``text``)."""
    lines = [title(notification), ""]
    if notification.body:
        lines += [notification.body, ""]
    lines += [f"{label}: {value}" for label, value in facts(notification)]
    if notification.ticket is not None and notification.ticket.url:
        lines.append(f"Open: {notification.ticket.url}")
    return "\n".join(lines)


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, marked when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
