"""What the Temporal UI shows of a case: its summary and details, and names for its timers and
activities, so the workflow list and a case's history read as the case (issue 16 point 4).

Pure functions over the ticket and the case, so workflow code can call them. Texts are cut to
what the UI shows (Temporal keeps a summary to a line; details are Markdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from serviceflow.engine.inputs import EngineInput, EventInput, WakeUp
from serviceflow.model import Action, CaseState, Ticket, TicketEvent

SUMMARY = 200
DETAILS = 4_000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _requester(ticket: Ticket) -> str:
    person = ticket.requester
    name = person.name or person.email or person.id
    return f"{name} <{person.email}>" if person.name and person.email else name


def static_summary(ticket: Ticket) -> str:
    """The workflow list's line: ``Ticket 1042: Charged twice — Dana Smith``."""
    subject = ticket.subject or "(no subject)"
    return _cut(f"Ticket {ticket.id}: {subject} — {_requester(ticket)}", SUMMARY)


def static_details(event: TicketEvent, policies: str = "") -> str:
    """The case page's details as the case began: the ticket, its subject, the requester."""
    ticket = event.ticket
    lines = [
        f"**Ticket** {ticket.id} ({ticket.vendor}:{ticket.account})",
        f"**Subject** {ticket.subject or '(no subject)'}",
        f"**Requester** {_requester(ticket)}",
        f"**Opened by** {event.kind.value} {event.id} at {event.time:%Y-%m-%d %H:%M %Z}",
    ]
    if ticket.recipient:
        lines.append(f"**Written to** {ticket.recipient}")
    if policies:
        lines.append(f"**Policies** {policies}")
    return _cut("\n\n".join(lines), DETAILS)


def current_details(
    state: CaseState, wake_at: datetime | None, done: Sequence[tuple[Action, str]] = ()
) -> str:
    """The case now: owner, the next deadline, breaches, the policy set it decides under; and
    what the last decision did, when its own activity carried its actions out (``done``)."""
    running = [t for t in state.targets if t.due_at is not None and t.met_at is None]
    nxt = min(running, key=lambda t: t.due_at or wake_at or state.opened_at, default=None)
    breached = [t for t in state.targets if t.breached_at is not None and t.met_at is None]
    lines = [
        f"**Owner** {state.owner or 'nobody yet'}",
        f"**Status** {state.ticket.status.value}" + (" (closed case)" if state.closed_at else ""),
        "**Next deadline** "
        + (f"{nxt.name} due {nxt.due_at:%Y-%m-%d %H:%M %Z}" if nxt and nxt.due_at else "none"),
        f"**Breaches** {len(breached)}" + (f": {', '.join(t.name for t in breached)}" if breached else ""),
        f"**Policy set** {state.policy_version or 'not decided yet'}",
    ]
    if wake_at is not None:
        lines.append(f"**Wakes** {wake_at:%Y-%m-%d %H:%M %Z}")
    if done:
        lines.append("**Done** " + "; ".join(f"{action_summary(a)}: {outcome[:200]}" for a, outcome in done))
    return _cut("\n\n".join(lines), DETAILS)


def decide_summary(engine_input: EngineInput) -> str | None:
    """``decide: customer_message e7`` / ``decide: reassign_owner``; none for a wake-up, which
    follows the timer whose summary names what it waited for (:func:`timer_summary`).

    Each summary is a payload of its own that the SDK visits three times in the workflow task's
    completion, entering the sandbox each time: about half a millisecond of the worker's CPU
    a summary under load (benchmarks/RESULTS.md, durable6 and durable7). So only those that say
    something the history does not already say are set."""
    if isinstance(engine_input, EventInput):
        return _cut(f"decide: {engine_input.event.kind.value} {engine_input.event.id}", SUMMARY)
    if isinstance(engine_input, WakeUp):
        return None
    return _cut(f"decide: {type(engine_input).__name__}", SUMMARY)


def action_summary(action: Action) -> str:
    """``assign_owner: owner rule billing ...`` — the action and its rule."""
    return _cut(f"{action.type} ({action.policy}/{action.rule})", SUMMARY)


def timer_summary(state: CaseState | None, wake_at: datetime) -> str:
    """What the case waits for: the next target due, or a ladder level."""
    if state is not None:
        due = [
            t
            for t in state.targets
            if t.due_at == wake_at or t.warn_at == wake_at or t.next_level_at == wake_at
        ]
        if due:
            return _cut(f"until {wake_at:%Y-%m-%d %H:%M %Z}: {due[0].name}", SUMMARY)
    return _cut(f"until {wake_at:%Y-%m-%d %H:%M %Z} (next wake-up)", SUMMARY)
