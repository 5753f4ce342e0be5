"""Freshdesk webhooks in: check the shared secret, then turn a rule's body into TicketEvents.

Freshdesk has no webhook subscriptions: an automation rule's "Trigger webhook" action POSTs a body
the admin typed, with placeholders that render as **display strings** ("Pending", "High",
"Email"), not codes, and a ``{{triggered_event}}`` in its own non-JSON syntax (CONTRACTS.md
§2.6). The README gives the four rules to create; each pastes :func:`trigger_body` with its own
``serviceflow_event`` literal, because the text ``{{triggered_event}}`` renders for replies is
not known from any stored source (UNVERIFIED), while a literal typed into the rule is certain.

Bodies of Zulip's template (``{"freshdesk_webhook": {...}}`` without ``serviceflow_event``) and of
the "Simple" content mode parse too: the same field names, fewer of them.

**Our own writes** come back too (the rules fire for changes by anyone): an event whose author
is the integration's agent (its :class:`~serviceflow.adapters.Identity`) has the role
``serviceflow``; how the author is known is :mod:`.own_writes`'.

**Event ids.** Freshdesk sends no delivery or event id, and retries a failed call after 5, 30 and
60 minutes. The id is therefore ``freshdesk:{ticket id}:{digest}``, the digest a SHA-256 over the
body's fields (names sorted, whitespace in values collapsed): a redelivery of the same rendered
body gets the same id. The cost: two changes that render byte-identical bodies (the customer
writes the same words twice while nothing else changed) share an id and the second is taken as a
redelivery. A body has no time either, so the event's time is the request's ``Date`` header when
it has a valid one near its receipt (:func:`sent_at`; whether Freshdesk sends ``Date`` is
UNVERIFIED, and nothing signs it), else the time of receipt, ``WebhookRequest.received_at`` (the
receiver's clock, never the wall clock here).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from serviceflow.adapters.records import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent, TicketStatus
from serviceflow.model.bounds import EARLIEST, LATEST
from serviceflow.plugins.webhooks import WebhookVerdict

from . import codes, convert, own_writes, rule_body, text, triggered
from .rule_body import RULE_EVENTS, WRAPPER, BodyRejected, RuleBody
from .settings import FreshdeskSettings
from .webhook_auth import AuthReason, check

__all__ = [
    "DEFAULT_CHANGE_FIELD",
    "RULE_EVENTS",
    "TRIGGER_BODY_TEMPLATE",
    "WRAPPER",
    "BodyRejected",
    "event_id",
    "parse_delivery",
    "sent_at",
    "trigger_body",
    "verify_delivery",
]

#: The "Advanced" JSON content of every rule, with ``__SERVICEFLOW_EVENT__`` replaced by the
#: rule's value from :data:`RULE_EVENTS` (use :func:`trigger_body`). Every value is a string, so
#: the body stays JSON whatever a placeholder renders to. Placeholders verified in Freshdesk's own
#: placeholder list (a stored copy of its Rails source, ``ApiWebhooks::PlaceholderMethods``):
#: ticket.id/url/subject/description/status/priority/source/ticket_type/tags, requester.name/email,
#: agent.email, group.name, latest_public_comment, latest_private_comment. SECONDARY (third-party
#: templates only): ``ticket.requester.id``, ``ticket.agent.id``, ``ticket.group.id``; when one
#: renders empty or stays unrendered the parser falls back on the email or name.
TRIGGER_BODY_TEMPLATE = """{"freshdesk_webhook": {
  "serviceflow_event": "__SERVICEFLOW_EVENT__",
  "triggered_event": "{{triggered_event}}",
  "ticket_id": "{{ticket.id}}",
  "ticket_url": "{{ticket.url}}",
  "ticket_type": "{{ticket.ticket_type}}",
  "ticket_subject": "{{ticket.subject}}",
  "ticket_description": "{{ticket.description}}",
  "ticket_status": "{{ticket.status}}",
  "ticket_priority": "{{ticket.priority}}",
  "ticket_source": "{{ticket.source}}",
  "ticket_tags": "{{ticket.tags}}",
  "requester_id": "{{ticket.requester.id}}",
  "requester_name": "{{ticket.requester.name}}",
  "requester_email": "{{ticket.requester.email}}",
  "agent_id": "{{ticket.agent.id}}",
  "agent_email": "{{ticket.agent.email}}",
  "group_id": "{{ticket.group.id}}",
  "group_name": "{{ticket.group.name}}",
  "latest_public_comment": "{{ticket.latest_public_comment_text}}",
  "latest_private_comment": "{{ticket.latest_private_comment_text}}",
  "serviceflow_change": "{{ticket.cf_serviceflow_change}}"
}}"""

# triggered_event keys for assignment changes. ``{responder_id:{from:<id>,to:<id>}}`` is observed
# (SECONDARY: a third-party README's "Request body in webhook looks like this", code-index id
# 8404947234, an "Agent is updated" rule); the group's spelling and the others are UNVERIFIED.
_ASSIGNEE_KEYS = frozenset({"responder_id", "agent", "agent_id", "responder"})
_GROUP_KEYS = frozenset({"group_id", "group"})
# ticket_action values after which the ticket is out of every queue: nothing for a case to do.
_GONE_ACTIONS = frozenset({"deleted", "delete", "spam", "marked_spam", "marked_as_spam"})
# How far a Date header may lie from the receipt for the event to be dated by it. Nothing signs
# the header (the shared secret covers no header but its own: webhook_auth), and a 1970 one
# started a case with every target breached. Back: Freshdesk retries a failed call 5, 30 and 60
# minutes after the previous attempt, 95 minutes in all ("Receiving webhook failure emails",
# supportsandbox.freshdesk.com/support/solutions/articles/11000000028141; CONTRACTS.md 2.6), so
# two hours cover a Date kept from the first attempt. Whether Freshdesk keeps it, or sets Date
# per attempt as HTTP means it ("the date and time at which the message originated": MDN's Date
# header page, after HTTP Semantics' field.date), and whether it sends Date at all, is UNVERIFIED. Calls
# over the API rate limit are postponed to the next hour, up to 24 hours (support.freshdesk.com
# article 225431, CONTRACTS.md 2.6): one kept that long is dated at its receipt, as late as it
# came. Ahead: clock skew only.
_MAX_PAST = timedelta(hours=2)
_MAX_FUTURE = timedelta(minutes=5)
_AT_RECEIPT = "the event is dated at its receipt"
# The body field a domain-model field the model refused came from (the requester's id is its
# email when the body has no {{ticket.requester.id}}: the ids themselves are checked before).
_BODY_FIELDS = {"ticket.requester.id": "requester_email"}
_MODEL_PREFIX = {"TicketEvent": "", "Ticket": "ticket", "Requester": "ticket.requester", "Actor": "actor"}

log = logging.getLogger(__name__)


#: The custom field the README asks for, whose placeholder :data:`TRIGGER_BODY_TEMPLATE` carries.
DEFAULT_CHANGE_FIELD = "cf_serviceflow_change"


def trigger_body(event: str, *, change_field: str = DEFAULT_CHANGE_FIELD) -> str:
    """The body to paste into the rule for ``event`` (one of :data:`RULE_EVENTS`), carrying the
    custom field ``change_field`` serviceflow stamps its own changes in (see :mod:`.own_writes`).

    Raises:
        ValueError: not a rule event, or not a custom field's API name.
    """
    if event not in RULE_EVENTS:
        raise ValueError(f"unknown rule event {event!r}; use one of {', '.join(RULE_EVENTS)}")
    if not own_writes.FIELD_NAME.match(change_field):
        raise ValueError(f"{change_field!r} is not a custom field's API name (cf_...)")
    body = TRIGGER_BODY_TEMPLATE.replace("__SERVICEFLOW_EVENT__", event)
    return body.replace(f"{{{{ticket.{DEFAULT_CHANGE_FIELD}}}}}", f"{{{{ticket.{change_field}}}}}")


def verify_delivery(settings: FreshdeskSettings, method: str, headers: Mapping[str, str]) -> WebhookVerdict:
    """Accept a delivery that carries the configured secret (custom header or Basic auth), for
    the account the settings name (never one the delivery names: it signs nothing)."""
    reason = check(settings.secret(), method, headers, header_name=settings.webhook_header)
    if reason is not AuthReason.OK:
        return WebhookVerdict.refuse(reason.value)
    return WebhookVerdict.accept(account=settings.account_or_none())


def parse_delivery(
    body: bytes,
    *,
    account: str,
    identity: Identity | None,
    received_at: datetime,
    headers: Mapping[str, str] | None = None,
    overrides: Mapping[str, TicketStatus] | None = None,
) -> list[TicketEvent]:
    """The events one delivery carries (an empty list for what a case has no use for).

    Args:
        body: The raw body.
        account: The account name for the tickets.
        identity: The integration's agent; its notes, replies and stamped changes are
            serviceflow's. Given explicitly; None (tests of payload shapes only) recognises nobody.
        received_at: When the receiver got it (``WebhookRequest.received_at``): the events'
            time unless a ``Date`` header near it says otherwise (:func:`sent_at`).
        headers: The request headers, lower-case names (for ``Date``).
        overrides: ``SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES``.

    Raises:
        WebhookRejected: ``not_json``, ``unknown_shape`` or ``invalid_field``
            (:class:`~.rule_body.BodyRejected`, naming the field); nothing else leaves the parser.
    """
    fields, values = rule_body.read(body)
    try:
        return _events(
            fields, values, account=account, time=sent_at(headers or {}, received_at),
            overrides=overrides, identity=identity,
        )  # fmt: skip
    except ValidationError as exc:  # the domain model's bounds (a requester id no case can hold)
        error = exc.errors(include_input=False, include_url=False)[0]
        parts = [*_MODEL_PREFIX.get(exc.title, "").split("."), *(str(p) for p in error["loc"])]
        where = ".".join(p for p in parts if p.isidentifier())
        problem = str(error["msg"]).removeprefix("Value error, ")
        raise BodyRejected("invalid_field", _BODY_FIELDS.get(where, where or "body"), problem) from None


def event_id(values: Mapping[str, str]) -> str:
    """Stable across redeliveries of one rendered body (see the module docstring). Text JSON
    lets through that no UTF-8 encoder writes (a lone surrogate) is hashed as it came, so the
    receiver, not the hash, names its field."""
    canonical = {k: " ".join(v.split()) for k, v in sorted(values.items())}
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"freshdesk:{values.get('ticket_id', '')}:{digest[:20]}"


# ---------------------------------------------------------------------- the parts


def _events(
    body: RuleBody,
    values: Mapping[str, str],
    *,
    account: str,
    time: datetime,
    overrides: Mapping[str, TicketStatus] | None,
    identity: Identity | None,
) -> list[TicketEvent]:
    fired = _triggered(body.triggered_event)
    rule = body.serviceflow_event
    ticket = _ticket(body, fired, account=account, time=time, overrides=overrides)
    requester = Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER, name=body.requester_name or None)
    agent = Actor(role=ActorRole.AGENT)
    common: dict[str, Any] = {"id": event_id(values), "time": time, "ticket": ticket}
    public_author, public = _comment(body.latest_public_comment)
    private_author, private = _comment(body.latest_private_comment)

    if rule == "customer_reply":
        return [
            TicketEvent(kind=EventKind.CUSTOMER_MESSAGE, actor=requester, body=public, public=True, **common)
        ]
    if rule == "agent_reply":
        author = _author(public_author, identity)
        return [TicketEvent(kind=EventKind.AGENT_REPLY, actor=author, body=public, public=True, **common)]
    created = fired is not None and fired.key == "ticket_action" and fired.value == "created"
    if created or (fired is None and rule == "ticket_created"):
        outbound = codes.source_code(body.ticket_source) in codes.OUTBOUND_SOURCES
        description = text.plain(body.ticket_description)
        return [
            TicketEvent(
                kind=EventKind.CREATED, actor=agent if outbound else requester, body=description, **common
            )
        ]
    if fired is not None and fired.key not in ("note_type", "ticket_action"):
        changer = _changer(fired, body.serviceflow_change, identity)
    else:
        changer = agent
    if fired is None:
        return [TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=agent, **common)]
    if fired.key == "ticket_action":
        if (fired.value or "").lower() in _GONE_ACTIONS:
            return []
        return [TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=agent, **common)]
    if fired.key == "note_type":
        is_private = (fired.value or "").lower() != "public"
        # A public note is visible to the customer in the portal but is no reply (Freshdesk does
        # not email it, nor count it as a response): an internal note that says it is public.
        note, writer = (private, private_author) if is_private else (public, public_author)
        return [
            TicketEvent(
                kind=EventKind.INTERNAL_NOTE,
                actor=_author(writer, identity),
                body=note,
                public=not is_private,
                **common,
            )
        ]
    if fired.key == "status" and fired.is_change:
        before = codes.status(fired.old, overrides=overrides).value if fired.old is not None else None
        return [
            TicketEvent(kind=EventKind.STATUS_CHANGED, actor=changer, changes={"status": before}, **common)
        ]
    if fired.key == "priority" and fired.is_change:
        before = codes.priority(fired.old).value if fired.old is not None else None
        return [
            TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=changer, changes={"priority": before}, **common)
        ]
    if fired.key in _ASSIGNEE_KEYS | _GROUP_KEYS and fired.is_change:
        name = "assignee" if fired.key in _ASSIGNEE_KEYS else "group"
        return [TicketEvent(kind=EventKind.ASSIGNED, actor=changer, changes={name: fired.old}, **common)]
    changes = {fired.key: fired.old} if fired.is_change else {}
    return [TicketEvent(kind=EventKind.FIELDS_CHANGED, actor=changer, changes=changes, **common)]


def _comment(rendered: str) -> tuple[str | None, str]:
    """A comment placeholder's author and plain text (Freshdesk renders "<author> : <body>")."""
    author, body = own_writes.split_comment(rendered)
    return author, text.plain(body) if "<" in body else body


