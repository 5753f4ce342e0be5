"""Zendesk webhooks in: verify the signature, then turn either kind of body into TicketEvents.

Zendesk has two webhook connection methods and they send nothing alike (CONTRACTS.md §1.9):

- **event subscriptions** send Zendesk's envelope (``type: zen:event-type:ticket.*``, a ticket
  snapshot in ``detail`` with string ids and UPPERCASE enums, a unique envelope ``id``);
- **triggers** send whatever body the admin typed. :data:`TRIGGER_BODY_TEMPLATE` is the body we
  ask admins to paste; its placeholders render as display strings (``"Open"``, ``"High"``,
  space-separated tags).

Event ids must survive redelivery: the envelope ``id`` does; for triggers the invocation id does
*not* (each webhook of a trigger gets its own), so the id is derived from the ticket id, its
``updated_at`` and a hash of the body's fields.

**Our own writes.** Event subscriptions fire for changes made through the API too, with the API
user as the actor (CONTRACTS.md §8): serviceflow's own notes, assignments, tags and statuses come
back. The envelope names the actor in ``detail.actor_id`` and a comment's author in
``event.comment.author.id`` (developer.zendesk.com/api-reference/webhooks/event-types/ticket-events:
"Detail object properties"); a trigger body in ``{{current_user.id}}``. When that is the
integration's :class:`~serviceflow.adapters.Identity` (``GET /api/v2/users/me``), the event's
role is ``serviceflow``: it meets no target and acknowledges nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from serviceflow.adapters.records import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent, TicketStatus
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

from . import convert, envelope, trigger_body
from .envelope import EVENT_PREFIX, EnvelopeRejected
from .settings import ZendeskSettings
from .signature import verify

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
# Field-change event types -> the name used in ``TicketEvent.changes``.
#: Every ticket event type on Zendesk's ticket-events page (developer.zendesk.com/api-reference/
#: webhooks/event-types/ticket-events; the list continues on the integration-services copy of the
#: page, CONTRACTS.md §1.9 and §8) that is a change of a ticket field -> the name the change gets in
#: ``TicketEvent.changes`` (its previous value). The comment edits count as field changes too: a
#: person worked on the ticket, but wrote nothing new.
_FIELD_EVENTS = {
    "ticket.priority_changed": "priority",
    "ticket.subject_changed": "subject",
    "ticket.tags_changed": "tags",
    "ticket.custom_field_changed": "custom_fields",
    "ticket.description_changed": "description",
    "ticket.external_id_changed": "external_id",
    "ticket.form_changed": "form",
    "ticket.brand_changed": "brand",
    "ticket.organization_changed": "organization",
    "ticket.requester_changed": "requester",
    "ticket.submitter_changed": "submitter",
    "ticket.type_changed": "type",
    "ticket.task_due_at_changed": "due_at",
    "ticket.problem_link_changed": "problem",
    "ticket.email_ccs_changed": "email_ccs",
    "ticket.followers_changed": "followers",
    "ticket.comment_made_private": "comment_made_private",
    "ticket.comment_redacted": "comment_redacted",
    "ticket.attachment_linked_to_comment": "attachment_linked",
    "ticket.attachment_redacted_from_comment": "attachment_redacted",
}
#: Events after which the ticket is out of every queue: for serviceflow it is closed (the
#: ticket's own ``detail.status`` may still read as before).
_GONE_EVENTS = {
    "ticket.marked_as_spam": "marked_as_spam",
    "ticket.soft_deleted": "soft_deleted",
    "ticket.permanently_deleted": "permanently_deleted",
}
#: Every ticket event type the parser reads; any other ``ticket.*`` type (Zendesk adds some, e.g.
#: ``csat_received``, ``sla_policy_changed``) is answered as ignored: no event, no error.
HANDLED_EVENT_TYPES = frozenset(
    {
        "ticket.created",
        "ticket.comment_added",
        "ticket.agent_assignment_changed",
        "ticket.group_assignment_changed",
        "ticket.status_changed",
        "ticket.custom_status_changed",
        "ticket.merged",
        "ticket.undeleted",
        *_FIELD_EVENTS,
        *_GONE_EVENTS,
    }
)


def verify_delivery(
    settings: ZendeskSettings, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
) -> WebhookVerdict:
    """Accept a delivery signed with the configured secret inside the replay window.

    Refusal reasons are :class:`~.signature.VerifyReason` values, plus ``not_configured`` when no
    secret is set (refusing, rather than accepting unsigned traffic, is the safe default).
    """
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        return WebhookVerdict.refuse("not_configured")
    result = verify(
        settings.webhook_secret.get_secret_value(),
        headers,
        body,
        now=now or datetime.now(UTC),
        tolerance=settings.tolerance,
    )
    if not result.accepted:
        return WebhookVerdict.refuse(result.reason.value)
    return WebhookVerdict.accept(account=_account_or_none(settings))


def parse_delivery(body: bytes, *, account: str, identity: Identity | None) -> list[TicketEvent]:
    """The events one delivery carries (an empty list for event types serviceflow ignores).

    ``identity`` is the integration's own user: events by it are serviceflow's. It must be given
    explicitly; None (tests of payload shapes only) recognises nobody.

    Raises:
        WebhookRejected: ``not_json`` or ``unknown_shape``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WebhookRejected("not_json", f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise WebhookRejected("unknown_shape", "the body is not a JSON object")
    kind = data.get("type")
    if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
        return parse_envelope(data, account=account, identity=identity)
    if "ticket_id" in data:
        return parse_trigger(data, account=account, identity=identity)
    raise WebhookRejected("unknown_shape", "neither a Zendesk event envelope nor a serviceflow trigger body")


# ---------------------------------------------------------------------- event envelopes


def parse_envelope(
    data: Mapping[str, Any], *, account: str, identity: Identity | None = None
) -> list[TicketEvent]:
    """One event-subscription envelope -> zero or one event (validated first, :mod:`.envelope`).

    Raises:
        EnvelopeRejected: a field of the wrong kind, naming it.
    """
    event_type = str(data["type"]).removeprefix(EVENT_PREFIX)
    if not event_type.startswith("ticket."):
        return []  # user, organization, ... events: nothing for a case to do
    parsed = envelope.read(dict(data))
    detail, event = parsed.detail, parsed.event
    ticket = ticket_from_detail(detail, account=account)
    requester = ticket.requester.id
    actor = _actor(detail.actor_id, requester, identity)
    common: dict[str, Any] = {
        "id": f"zendesk:{parsed.id}",
        "time": parsed.time or ticket.updated_at,
        "ticket": ticket,
    }
    if event_type == "ticket.created":
        # "The submitter always becomes the author of the first comment on the ticket" (OAS
        # TicketObject.submitter_id): the message is the submitter's, whoever saved the ticket.
        # A suspended email serviceflow recovers keeps its author as submitter and requester.
        author = _actor(detail.submitter_id, requester, identity) if detail.submitter_id else actor
        return [TicketEvent(kind=EventKind.CREATED, actor=author, body=detail.description or "", **common)]
    if event_type == "ticket.comment_added":
        return [_comment_event(event.comment or envelope.Comment(), requester, identity, common)]
    if event_type in ("ticket.agent_assignment_changed", "ticket.group_assignment_changed"):
        name = "assignee" if event_type == "ticket.agent_assignment_changed" else "group"
        changes = {name: _previous_id(event)}
        return [TicketEvent(kind=EventKind.ASSIGNED, actor=actor, changes=changes, **common)]
    if event_type == "ticket.status_changed":
        previous = _previous_text(event)
        changes = {"status": convert.status(previous).value if previous else None}
        return [TicketEvent(kind=EventKind.STATUS_CHANGED, actor=actor, changes=changes, **common)]
    if event_type == "ticket.custom_status_changed":
        # The account's own status (OAS CustomStatusObject); the ticket's category stays in
        # detail.status. The shape of event.previous (an id, or an object) is UNVERIFIED.
        changes = {"custom_status": _previous_value(event_type, event, ticket)}
        return [TicketEvent(kind=EventKind.STATUS_CHANGED, actor=actor, changes=changes, **common)]
    if event_type in _GONE_EVENTS:
        gone = ticket.model_copy(update={"status": TicketStatus.CLOSED})
        changes = {"status": ticket.status.value, "zendesk_event": _GONE_EVENTS[event_type]}
        return [
            TicketEvent(
                kind=EventKind.STATUS_CHANGED, actor=actor, changes=changes, **{**common, "ticket": gone}
            )
        ]
    if event_type == "ticket.undeleted":
        # Back from the deleted view with the status it had (detail.status): it was closed to us.
        changes = {"status": TicketStatus.CLOSED.value, "zendesk_event": "undeleted"}
        return [TicketEvent(kind=EventKind.STATUS_CHANGED, actor=actor, changes=changes, **common)]
    if event_type == "ticket.merged":
        # On the ticket merged away; the target as the fake sends it (target_ticket_id) is
        # UNVERIFIED, so the ticket keeps the status detail gives (a merged-away ticket is closed).
        changes = {"merged_into": _optional_id(event, "target_ticket_id"), "zendesk_event": "merged"}
        return [TicketEvent(kind=EventKind.STATUS_CHANGED, actor=actor, changes=changes, **common)]
    if event_type in _FIELD_EVENTS:
        changes = {_FIELD_EVENTS[event_type]: _previous_value(event_type, event, ticket)}
        return [TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=actor, changes=changes, **common)]
    return []  # a ticket event type serviceflow does not read (HANDLED_EVENT_TYPES): ignored


