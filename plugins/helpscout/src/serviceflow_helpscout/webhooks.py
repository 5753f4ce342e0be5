"""Help Scout webhooks in: verify ``X-HelpScout-Signature``, then turn a delivery into TicketEvents.

A delivery names its event in the ``X-HelpScout-Event`` header only; its body is the bare v2
conversation for every ``convo.*`` event but ``convo.deleted`` (``{"id": ...}``), with no event
id, no time and no actor (OFFICIAL event table, CONTRACTS.md §8.3-8.4). So:

- **What happened** is the header: ``convo.created``, ``convo.customer.reply.created``,
  ``convo.agent.reply.created``, ``convo.note.created``, ``convo.assigned``, ``convo.status``,
  ``convo.tags``, ``convo.custom-fields``, ``convo.moved``, ``convo.merged``, and
  ``convo.ai-answers.created`` ("Created (AI Answers)", a v2 conversation body: the current copy
  of https://developer.helpscout.com/webhooks/ lists it). That page documents the event's body
  as the "v2 Conversation object" and nothing more: no source says whether AI Answers records a
  conversation it answered itself, or what ``type`` or ``source`` such a conversation has. So the
  parser decides from the one field the object documents for it, ``status`` ("one of: active,
  all, closed, open, pending, spam", Get Conversation, CONTRACTS.md §2.3): an active, open or
  pending one opens a case as ``convo.created`` does, with the same event id (the two delivered
  for one conversation are one); a closed one, which AI Answers resolved and nobody owes a reply,
  is logged and answered with no event, so no case opens and nobody is made its owner (a
  customer's later reply reopens it, "Unless imported field is set to true, it will re-open
  the updated conversation", and that reply opens the case). ``convo.deleted``,
  the customer, tag, rating, Beacon and survey events, ``helpscout.test`` (the test delivery,
  OFFICIAL-SDK) and any event not documented are acknowledged with no event: no case reacts to
  them. A spam, deleted or draft conversation gives none either (spam is the quarantine's).
- **Who did it, and the words**, are in the conversation's threads, which a delivery may not
  carry (the sources disagree, UNVERIFIED, §8.4): the parser uses ``_embedded.threads`` when the
  body has them and otherwise reads the conversation once (``GET /v2/conversations/{id}
  ?embed=threads``) - that read is why the adapter's ``parse_webhook`` is a coroutine. Who made
  an assignment, status or tag change is :mod:`.own_writes`'.
- **Event ids** are stable across redeliveries: a thread's event is ``helpscout:{conv}:thread:
  {thread id}``; a change's is ``helpscout:{conv}:{event}:{digest of the body}`` (the body is
  the conversation as it was, so a redelivery has the same digest). A reply, note or customer
  message delivery is about one thread (:func:`thread_of`).
- **Times** are the threads' ``createdAt``; for a change, the line item's, else the
  conversation's ``userUpdatedAt`` (the last user update, OFFICIAL field list).

Every body is validated (:mod:`.models`): a wrong shape is ``WebhookRejected("unknown_shape",
"<field>: ...")`` and an id that is not canonical ``WebhookRejected("bad_id", "<field>: ...")``,
both answered 400; nothing else escapes the parser.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from serviceflow.adapters import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Ticket, TicketEvent
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

from . import convert, own_writes, signature
from .models import Conversation, Deleted, Thread
from .settings import HelpScoutSettings

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)

#: "Created (AI Answers)" (the webhooks page's event table).
AI_ANSWERS_CREATED = "convo.ai-answers.created"
#: The documented status of a conversation nobody owes anything: AI Answers closed it itself.
RESOLVED = "closed"

#: The events a case reacts to, each with the thread type that carries it (None: a change).
CONVERSATION_EVENTS: Mapping[str, str | None] = {
    "convo.created": None,
    "convo.ai-answers.created": None,
    "convo.customer.reply.created": "customer",
    "convo.agent.reply.created": "message",
    "convo.note.created": "note",
    "convo.assigned": None,
    "convo.status": None,
    "convo.tags": None,
    "convo.custom-fields": None,
    "convo.moved": None,
    "convo.merged": None,
}
#: Documented events no case reacts to (acknowledged, no event).
IGNORED_EVENTS = frozenset(
    {
        "convo.deleted",
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "satisfaction.ratings",
        "beacon.chat.created",
        "beacon.chat.customer.replied",
        "tag.created",
        "tag.updated",
        "tag.deleted",
        "message.survey.response.received",
        "helpscout.test",
    }
)
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,63}$")
_KINDS = {
    "customer": EventKind.CUSTOMER_MESSAGE,
    "message": EventKind.AGENT_REPLY,
    "note": EventKind.INTERNAL_NOTE,
}

ReadThreads = Callable[[Conversation], Awaitable[Sequence[Thread]]]
Recipient = Callable[[Conversation], Awaitable[str | None]]


def verify_delivery(
    settings: HelpScoutSettings, method: str, headers: Mapping[str, str], body: bytes
) -> WebhookVerdict:
    """Accept a delivery signed with the configured webhook secret, for the account the settings
    name (none when they name none: the receiver answers 503 ``account_not_configured``)."""
    reason = signature.verify(settings.secret(), method, headers.get(signature.SIGNATURE_HEADER), body)
    if reason is not signature.VerifyReason.OK:
        return WebhookVerdict.refuse(reason.value)
    return WebhookVerdict.accept(account=settings.account_or_none())


def event_name(headers: Mapping[str, str]) -> str:
    """The ``X-HelpScout-Event`` of a delivery.

    Raises:
        WebhookRejected: ``missing_event`` (absent or not an event name).
    """
    name = (headers.get(signature.EVENT_HEADER) or "").strip()
    if not _EVENT_NAME.match(name):
        raise WebhookRejected("missing_event", "X-HelpScout-Event is missing or not an event name")
    return name


class FieldRejected(WebhookRejected):
    """A body refused (400) for one field, which it names; the value is never repeated.

    Attributes:
        field: The body's dotted path (``threads.0.createdAt``); keys that are not short
            identifiers (a customer's custom field name) are shown as ``*``.
    """

    def __init__(self, reason: str, field: str, problem: str) -> None:
        super().__init__(reason, f"{field}: {problem}")
        self.field = field


_SAFE_PART = re.compile(r"[A-Za-z0-9_]{1,40}")


def field_path(parts: Sequence[Any]) -> str:
    """A dotted path safe to answer and log: parts that are not short identifiers become ``*``."""
    return ".".join(str(p) if isinstance(p, int) or _SAFE_PART.fullmatch(str(p)) else "*" for p in parts)


def validated(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or the refusal naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        where = field_path(error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        reason = "bad_id" if "Help Scout id" in message else "unknown_shape"
        raise FieldRejected(reason, where, message[:200]) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise WebhookRejected("unknown_shape", f"body: {type(exc).__name__}") from None


def body_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WebhookRejected("not_json", type(exc).__name__) from None


async def parse_delivery(
    body: bytes,
    headers: Mapping[str, str],
    *,
    account: str,
    identity: Identity | None,
    priority_prefix: str,
    read_threads: ReadThreads,
    recipient_of: Recipient,
) -> list[TicketEvent]:
    """The events one delivery carries (an empty list for what a case has no use for).

    Args:
        body: The raw body.
        headers: The request headers, lower-case names.
        account: The account name for the tickets.
        identity: The integration's user; its threads and changes are serviceflow's. None
            (tests of shapes only) recognises nobody.
        priority_prefix: ``SERVICEFLOW_HELPSCOUT_PRIORITY_TAG_PREFIX``.
        read_threads: Reads a conversation's threads when the body has none.
        recipient_of: The address of a conversation's inbox.

    Raises:
        WebhookRejected: ``missing_event``, ``not_json``, ``unknown_shape`` or ``bad_id``.
    """
    event = event_name(headers)
    data = body_json(body)
    if event == "convo.deleted":
        validated(Deleted, data)
        return []
    if event not in CONVERSATION_EVENTS:
        return []  # IGNORED_EVENTS, and events no source documents: acknowledged
    conversation = validated(Conversation, data)
    if conversation.status == convert.SPAM or conversation.state in ("deleted", "draft"):
        return []
    if event == AI_ANSWERS_CREATED and conversation.status == RESOLVED:
        log.info(
            "helpscout: conversation %s: AI Answers created it closed: recorded, no case", conversation.id
        )
        return []
    ticket = convert.ticket_from_conversation(
        conversation,
        account=account,
        priority_prefix=priority_prefix,
        recipient=await recipient_of(conversation),
    )
    kind = CONVERSATION_EVENTS[event]
    needs_threads = kind is not None or event in ("convo.assigned", "convo.status")
    embedded = conversation.thread_list
    threads: Sequence[Thread] = embedded or ()
    if needs_threads and embedded is None:
        threads = await read_threads(conversation)
    digest = hashlib.sha256(event.encode() + b"\n" + body).hexdigest()[:20]
    change_id = f"helpscout:{conversation.id}:{event}:{digest}"
    if event in ("convo.created", AI_ANSWERS_CREATED):
        return [_created(conversation, ticket, threads, identity)]
    if kind is not None:
        return _threads_of(kind, conversation, ticket, threads, identity, fallback_id=change_id)
    return [_change(event, conversation, ticket, threads, identity, change_id)]


# ---------------------------------------------------------------------- the parts


def _created(
    conversation: Conversation, ticket: Ticket, threads: Sequence[Thread], identity: Identity | None
) -> TicketEvent:
    first = min(threads, key=lambda t: (t.createdAt, int(t.id))) if threads else None
    text = convert.plain(first.body) if first is not None else convert.plain(conversation.preview)
    return TicketEvent(
        id=f"helpscout:{conversation.id}:created",
        kind=EventKind.CREATED,
        time=conversation.createdAt,
        actor=own_writes.actor_of(conversation.createdBy, identity),
        ticket=ticket,
        body=text,
    )


def _threads_of(
    kind: str,
    conversation: Conversation,
    ticket: Ticket,
    threads: Sequence[Thread],
    identity: Identity | None,
    *,
    fallback_id: str,
) -> list[TicketEvent]:
    thread = thread_of(kind, conversation, threads)
    if thread is None:  # the read found no such thread: what the body says, once
        return [_from_body(kind, conversation, ticket, identity, fallback_id)]
    return [_thread_event(kind, thread, ticket, identity, conversation)]


def thread_of(kind: str, conversation: Conversation, threads: Sequence[Thread]) -> Thread | None:
    """The thread a reply, note or customer-message delivery is about: the newest of its kind
    (the conversation's opening thread is ``convo.created``'s). A note or reply is a user update,
    so it is no later than the body's ``userUpdatedAt``: a person's note written a moment after
    serviceflow's (and read with it) is not taken for the delivery of serviceflow's."""
    ordered = sorted(threads, key=lambda t: (t.createdAt, int(t.id)))
    opening = ordered[0].id if ordered else None
    mine = [t for t in ordered if t.type == kind and t.id != opening and t.state not in ("draft", "hidden")]
    bound = conversation.userUpdatedAt if kind != "customer" else None
    if bound is not None and any(t.createdAt <= bound for t in mine):
        mine = [t for t in mine if t.createdAt <= bound]
    return mine[-1] if mine else None


def _thread_event(
    kind: str, thread: Thread, ticket: Ticket, identity: Identity | None, conversation: Conversation
) -> TicketEvent:
    if kind == "customer":
        who = thread.customer or thread.createdBy or conversation.primaryCustomer
        actor = Actor(
            id=who.id if who else ticket.requester.id, role=ActorRole.CUSTOMER, name=who.name if who else None
        )
    else:
        actor = own_writes.author(thread, identity)
    return TicketEvent(
        id=f"helpscout:{conversation.id}:thread:{thread.id}",
        kind=_KINDS[kind],
        time=thread.createdAt,
        actor=actor,
        ticket=ticket,
        body=convert.plain(thread.body),
        public=kind != "note",
    )


def _from_body(
    kind: str, conversation: Conversation, ticket: Ticket, identity: Identity | None, event_id: str
) -> TicketEvent:
    if kind == "customer":
        actor = Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER, name=ticket.requester.name)
        waiting = conversation.customerWaitingSince
        time = waiting.time if waiting is not None and waiting.time is not None else conversation.last_change
    else:
        preview = conversation.preview or ""
        actor = (
            own_writes.ours(identity)
            if identity and own_writes.has_marker(preview)
            else Actor(role=ActorRole.AGENT)
        )
        time = conversation.userUpdatedAt or conversation.last_change
    return TicketEvent(
        id=event_id,
        kind=_KINDS[kind],
        time=time,
        actor=actor,
        ticket=ticket,
        body=convert.plain(conversation.preview),
        public=kind != "note",
    )


def _change(
    event: str,
    conversation: Conversation,
    ticket: Ticket,
    threads: Sequence[Thread],
    identity: Identity | None,
    event_id: str,
) -> TicketEvent:
    time = conversation.userUpdatedAt or conversation.last_change
    changes: dict[str, str | None] = {}
    if event in ("convo.assigned", "convo.status"):
        what = "assigned" if event == "convo.assigned" else "status"
        actor, line = own_writes.changer(conversation, threads, identity, what=what)
        kind = EventKind.ASSIGNED if what == "assigned" else EventKind.STATUS_CHANGED
        time = line.createdAt if line is not None else time
    elif event == "convo.tags":
        own = identity is not None and own_writes.is_own_tag_list(convert.tag_names(conversation))
        actor = own_writes.ours(identity) if own and identity else Actor(role=ActorRole.AGENT)
        kind, changes = EventKind.FIELDS_CHANGED, {"tags": None}
    else:  # custom fields, moved, merged: serviceflow makes none of these
        actor = Actor(role=ActorRole.AGENT)
        field = {"convo.custom-fields": "custom_fields", "convo.moved": "mailbox"}.get(event, "merged")
        kind, changes = EventKind.FIELDS_CHANGED, {field: None}
    return TicketEvent(id=event_id, kind=kind, time=time, actor=actor, ticket=ticket, changes=changes)
