"""The words of a notification, shared by every channel: people by name, the ticket by subject.

Each channel lays these out in its own format (Slack mrkdwn, Markdown, an Adaptive Card, a mail,
an incident summary); what is said is the same everywhere.
"""

from __future__ import annotations

from serviceflow.channels.model import Notification, NotificationKind


def title(notification: Notification) -> str:
    """The first line: the engine's subject, and the ladder level of a breach."""
    level = notification.level
    if notification.kind is NotificationKind.BREACH and level:
        return f"{notification.subject} (escalation level {level})"
    return notification.subject


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