def ticket_from_detail(detail: envelope.Detail, *, account: str) -> Ticket:
    """The envelope's ``detail`` snapshot as a Ticket (no custom fields or requester email in it)."""
    created = detail.created_at or datetime.now(UTC)
    return Ticket(
        id=detail.id,
        vendor=convert.VENDOR,
        account=account,
        subject=detail.subject or "",
        status=convert.status(detail.status),
        priority=convert.priority(detail.priority),
        channel=convert.channel(detail.via.channel if detail.via is not None else None),
        requester=Requester(id=detail.requester_id or "unknown"),
        assignee=detail.assignee_id,
        group=detail.group_id,
        tags=detail.tags,
        created_at=created,
        updated_at=detail.updated_at or created,
    )


def _comment_event(
    comment: envelope.Comment, requester: str, identity: Identity | None, common: dict[str, Any]
) -> TicketEvent:
    """Who wrote it and who may see it decide the kind: requester (or any non-staff author) ->
    customer message; staff public -> agent reply; staff private -> internal note. A comment by
    the integration itself is serviceflow's, public or not."""
    author = comment.author
    author_id = author.id
    public = comment.is_public
    if identity is not None and identity.is_actor(actor_id=author_id):
        kind = EventKind.INTERNAL_NOTE if public is False else EventKind.AGENT_REPLY
        role = ActorRole.SERVICEFLOW
    elif author_id == requester or author.is_staff is False:
        kind, role = EventKind.CUSTOMER_MESSAGE, ActorRole.CUSTOMER
    elif public is False:
        kind, role = EventKind.INTERNAL_NOTE, ActorRole.AGENT
    else:
        kind, role = EventKind.AGENT_REPLY, ActorRole.AGENT
    actor = Actor(id=author_id, role=role, name=author.name or None)
    return TicketEvent(kind=kind, actor=actor, body=comment.body or "", public=public, **common)


