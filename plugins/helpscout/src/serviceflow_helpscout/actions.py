"""Carrying out engine actions in Help Scout, each once per action key.

Every action reads the conversation first and writes only what still differs, so an action that
arrives again (an activity retry) changes nothing:

- **assign_owner**: ``PATCH /assignTo`` replace with the user's id (OFFICIAL, Update
  Conversation). A group alone assigns the team's id: teams appear as assignees of type ``team``
  (OFFICIAL thread examples) and the UI assigns to teams (OFFICIAL KB, "Work with Teams"), but
  that ``/assignTo`` takes a team id is UNVERIFIED (the page says "owner", a Number; §4.1).
- **set_status**: ``PATCH /status`` replace (``active``, ``pending``, ``closed``; see
  :mod:`.convert`); Help Scout has no on-hold status, so ``on_hold`` is refused with a sentence.
- **add_tags / remove_tags / set_priority**: the tag list is replaced whole (``PUT /tags``,
  OFFICIAL), so the freshly read list is merged and written back with serviceflow's stamp
  (:mod:`.own_writes`); there is no concurrency guard (no ETag, no 409), so a tag a person adds
  in the second between the read and the write is lost (DERIVED, §4.2). Priority is a tag.
- **add_internal_note / notify / add_public_reply**: a thread POST is not idempotent, so its text
  ends with the marker ``[sf:<key>]`` and is written only when no thread carries it yet; after a
  5xx or a lost answer the threads are read again before the error is passed on (the write may
  have gone through). The thread keeps the conversation's status explicitly (a reply "will
  reactivate the conversation" otherwise, OFFICIAL), and a reply names the conversation's
  customer, which the API requires. A conversation of 99 threads takes no more (412): refused.
- **merge_tickets**: the Mailbox API has no merge (none is documented): refused with what a
  person does instead. **link_case** is serviceflow's own.
"""

from __future__ import annotations

import logging

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

from . import convert, own_writes
from .client import HelpScoutClient
from .errors import InvalidActionTarget, ServerError, TransportFailed, UnsupportedAction
from .ids import NotAnId, number
from .models import Conversation

log = logging.getLogger(__name__)


def conversation_number(ticket_id: str) -> int:
    """The conversation id an action is about.

    Raises:
        InvalidActionTarget: it is not a canonical Help Scout id.
    """
    return _number(ticket_id, "ticket")


def _number(value: str, what: str) -> int:
    try:
        return number(value, what)
    except NotAnId as exc:
        raise InvalidActionTarget(
            f"{exc} (the roster from load_roster carries Help Scout's ids: pick owners from it)"
        ) from None


async def apply(client: HelpScoutClient, ticket_id: str, action: Action, *, priority_prefix: str) -> str:
    """Carry out one action; ``"done"`` or ``"skipped: ..."``.

    Raises:
        ConversationGone: the conversation is gone or merged away (from the client, unchanged).
        InvalidActionTarget: an id is not a Help Scout id.
        UnsupportedAction: ``on_hold``, a merge.
        ThreadLimitReached: a note or reply on a conversation of 99 threads.
    """
    cid = conversation_number(ticket_id)
    if isinstance(action, AssignOwner):
        return await _assign(client, cid, action)
    if isinstance(action, AddInternalNote):
        return await write_once(client, cid, action.key, action.body, reply=False)
    if isinstance(action, AddPublicReply):
        return await write_once(client, cid, action.key, action.body, reply=True)
    if isinstance(action, Notify):
        return await write_once(client, cid, action.key, notify_body(action), reply=False)
    if isinstance(action, AddTags | RemoveTags):
        return await _tags(client, cid, action, priority_prefix)
    if isinstance(action, SetPriority):
        return await _priority(client, cid, action, priority_prefix)
    if isinstance(action, SetStatus):
        return await _status(client, cid, action.status)
    if isinstance(action, MergeTickets):
        raise UnsupportedAction(
            f"Help Scout's Mailbox API has no merge: merge conversation {ticket_id} into "
            f"{action.into_ticket} in Help Scout (open it, More actions > Merge)"
        )
    if isinstance(action, LinkCase):
        return "skipped: link_case is carried out by serviceflow, not by Help Scout"
    return f"skipped: {action.type} is not carried out by the Help Scout plugin"  # pragma: no cover


