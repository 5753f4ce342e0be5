"""Zendesk webhooks in: verify the signature, then turn either kind of body into TicketEvents.

Zendesk has two webhook connection methods and they send nothing alike (CONTRACTS.md §1.9):

- **event subscriptions** send Zendesk's envelope (``type: zen:event-type:ticket.*``, a ticket
  snapshot in ``detail`` with string ids and UPPERCASE enums, a unique envelope ``id``);
- **triggers** send whatever body the admin typed: the one we ask for, and its parse, are in
  :mod:`.triggers`.

Event ids must survive redelivery: the envelope ``id`` does (triggers: :mod:`.triggers`). The
event types read and what each becomes are the tables of :mod:`.event_types`.

**Our own writes.** Event subscriptions fire for changes made through the API too, with the API
user as the actor (CONTRACTS.md §8): serviceflow's own notes, assignments, tags and statuses come
back. The envelope names the actor in ``detail.actor_id`` and a comment's author in
``event.comment.author.id`` (developer.zendesk.com/api-reference/webhooks/event-types/ticket-events:
"Detail object properties"); a trigger body in ``{{current_user.id}}``. When that is the
integration's :class:`~serviceflow.adapters.Identity` (``GET /api/v2/users/me``), the event's
role is ``serviceflow``: it meets no target and acknowledges nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from serviceflow.adapters.records import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent, TicketStatus
from serviceflow.model.ticket import TicketOrganization
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

from . import convert, envelope, onepass
from .envelope import EVENT_PREFIX, EnvelopeRejected
from .event_types import FIELD_EVENTS, GONE_EVENTS, HANDLED_EVENT_TYPES
from .settings import ZendeskSettings
from .signature import verify
from .triggers import TRIGGER_BODY_TEMPLATE, parse_trigger, trigger_event_id

_TICKET_EVENT = f'"{EVENT_PREFIX}ticket.'.encode()  # in the type of every ticket event envelope


def verify_delivery(
    settings: ZendeskSettings, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
) -> WebhookVerdict:
    """Accept a delivery signed with the configured secret inside the replay window.

    Refusal reasons are :class:`~.signature.VerifyReason` values, plus ``not_configured`` when no
    secret is set (refusing, rather than accepting unsigned traffic, is the safe default).
    """
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret is not None else ""
    if not secret:
        return WebhookVerdict.refuse("not_configured")
    result = verify(
        secret,
        headers,
        body,
        now=now or datetime.now(UTC),
        tolerance=settings.tolerance,
    )
    if not result.accepted:
        return WebhookVerdict.refuse(result.reason.value)
    return WebhookVerdict.accept(account=_account_or_none(settings))


def parse_delivery(
    body: bytes, *, account: str, identity: Identity | None, received_at: datetime | None = None
) -> list[TicketEvent]:
    """The events one delivery carries (an empty list for event types serviceflow ignores).

    ``identity`` is the integration's own user: events by it are serviceflow's. It must be given
    explicitly; None (tests of payload shapes only) recognises nobody. ``received_at``
    (``WebhookRequest.received_at``, the receiver's clock) dates what the body leaves undated
    (a ticket without ``created_at``, a trigger body without ``updated_at``); None: now.

    Raises:
        WebhookRejected: ``not_json`` or ``unknown_shape``.
    """
    if _TICKET_EVENT in body:  # most likely a ticket event envelope
        reading = onepass.read(body)  # a new ticket or a comment, as Zendesk sends them
        if reading is not None:
            return _events_read(reading, account=account, identity=identity, received_at=received_at)
        parsed = envelope.read_json(body)  # any other: JSON and models in one pass
        if parsed is not None:
            return events_of(parsed, account=account, identity=identity, received_at=received_at)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WebhookRejected("not_json", f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise WebhookRejected("unknown_shape", "the body is not a JSON object")
    kind = data.get("type")
    if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
        return parse_envelope(data, account=account, identity=identity, received_at=received_at)
    if "ticket_id" in data:
        return parse_trigger(data, account=account, identity=identity, received_at=received_at)
    raise WebhookRejected("unknown_shape", "neither a Zendesk event envelope nor a serviceflow trigger body")


# ---------------------------------------------------------------------- event envelopes


def parse_envelope(
    data: Mapping[str, Any],
    *,
    account: str,
    identity: Identity | None = None,
    received_at: datetime | None = None,
) -> list[TicketEvent]:
    """One event-subscription envelope -> zero or one event (validated first, :mod:`.envelope`).

    Raises:
        EnvelopeRejected: a field of the wrong kind, naming it.
    """
    event_type = str(data["type"]).removeprefix(EVENT_PREFIX)
    if not event_type.startswith("ticket."):
        return []  # user, organization, ... events: nothing for a case to do
    return events_of(envelope.read(dict(data)), account=account, identity=identity, received_at=received_at)


def events_of(
    parsed: envelope.Envelope, *, account: str, identity: Identity | None, received_at: datetime | None = None
) -> list[TicketEvent]:
    """A validated ticket event envelope -> zero or one event.

    Raises:
        EnvelopeRejected: a field of the wrong kind for its event type, naming it.
    """
    event_type = parsed.event_type
    detail, event = parsed.detail, parsed.event
    ticket = ticket_from_detail(detail, account=account, received_at=received_at)
    requester = ticket.requester.id
    actor = _actor(detail.actor_id, requester, identity)
    common: dict[str, Any] = {
        "id": f"zendesk:{parsed.id}",
        "time": parsed.time or ticket.updated_at,
        "ticket": ticket,
    }
    if event_type == "ticket.created":
        return [_created(detail.submitter_id, detail.description, actor, requester, identity, common)]
    if event_type == "ticket.comment_added":
        comment = event.comment or envelope.Comment()
        author = comment.author
        return [
            _comment_event(
                author.id,
                author.name,
                author.is_staff,
                comment.is_public,
                comment.body,
                requester,
                identity,
                common,
            )  # fmt: skip
        ]
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
    if event_type in GONE_EVENTS:
        gone = ticket.model_copy(update={"status": TicketStatus.CLOSED})
        changes = {"status": ticket.status.value, "zendesk_event": GONE_EVENTS[event_type]}
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
    if event_type in FIELD_EVENTS:
        changes = {FIELD_EVENTS[event_type]: _previous_value(event_type, event, ticket)}
        return [TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=actor, changes=changes, **common)]
    return []  # a ticket event type serviceflow does not read (HANDLED_EVENT_TYPES): ignored


def _events_read(
    reading: onepass.Reading, *, account: str, identity: Identity | None, received_at: datetime | None
) -> list[TicketEvent]:
    """:func:`events_of` for an envelope :mod:`.onepass` read: the same builders on the same values."""
    detail = reading.detail
    get = detail.get
    ticket = ticket_of(
        detail["id"], get("subject"), get("status"), get("priority"), reading.channel,
        get("requester_id"), get("assignee_id"), get("group_id"), reading.tags,
        reading.created_at, reading.updated_at, account, received_at,
    )  # fmt: skip
    requester = ticket.requester.id
    actor = _actor(get("actor_id"), requester, identity)
    common: dict[str, Any] = {
        "id": f"zendesk:{reading.id}",
        "time": reading.time or ticket.updated_at,
        "ticket": ticket,
    }
    if reading.created:
        return [_created(get("submitter_id"), get("description"), actor, requester, identity, common)]
    comment, author = reading.comment or {}, reading.author
    return [
        _comment_event(
            author.get("id"),
            author.get("name"),
            author.get("is_staff"),
            comment.get("is_public"),
            comment.get("body"),
            requester,
            identity,
            common,
        )  # fmt: skip
    ]


def ticket_from_detail(
    detail: envelope.Detail, *, account: str, received_at: datetime | None = None
) -> Ticket:
    """The envelope's ``detail`` snapshot as a Ticket (no custom fields or requester email in it)."""
    return ticket_of(
        detail.id, detail.subject, detail.status, detail.priority,
        detail.via.channel if detail.via is not None else None,
        detail.requester_id, detail.assignee_id, detail.group_id, detail.tags,
        detail.created_at, detail.updated_at, account, received_at,
    )  # fmt: skip


#: Ticket.organization's default (``TicketOrganization()``: a webhook's ticket names none), one
#: frozen instance for every ticket instead of one made by the default factory per ticket: the
#: same value and JSON (only ``model_fields_set`` now names the field).
_NO_ORGANIZATION = TicketOrganization()


def ticket_of(
    ticket_id: str,
    subject: str | None,
    status: str | None,
    priority: str | None,
    channel: str | None,
    requester_id: str | None,
    assignee_id: str | None,
    group_id: str | None,
    tags: tuple[str, ...],
    created_at: datetime | None,
    updated_at: datetime | None,
    account: str,
    received_at: datetime | None = None,
) -> Ticket:
    """A ``detail`` snapshot's values (checked: :mod:`.envelope` or :mod:`.onepass`) as a Ticket."""
    created = created_at or received_at or datetime.now(UTC)  # undated: at its receipt
    return Ticket(
        organization=_NO_ORGANIZATION,
        id=ticket_id,
        vendor=convert.VENDOR,
        account=account,
        subject=subject or "",
        status=convert.status(status),
        priority=convert.priority(priority),
        channel=convert.channel(channel),
        requester=Requester(id=requester_id or "unknown"),
        assignee=assignee_id,
        group=group_id,
        tags=tags,
        created_at=created,
        updated_at=updated_at or created,
    )


def _created(
    submitter_id: str | None,
    description: str | None,
    actor: Actor,
    requester: str,
    identity: Identity | None,
    common: dict[str, Any],
) -> TicketEvent:
    # "The submitter always becomes the author of the first comment on the ticket" (OAS
    # TicketObject.submitter_id): the message is the submitter's, whoever saved the ticket.
    # A suspended email serviceflow recovers keeps its author as submitter and requester.
    author = _actor(submitter_id, requester, identity) if submitter_id else actor
    return TicketEvent(kind=EventKind.CREATED, actor=author, body=description or "", **common)


def _comment_event(
    author_id: str | None,
    author_name: str | None,
    is_staff: bool | None,
    public: bool | None,
    body: str | None,
    requester: str,
    identity: Identity | None,
    common: dict[str, Any],
) -> TicketEvent:
    """Who wrote it and who may see it decide the kind: requester (or any non-staff author) ->
    customer message; staff public -> agent reply; staff private -> internal note. A comment by
    the integration itself is serviceflow's, public or not."""
    if identity is not None and identity.is_actor(actor_id=author_id):
        kind = EventKind.INTERNAL_NOTE if public is False else EventKind.AGENT_REPLY
        role = ActorRole.SERVICEFLOW
    elif author_id == requester or is_staff is False:
        kind, role = EventKind.CUSTOMER_MESSAGE, ActorRole.CUSTOMER
    elif public is False:
        kind, role = EventKind.INTERNAL_NOTE, ActorRole.AGENT
    else:
        kind, role = EventKind.AGENT_REPLY, ActorRole.AGENT
    actor = Actor(id=author_id, role=role, name=author_name or None)
    return TicketEvent(kind=kind, actor=actor, body=body or "", public=public, **common)


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
    text = envelope.json_text(previous)
    if len(text) > envelope.MAX_TEXT:
        raise EnvelopeRejected(
            "invalid_field", "event.previous", f"longer than {envelope.MAX_TEXT} characters"
        )
    return text


def _actor(actor_id: str | None, requester: str, identity: Identity | None) -> Actor:
    if actor_id is None or actor_id == "-1":
        return Actor(id=actor_id, role=ActorRole.SYSTEM)
    if identity is not None and identity.is_actor(actor_id=actor_id):
        return Actor(id=actor_id, role=ActorRole.SERVICEFLOW, name=identity.name)
    role = ActorRole.CUSTOMER if actor_id == requester else ActorRole.AGENT
    return Actor(id=actor_id, role=role)


def _account_or_none(settings: ZendeskSettings) -> str | None:
    try:
        return settings.account
    except Exception:  # noqa: BLE001 - a secret without a subdomain still verifies
        return None


__all__ = [
    "HANDLED_EVENT_TYPES",
    "TRIGGER_BODY_TEMPLATE",
    "parse_delivery",
    "parse_envelope",
    "parse_trigger",
    "trigger_event_id",
    "verify_delivery",
]
