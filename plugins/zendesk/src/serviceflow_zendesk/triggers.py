"""Zendesk trigger webhooks: the body serviceflow asks admins to paste, and its parse.

A trigger's "Notify by > Active webhook" action sends whatever body the admin typed (CONTRACTS.md
§1.9). :data:`TRIGGER_BODY_TEMPLATE` is the body we ask for; its placeholders render as display
strings (``"Open"``, ``"High"``, space-separated tags). The invocation id is *not* stable (each
webhook of a trigger gets its own), so the event id is derived from the ticket id, its
``updated_at`` and a hash of the body's fields (:func:`trigger_event_id`). The body names who
changed the ticket in ``{{current_user.id}}``: the integration's own user makes it serviceflow's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from serviceflow.adapters.records import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

from . import convert, trigger_body
from .envelope import json_text

#: The JSON body to paste into a trigger's "Notify by > Active webhook" action. Every value is a
#: string so the body stays valid JSON whatever a placeholder renders to. ``latest_comment_public``
#: and ``current_user_role`` use placeholders whose output is not confirmed by Zendesk's docs as
#: stored here (UNVERIFIED); the parser treats empty or unexpected values as unknown.
TRIGGER_BODY_TEMPLATE = """{
  "serviceflow": "zendesk-trigger/1",
  "ticket_id": "{{ticket.id}}",
  "subject": "{{ticket.title}}",
  "status": "{{ticket.status}}",
  "priority": "{{ticket.priority}}",
  "tags": "{{ticket.tags}}",
  "via": "{{ticket.via}}",
  "requester_id": "{{ticket.requester.id}}",
  "requester_email": "{{ticket.requester.email}}",
  "requester_name": "{{ticket.requester.name}}",
  "assignee_id": "{{ticket.assignee.id}}",
  "group_id": "{{ticket.group.id}}",
  "latest_comment": "{{ticket.latest_comment}}",
  "latest_comment_public": "{{ticket.latest_comment.is_public}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}",
  "current_user_id": "{{current_user.id}}",
  "current_user_role": "{{current_user.role}}"
}"""

#: Body fields whose values identify one trigger firing (hashed into the event id).
_TRIGGER_FIELDS = (
    "ticket_id",
    "subject",
    "title",
    "status",
    "priority",
    "tags",
    "requester_id",
    "assignee_id",
    "group_id",
    "latest_comment",
    "latest_comment_public",
    "updated_at",
    "current_user_id",
)


def parse_trigger(
    data: Mapping[str, Any],
    *,
    account: str,
    identity: Identity | None = None,
    received_at: datetime | None = None,
) -> list[TicketEvent]:
    """A :data:`TRIGGER_BODY_TEMPLATE` body -> one event (validated first, :mod:`.trigger_body`).

    A trigger says *that* something changed, not what: a new comment makes it a message, reply
    or note (by the commenter's role and the comment's visibility, when the body says); without
    one it is reported as ``fields_changed`` with the ticket as it is now.

    Raises:
        EnvelopeRejected: a field of the wrong kind, naming it.
    """
    body = trigger_body.read(dict(data))
    updated = convert.timestamp(body.updated_at, default=received_at)  # undated: at its receipt
    requester = body.requester_id or "unknown"
    ticket = Ticket(
        id=body.ticket_id,
        vendor=convert.VENDOR,
        account=account,
        subject=body.subject or body.title,
        status=convert.status(body.status),
        priority=convert.priority(body.priority),
        channel=convert.channel(body.via),
        requester=Requester(
            id=requester, email=body.requester_email or None, name=body.requester_name or None
        ),
        assignee=body.assignee_id or None,
        group=body.group_id or None,
        tags=tuple(body.tags.split()),
        created_at=updated,  # the template carries no created_at; the case keeps its own
        updated_at=updated,
    )
    actor_id = body.current_user_id or None
    role_text = body.current_user_role.lower()
    if actor_id is None:
        role = ActorRole.SYSTEM
    elif identity is not None and identity.is_actor(actor_id=actor_id):
        role = ActorRole.SERVICEFLOW
    elif actor_id == requester or role_text in ("end-user", "end_user", "end user"):
        role = ActorRole.CUSTOMER
    else:
        role = ActorRole.AGENT
    public = {"true": True, "false": False}.get(body.latest_comment_public.lower())
    comment = body.latest_comment
    if comment and role is ActorRole.CUSTOMER:
        kind = EventKind.CUSTOMER_MESSAGE
    elif comment and public is False:
        kind = EventKind.INTERNAL_NOTE
    elif comment and public is True:
        kind = EventKind.AGENT_REPLY
    else:
        kind = EventKind.FIELDS_CHANGED
    return [
        TicketEvent(
            id=trigger_event_id(data),
            kind=kind,
            time=updated,
            actor=Actor(id=actor_id, role=role),
            ticket=ticket,
            body=comment if kind is not EventKind.FIELDS_CHANGED else "",
            public=public if kind is not EventKind.FIELDS_CHANGED else None,
        )
    ]


def trigger_event_id(body: Mapping[str, Any]) -> str:
    """Stable across redeliveries and across the several webhooks one trigger may call."""
    fields = {name: _text(body, name) for name in _TRIGGER_FIELDS}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]
    return f"zendesk:trigger:{fields['ticket_id']}:{fields['updated_at']}:{digest}"


def _text(body: Mapping[str, Any], name: str) -> str:
    """A field as text for the event id (:func:`trigger_event_id`; the body is validated first)."""
    value = body.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return json_text(value)