def notify_body(action: Notify) -> str:
    """Help Scout has no "notify these people" call: a note addressed to them instead."""
    level = f" (escalation level {action.escalation_level})" if action.escalation_level is not None else ""
    to = ", ".join(action.recipients) or "(no recipients)"
    return f"To: {to}\n{action.subject}{level}\n\n{action.body}"


async def _assign(client: HelpScoutClient, cid: int, action: AssignOwner) -> str:
    if action.agent is not None:
        wanted = _number(action.agent, "agent")
    elif action.group is not None:
        wanted = _number(action.group, "group (a team)")
    else:
        return "skipped: nothing to assign"
    conversation = await client.conversation(cid)
    if conversation.assignee is not None and conversation.assignee.id == str(wanted):
        return "skipped: already so"
    await client.patch(cid, "replace", "/assignTo", wanted)
    return "done"


async def _status(client: HelpScoutClient, cid: int, status: TicketStatus) -> str:
    if status is TicketStatus.ON_HOLD:
        raise UnsupportedAction(
            "Help Scout has no on-hold status: use pending, or snooze the conversation in Help Scout"
        )
    wanted = convert.STATUS_OUT[status]
    conversation = await client.conversation(cid)
    if convert.same_status(conversation.status, wanted):
        return "skipped: already so"
    await client.patch(cid, "replace", "/status", wanted)
    return "done"


async def _tags(client: HelpScoutClient, cid: int, action: AddTags | RemoveTags, prefix: str) -> str:
    if not action.tags:
        return "skipped: no tags"
    conversation = await client.conversation(cid)
    current = own_writes.visible(convert.tag_names(conversation))
    if isinstance(action, AddTags):
        wanted = current + [t for t in dict.fromkeys(action.tags) if t not in current]
    else:
        wanted = [t for t in current if t not in action.tags]
    return await _write_tags(client, cid, current, wanted)


async def _priority(client: HelpScoutClient, cid: int, action: SetPriority, prefix: str) -> str:
    conversation = await client.conversation(cid)
    current = own_writes.visible(convert.tag_names(conversation))
    levels = {convert.priority_tag(p, prefix) for p in type(action.priority)}
    kept = [t for t in current if t.strip().casefold() not in levels]
    wanted = [*kept, convert.priority_tag(action.priority, prefix)]
    return await _write_tags(client, cid, current, wanted)


async def _write_tags(client: HelpScoutClient, cid: int, current: list[str], wanted: list[str]) -> str:
    if sorted(wanted) == sorted(current):
        return "skipped: already so"
    await client.put_tags(cid, own_writes.stamped(wanted))
    return "done"


async def write_once(client: HelpScoutClient, cid: int, key: str, body: str, *, reply: bool) -> str:
    """A note or reply ending with the key's marker, written only when no thread carries it."""
    tag = own_writes.marker(key)
    conversation = await client.conversation(cid, threads=True)
    if _carries(conversation, tag):
        return "skipped: already done"
    text = convert.to_html(f"{body.rstrip()}\n\n{tag}")
    kind = "reply" if reply else "note"
    try:
        if reply:
            customer = conversation.primaryCustomer
            if customer is None:
                raise UnsupportedAction(f"conversation {cid} has no customer to reply to")
            await client.add_reply(cid, customer.id, text, status=conversation.status)
        else:
            await client.add_note(cid, text, status=conversation.status)
    except (ServerError, TransportFailed) as exc:
        if isinstance(exc, TransportFailed) and exc.retry_safe:
            raise  # it never left: nothing can have been written
        if _carries(await client.conversation(cid, threads=True), tag):
            log.info(
                "helpscout: conversation %s: the %s %s was written before the error (%s)", cid, kind, key, exc
            )
            return "done"
        raise
    return "done"


def _carries(conversation: Conversation, tag: str) -> bool:
    """Whether any thread of the conversation carries ``tag`` (in its HTML or its text)."""
    return any(
        tag in (thread.body or "") or tag in convert.plain(thread.body)
        for thread in conversation.thread_list or ()
    )
