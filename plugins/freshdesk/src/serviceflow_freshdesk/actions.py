"""Carry out serviceflow actions on Freshdesk, each at most once per idempotency key.

Freshdesk has no optimistic locking, and ``PUT /api/v2/tickets/{id}`` replaces what it is given
(``tags`` replaces the whole list). So every change reads the ticket first and writes only what
still differs, computed from that fresh read: a retry finds the work done and writes nothing, and
tags another agent added since serviceflow last looked are kept. What is left is the moment
between our read and our write, which Freshdesk gives no way to close.

Notes and replies are the one thing a retry would duplicate, so they are written once per key
by :mod:`.notes` (a marker, read before write, read again after a 5xx); a ``Notify`` is a note
Freshdesk emails to the agents it names (:mod:`.notify`).

Every field change also stamps what it changed in the custom field
``SERVICEFLOW_FRESHDESK_CHANGE_FIELD`` when it is set, so its webhook is recognised as
serviceflow's (:mod:`.own_writes`).
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
    LinkCase,
    MergeTickets,
    Notify,
    RemoveTags,
    SetPriority,
    SetStatus,
    TicketStatus,
)

from . import codes, ids, notes, notify, own_writes
from .client import FreshdeskClient
from .errors import FreshdeskError, UnsupportedAction
from .models import Ticket
from .notes import marker as marker  # re-exported
from .text import to_html

log = logging.getLogger(__name__)


class InvalidActionTarget(FreshdeskError):
    """The action names something Freshdesk cannot address (e.g. a non-numeric agent id)."""


def numeric_id(value: str, what: str) -> int:
    """A Freshdesk id from serviceflow's string form (canonical: :mod:`.ids`); a clear error for
    anything else, so ``"04"`` or ``"٤"`` never reach ticket 4."""
    try:
        return ids.number(value, what)
    except ids.NotAnId as exc:
        raise InvalidActionTarget(
            f"Freshdesk {exc} (the roster from load_roster carries the ids: pick owners from it)"
        ) from None


async def apply(
    client: FreshdeskClient,
    ticket_id: str,
    action: Action,
    *,
    on_hold_status: int | None = None,
    change_field: str | None = None,
) -> str:
    """Carry out one action; returns ``"done"`` or ``"skipped: ..."``.

    Raises:
        TicketGone: the ticket is gone (from the client, unchanged).
        InvalidActionTarget: an id is not numeric.
        UnsupportedAction: ``on_hold`` without ``SERVICEFLOW_FRESHDESK_ON_HOLD_STATUS``.
    """
    tid = numeric_id(ticket_id, "ticket")
    if isinstance(action, AssignOwner):
        return await _assign(client, tid, action, change_field)
    if isinstance(action, AddInternalNote):
        return (await notes.write_once(client, tid, action.key, action.body, kind="note")).outcome
    if isinstance(action, AddPublicReply):
        return (await notes.write_once(client, tid, action.key, action.body, kind="reply")).outcome
    if isinstance(action, Notify):
        return await notify.apply(client, tid, action)
    if isinstance(action, AddTags | RemoveTags):
        return await _tags(client, tid, action)
    if isinstance(action, SetStatus):
        return await _update(
            client, tid, {"status": status_code(action.status, on_hold_status)}, change_field
        )
    if isinstance(action, SetPriority):
        return await _update(client, tid, {"priority": codes.PRIORITY_OUT[action.priority]}, change_field)
    if isinstance(action, MergeTickets):
        return await _merge(client, tid, action)
    if isinstance(action, LinkCase):
        return "skipped: link_case is carried out by serviceflow, not by Freshdesk"
    return f"skipped: {action.type} is not carried out by the Freshdesk plugin"  # pragma: no cover


def status_code(status: TicketStatus, on_hold_status: int | None) -> int:
    """The Freshdesk status id for a serviceflow status.

    Raises:
        UnsupportedAction: ``on_hold`` and no custom status is configured for it.
    """
    if status is TicketStatus.ON_HOLD:
        if on_hold_status is None:
            raise UnsupportedAction(
                "Freshdesk has no on-hold status; create a custom status and set "
                "SERVICEFLOW_FRESHDESK_ON_HOLD_STATUS to its id"
            )
        return on_hold_status
    return codes.STATUS_OUT[status]


async def _assign(client: FreshdeskClient, tid: int, action: AssignOwner, change_field: str | None) -> str:
    wanted: dict[str, Any] = {}
    if action.agent is not None:
        wanted["responder_id"] = numeric_id(action.agent, "agent")
    if action.group is not None:
        wanted["group_id"] = numeric_id(action.group, "group")
    if not wanted:
        return "skipped: nothing to assign"
    return await _update(client, tid, wanted, change_field)


async def _update(
    client: FreshdeskClient, tid: int, wanted: dict[str, Any], change_field: str | None = None
) -> str:
    """Read, then send only the fields that still differ (a retry is a no-op), stamped as
    serviceflow's own change."""
    ticket = await client.get_ticket(tid)
    diff = {k: v for k, v in wanted.items() if getattr(ticket, k) != v}
    if not diff:
        return "skipped: already so"
    if ticket.spam or ticket.deleted:
        return _not_editable(ticket)
    await client.update_ticket(tid, own_writes.stamped(diff, change_field))
    return "done"


async def _tags(client: FreshdeskClient, tid: int, action: AddTags | RemoveTags) -> str:
    """Tags replace the list on PUT, so merge into the freshly read list and write the result."""
    if not action.tags:
        return "skipped: no tags"
    ticket = await client.get_ticket(tid)
    if ticket.spam or ticket.deleted:
        return _not_editable(ticket)
    current = list(ticket.tags)
    if isinstance(action, AddTags):
        wanted = current + [t for t in dict.fromkeys(action.tags) if t not in current]
    else:
        wanted = [t for t in current if t not in action.tags]
    if wanted == current:
        return "skipped: already so"
    await client.update_ticket(tid, {"tags": wanted})
    return "done"


def _ticket_is_closed(ticket: Ticket) -> bool:
    return ticket.status == codes.STATUS_OUT[TicketStatus.CLOSED]


async def _merge(client: FreshdeskClient, tid: int, action: MergeTickets) -> str:
    """Merge this ticket into ``into_ticket``, with a private note on each side saying so; a
    source already closed (by an earlier merge) makes the retry a no-op (see
    :meth:`FreshdeskClient.merge` for the body)."""
    target = numeric_id(action.into_ticket, "ticket")
    if target == tid:
        return "skipped: a ticket cannot be merged into itself"
    source = await client.get_ticket(tid)  # TicketGone when it is gone
    if _ticket_is_closed(source):
        return "skipped: already closed (merged?)"
    if source.spam or source.deleted:
        return _not_editable(source)
    why = action.reason.strip()[:300]
    await client.merge(
        target,
        [tid],
        note_in_primary={
            "body": to_html(f"serviceflow merged ticket #{tid} into this one: {why}"),
            "private": True,
        },
        note_in_secondary={
            "body": to_html(f"serviceflow merged this ticket into #{target}: {why}"),
            "private": True,
        },
    )
    return "done"


def _not_editable(ticket: Ticket) -> str:
    """Freshdesk answers 405 to any change of a spam or deleted ticket (FD-docs line 164)."""
    where = "trash" if ticket.deleted else "Spam folder"
    return f"skipped: the ticket is in Freshdesk's {where}, where Freshdesk allows no change"