def _extra(event: envelope.Event, name: str) -> Any:
    return (event.model_extra or {}).get(name)


def _previous_text(event: envelope.Event) -> str | None:
    """``event.previous`` of a status, priority or subject change: text or null."""
    previous = _extra(event, "previous")
    if previous is not None and not isinstance(previous, str):
        raise EnvelopeRejected("invalid_field", "event.previous", "not a string")
    if previous is not None and envelope.has_surrogate(previous):
        raise EnvelopeRejected("invalid_field", "event.previous", "a lone surrogate is not Unicode text")
    if previous is not None and len(previous) > envelope.MAX_TEXT:
        raise EnvelopeRejected(
            "invalid_field", "event.previous", f"longer than {envelope.MAX_TEXT} characters"
        )
    return previous


def _previous_id(event: envelope.Event) -> str | None:
    """``event.previous`` of an assignment change: an id, or none."""
    return _optional_id(event, "previous")


def _optional_id(event: envelope.Event, name: str) -> str | None:
    try:
        return envelope.optional_id(_extra(event, name))
    except ValueError as exc:
        raise EnvelopeRejected("invalid_field", f"event.{name}", str(exc)) from None


def _previous_value(event_type: str, event: envelope.Event, ticket: Ticket) -> str | None:
    if event_type == "ticket.tags_changed":
        added = set(event.tags_added)
        removed = [t for t in event.tags_removed if t not in ticket.tags]
        return " ".join([t for t in ticket.tags if t not in added] + removed)
    if event_type in ("ticket.priority_changed", "ticket.subject_changed"):
        previous = _previous_text(event)
        if event_type == "ticket.priority_changed":
            return convert.priority(previous).value  # none is "normal", as on the ticket
        return previous
    previous = _extra(event, "previous")
    if previous is None or isinstance(previous, str):
        return _previous_text(event)
    text = _json(previous)
    if len(text) > envelope.MAX_TEXT:
        raise EnvelopeRejected(
            "invalid_field", "event.previous", f"longer than {envelope.MAX_TEXT} characters"
        )
    return text


def _json(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (ValueError, TypeError, RecursionError):  # only what json.loads read gets here
        return "<unreadable>"


def _actor(actor_id: str | None, requester: str, identity: Identity | None) -> Actor:
    if actor_id is None or actor_id == "-1":
        return Actor(id=actor_id, role=ActorRole.SYSTEM)
    if identity is not None and identity.is_actor(actor_id=actor_id):
        return Actor(id=actor_id, role=ActorRole.SERVICEFLOW, name=identity.name)
    role = ActorRole.CUSTOMER if actor_id == requester else ActorRole.AGENT
    return Actor(id=actor_id, role=role)


# ---------------------------------------------------------------------- trigger bodies


def parse_trigger(
    data: Mapping[str, Any], *, account: str, identity: Identity | None = None
) -> list[TicketEvent]:
    """A :data:`TRIGGER_BODY_TEMPLATE` body -> one event (validated first, :mod:`.trigger_body`).

    A trigger says *that* something changed, not what: a new comment makes it a message, reply
    or note (by the commenter's role and the comment's visibility, when the body says); without
    one it is reported as ``fields_changed`` with the ticket as it is now.

    Raises:
        EnvelopeRejected: a field of the wrong kind, naming it.
    """
    body = trigger_body.read(dict(data))
    updated = convert.timestamp(body.updated_at)
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
    return _json(value)


def _account_or_none(settings: ZendeskSettings) -> str | None:
    try:
        return settings.account
    except Exception:  # noqa: BLE001 - a secret without a subdomain still verifies
        return None
