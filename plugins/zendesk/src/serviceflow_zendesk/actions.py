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

from . import comments, ids, notify
from .client import ZendeskClient
from .comments import marker as marker  # re-exported
from .errors import ZendeskError
from .models import Ticket

log = logging.getLogger(__name__)

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
        return await comments.write_once(client, tid, action.key, action.body, public=False)
    if isinstance(action, AddPublicReply):
        return await comments.write_once(client, tid, action.key, action.body, public=True)
    if isinstance(action, Notify):
        return await notify.apply(client, tid, action)
    if isinstance(action, AddTags | RemoveTags):
        return await _tags(client, tid, action)
    if isinstance(action, SetStatus):
        return await _set(client, tid, "status", _STATUS_OUT[action.status.value])
    if isinstance(action, SetPriority):
        return await _set(client, tid, "priority", action.priority.value)
    if isinstance(action, MergeTickets):
        return await _merge(client, tid, action)
    return f"skipped: {action.type} is not carried out by the Zendesk plugin"


async def _tags(client: ZendeskClient, tid: int, action: AddTags | RemoveTags) -> str:
    """Through the Tags endpoints by safe update (``safe_update`` + ``updated_stamp``, OAS
    PutTagsTicket "Safe Update"): they add or remove without replacing other tags, and a 409
    re-reads the ticket instead of losing another writer's tags. What is already so is not sent,
    so a retry writes nothing (Zendesk lower-cases tags)."""
    if not action.tags:
        return "skipped: no tags"
    if isinstance(action, AddTags):
        sent = await client.change_tags_safely(tid, add=list(action.tags))
    else:
        sent = await client.change_tags_safely(tid, remove=list(action.tags))
    return "done" if sent else "skipped: already so"


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
