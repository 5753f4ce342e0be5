"""Shadow mode: what an action would have done, in words, for the case and the report.

In shadow mode (``SERVICEFLOW_MODE=shadow``) the action and delivery activities send nothing;
each action's outcome is ``shadow: would have ...``, a final outcome like ``done``: the engine
has issued its key, so the action is never carried out later, in live mode either.
"""

from __future__ import annotations

from serviceflow.model import (
    Action,
    AddInternalNote,
    AddPublicReply,
    AddTags,
    AssignOwner,
    MergeTickets,
    Notify,
    RemoveTags,
    SetPriority,
    SetStatus,
)

PREFIX = "shadow: would have "
#: How much of a subject or a tag list the outcome quotes.
QUOTE = 120


def would_have(action: Action) -> str:
    """``shadow: would have assigned the ticket to ann``, and so on for every action."""
    return PREFIX + _what(action)


def _what(action: Action) -> str:
    match action:
        case AssignOwner(agent=agent, group=group):
            return f"assigned the ticket to {agent or f'group {group}'}"
        case AddInternalNote():
            return "added an internal note"
        case AddPublicReply():
            return "replied to the customer"
        case AddTags(tags=tags):
            return f"added the tags {_cut(', '.join(tags))}"
        case RemoveTags(tags=tags):
            return f"removed the tags {_cut(', '.join(tags))}"
        case SetStatus(status=status):
            return f"set the status to {status.value}"
        case SetPriority(priority=priority):
            return f"set the priority to {priority.value}"
        case MergeTickets(into_ticket=into):
            return f"merged the ticket into {into}"
        case Notify():
            people = ", ".join(p.name for p in action.people) or ", ".join(action.recipients)
            return f"told {_cut(people or 'no one')} in the helpdesk: {_cut(action.subject)!r}"
    return f"carried out {action.type}"


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"