def _author(name: str | None, identity: Identity | None) -> Actor:
    """The agent who wrote a note or reply: serviceflow itself when it is the integration's agent."""
    if identity is not None and name is not None and identity.is_actor(name=name):
        return Actor(id=identity.id, role=ActorRole.SERVICEFLOW, name=identity.name)
    if name is not None and name.casefold() == "system":  # a comment without a user (the source's word)
        return Actor(role=ActorRole.SYSTEM, name=name)
    return Actor(role=ActorRole.AGENT, name=name)


def _changer(fired: triggered.TriggeredEvent, change_stamp: str | None, identity: Identity | None) -> Actor:
    """Who made a field change: serviceflow when it is the change serviceflow stamped."""
    if identity is not None and own_writes.is_own_change(fired, change_stamp):
        return Actor(id=identity.id, role=ActorRole.SERVICEFLOW, name=identity.name)
    return Actor(role=ActorRole.AGENT)


def _ticket(
    body: RuleBody,
    fired: triggered.TriggeredEvent | None,
    *,
    account: str,
    time: datetime,
    overrides: Mapping[str, TicketStatus] | None,
) -> Ticket:
    """The ticket as the body shows it (no created_at in any placeholder: the case keeps its own)."""
    status_name = body.ticket_status
    status_code = codes.status_code(status_name) if status_name else None
    if status_code is None and fired is not None and fired.key == "status" and fired.new:
        status_code = codes.status_code(fired.new)  # a custom status: its id from the change
    status = codes.status(status_code, name=status_name or None, overrides=overrides)
    requester_email = body.requester_email or None
    tags = tuple(t.strip() for t in body.ticket_tags.split(",") if t.strip())
    return Ticket(
        id=body.ticket_id,
        vendor=codes.VENDOR,
        account=account,
        subject=body.ticket_subject,
        status=status,
        priority=codes.priority(body.ticket_priority or None),
        channel=codes.channel(body.ticket_source or None),
        requester=Requester(
            id=body.requester_id or requester_email or "unknown",
            email=requester_email,
            name=body.requester_name or None,
        ),
        assignee=body.agent_id or body.agent_email or None,
        group=body.group_id or body.group_name or None,
        tags=tags,
        custom_fields=convert.custom_status_fields(status_code, status_name or None),
        created_at=time,
        updated_at=time,
    )


