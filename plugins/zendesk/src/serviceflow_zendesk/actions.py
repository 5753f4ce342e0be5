"""Carry out serviceflow actions on Zendesk, each at most once per idempotency key.

Field changes (status, priority, assignment) are naturally idempotent: applying the same value
twice leaves the ticket as once, and safe updates keep other writers' edits. Tags go through the
tags endpoints, which add/remove without replacing. Comments are the one thing a retry would
duplicate, so they carry the action key in a marker at the end of the body and are written only
after reading the recent comments and not finding it (read before write).
"""

from __future__ import annotations

import logging
from typing import Any

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

from . import ids
from .client import ZendeskClient
from .errors import ServerError, TransportFailed, ZendeskError
from .models import Ticket

log = logging.getLogger(__name__)

#: How many of the newest comments are searched for an action's marker. Retries come soon after
#: the first attempt, so the marker, if written, is among the newest comments.
RECENT_COMMENTS = 100

_STATUS_OUT = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "on_hold": "hold",
    "solved": "solved",
    "closed": "closed",
}


class InvalidActionTarget(ZendeskError):
    """The action names something Zendesk cannot address (e.g. a non-numeric agent id)."""


def marker(key: str) -> str:
    """The line appended to a comment so a retry can find it: ``[sf:<key>]``."""
    return f"[sf:{key}]"


def numeric_id(value: str, what: str) -> int:
    """A Zendesk id from serviceflow's string form (canonical ASCII digits only, :mod:`.ids`: "04"
    and "٤" are no ticket 4); a clear error for anything else."""
    try:
        return ids.number(value, what)
    except ids.NotAnId as exc:
        raise InvalidActionTarget(
            f"Zendesk {what} ids are numeric: {exc} (map names to ids in the roster or policy)"
        ) from None


async def apply(client: ZendeskClient, ticket_id: str, action: Action) -> str:
    """Carry out one action; returns ``"done"`` or ``"skipped: ..."``.

    Raises:
        TicketGone: the ticket is gone (from the client, unchanged).
        InvalidActionTarget: an id is not numeric.
    """
    tid = numeric_id(ticket_id, "ticket")
    if isinstance(action, AssignOwner):
        return await _assign(client, tid, action)
    if isinstance(action, AddInternalNote):
        return await _comment(client, tid, action.key, action.body, public=False)
    if isinstance(action, AddPublicReply):
        return await _comment(client, tid, action.key, action.body, public=True)
    if isinstance(action, Notify):
        return await _comment(client, tid, action.key, notify_body(action), public=False)
    if isinstance(action, AddTags | RemoveTags):
        return await _tags(client, tid, action)
    if isinstance(action, SetStatus):
        return await _set(client, tid, "status", _STATUS_OUT[action.status.value])
    if isinstance(action, SetPriority):
        return await _set(client, tid, "priority", action.priority.value)
    if isinstance(action, MergeTickets):
        return await _merge(client, tid, action)
    return f"skipped: {action.type} is not carried out by the Zendesk plugin"


def notify_body(action: Notify) -> str:
    """Zendesk has no "notify these people" call: an internal note addressed to them instead
    (agents who follow the ticket or are @-mentioned get Zendesk's own notification)."""
    level = f" (escalation level {action.escalation_level})" if action.escalation_level is not None else ""
    to = ", ".join(action.recipients) or "(no recipients)"
    return f"To: {to}\n{action.subject}{level}\n\n{action.body}"


async def _tags(client: ZendeskClient, tid: int, action: AddTags | RemoveTags) -> str:
    """Through the Tags endpoints, which add or remove without replacing other tags; read first,
    so a retry whose tags are already so writes nothing (Zendesk lower-cases tags)."""
    if not action.tags:
        return "skipped: no tags"
    current = set((await client.get_ticket(tid)).tags)
    wanted = [t.lower() for t in action.tags]
    if isinstance(action, AddTags):
        if set(wanted) <= current:
            return "skipped: already so"
        await client.add_tags(tid, list(action.tags))
    else:
        if not set(wanted) & current:
            return "skipped: already so"
        await client.remove_tags(tid, list(action.tags))
    return "done"


async def _assign(client: ZendeskClient, tid: int, action: AssignOwner) -> str:
    fields: dict[str, Any] = {}
    if action.agent is not None:
        fields["assignee_id"] = numeric_id(action.agent, "agent")
    if action.group is not None:
        fields["group_id"] = numeric_id(action.group, "group")
    if not fields:
        return "skipped: nothing to assign"
    return await _update(client, tid, fields)


async def _set(client: ZendeskClient, tid: int, field: str, value: str) -> str:
    return await _update(client, tid, {field: value})


async def _update(client: ZendeskClient, tid: int, wanted: dict[str, Any]) -> str:
    """A safe update that sends only what still differs, judged on the freshly read ticket,
    so a re-apply after a 409 keeps the other writer's change and a retry is a no-op."""
    changed = False

    def changes(ticket: Ticket) -> dict[str, Any]:
        nonlocal changed
        diff = {k: v for k, v in wanted.items() if getattr(ticket, k) != v}
        changed = changed or bool(diff)
        return diff

    await client.update_ticket(tid, changes)
    return "done" if changed else "skipped: already so"


async def _comment(client: ZendeskClient, tid: int, key: str, body: str, *, public: bool) -> str:
    """Read, then write once. A 5xx (or a lost answer) after the write may come after Zendesk
    applied it (CONTRACTS.md §8), so the comments are read again before the error is passed on
    for a retry: a comment that is there is done, never written twice."""
    tag = marker(key)
    if await _has_marker(client, tid, tag):
        return "skipped: already done"
    try:
        await client.add_comment(tid, f"{body.rstrip()}\n\n{tag}", public=public)
    except (ServerError, TransportFailed) as exc:
        if isinstance(exc, TransportFailed) and exc.retry_safe:
            raise  # it never left: nothing can have been written
        if await _has_marker(client, tid, tag):
            log.info("zendesk: ticket %s: the comment %s was written before the error (%s)", tid, key, exc)
            return "done"
        raise
    return "done"


async def _has_marker(client: ZendeskClient, tid: int, tag: str) -> bool:
    seen = 0
    async for comment in client.list_comments(tid, newest_first=True):
        text = comment.body or (comment.model_extra or {}).get("plain_body") or ""
        if tag in text:
            return True
        seen += 1
        if seen >= RECENT_COMMENTS:
            break
    return False


async def _merge(client: ZendeskClient, tid: int, action: MergeTickets) -> str:
    """Merge this ticket into ``into_ticket``; a source that is already closed by an earlier
    merge makes the retry a no-op."""
    target = numeric_id(action.into_ticket, "ticket")
    source = await client.get_ticket(tid)  # TicketGone when it is gone
    if source.status == "closed":
        return "skipped: already closed (merged?)"
    job = await client.merge(target, [tid])
    job = await client.wait_for_job(job.id, poll_interval=0.5, max_polls=30)
    if job.status != "completed":
        raise ZendeskError(f"merging ticket {tid} into {target} failed: {job.message or job.status}")
    return "done"