def _triggered(raw: str) -> triggered.TriggeredEvent | None:
    if not raw:
        return None
    try:
        return triggered.parse(raw)
    except triggered.TriggeredEventError as exc:
        raise BodyRejected("invalid_field", "triggered_event", str(exc)) from None


def sent_at(headers: Mapping[str, str], received_at: datetime) -> datetime:
    """The ``Date`` header when it is a valid HTTP date no more than two hours before
    ``received_at`` and no more than five minutes after it (see ``_MAX_PAST``), else
    ``received_at``; a header that is not believed is logged, by its offset or length only."""
    raw = headers.get("date")
    if not raw:
        log.debug("freshdesk: no Date header: %s", _AT_RECEIPT)
        return received_at
    try:
        sent = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        log.warning(
            "freshdesk: the Date header (%d characters) is not an HTTP date: %s", len(raw), _AT_RECEIPT
        )
        return received_at
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    offset = sent - received_at
    if -_MAX_PAST <= offset <= _MAX_FUTURE and EARLIEST <= sent < LATEST:  # the model's bounds too:
        return sent  # a header never refuses a delivery
    log.warning(
        "freshdesk: the Date header is %.0f s %s its receipt (believed %.0f s before to %.0f s after): %s",
        abs(offset.total_seconds()), "after" if offset > timedelta(0) else "before",
        _MAX_PAST.total_seconds(), _MAX_FUTURE.total_seconds(), _AT_RECEIPT,
    )  # fmt: skip
    return received_at
