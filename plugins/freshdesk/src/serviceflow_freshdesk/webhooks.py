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
it has a valid one (whether Freshdesk sends it is UNVERIFIED), else the time of receipt.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.adapters.records import Identity
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent, TicketStatus
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

from . import codes, convert, own_writes, text, triggered
from .settings import FreshdeskSettings
from .webhook_auth import AuthReason, check

WRAPPER = "freshdesk_webhook"

#: ``serviceflow_event`` values, one per automation rule (see the README).
RULE_EVENTS = ("ticket_created", "ticket_updated", "agent_reply", "customer_reply")

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

_UNRENDERED = re.compile(r"\{\{.*?\}\}")
_DIGITS = re.compile(r"^\d+$")
# triggered_event keys for assignment changes: UNVERIFIED spellings (none is in a stored fixture).
_ASSIGNEE_KEYS = frozenset({"responder_id", "agent", "agent_id", "responder"})
_GROUP_KEYS = frozenset({"group_id", "group"})
# ticket_action values after which the ticket is out of every queue: nothing for a case to do.
_GONE_ACTIONS = frozenset({"deleted", "delete", "spam", "marked_spam", "marked_as_spam"})
_MAX_FUTURE = timedelta(minutes=5)

Clock = Callable[[], datetime]


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
    """Accept a delivery that carries the configured secret (custom header or Basic auth)."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    reason = check(secret, method, headers, header_name=settings.webhook_header)
    if reason is not AuthReason.OK:
        return WebhookVerdict.refuse(reason.value)
    return WebhookVerdict.accept(account=_account_or_none(settings))


def parse_delivery(
    body: bytes,
    *,
    account: str,
    identity: Identity | None,
    headers: Mapping[str, str] | None = None,
    overrides: Mapping[str, TicketStatus] | None = None,
    clock: Clock | None = None,
) -> list[TicketEvent]:
    """The events one delivery carries (an empty list for what a case has no use for).

    Args:
        body: The raw body.
        account: The account name for the tickets.
        identity: The integration's agent; its notes, replies and stamped changes are
            serviceflow's. Given explicitly; None (tests of payload shapes only) recognises nobody.
        headers: The request headers, lower-case names (for ``Date``).
        overrides: ``SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES``.
        clock: "Now", for deliveries without a ``Date`` header.

    Raises:
        WebhookRejected: ``not_json`` or ``unknown_shape``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected("not_json", str(exc)) from None
    if not isinstance(data, dict):
        raise WebhookRejected("unknown_shape", "the body is not a JSON object")
    fields = data.get(WRAPPER, data)
    if not isinstance(fields, dict) or "ticket_id" not in fields:
        raise WebhookRejected("unknown_shape", f"neither a {WRAPPER!r} object nor a body with a ticket_id")
    values = {str(k): _value(v) for k, v in fields.items()}
    now = (clock or _utc_now)()
    return _events(
        values, account=account, time=_sent_at(headers or {}, now), overrides=overrides, identity=identity
    )


def event_id(values: Mapping[str, str]) -> str:
    """Stable across redeliveries of one rendered body (see the module docstring)."""
    canonical = {k: " ".join(v.split()) for k, v in sorted(values.items())}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"freshdesk:{values.get('ticket_id', '')}:{digest[:20]}"


# ---------------------------------------------------------------------- the parts


def _events(
    values: Mapping[str, str],
    *,
    account: str,
    time: datetime,
    overrides: Mapping[str, TicketStatus] | None,
    identity: Identity | None,
) -> list[TicketEvent]:
    ticket_id = values.get("ticket_id", "")
    if not _DIGITS.match(ticket_id):
        raise WebhookRejected("unknown_shape", f"ticket_id {ticket_id[:40]!r} is not a Freshdesk ticket id")
    fired = _triggered(values.get("triggered_event", ""))
    rule = values.get("serviceflow_event", "")
    ticket = _ticket(values, fired, account=account, time=time, overrides=overrides)
    requester = Actor(
        id=ticket.requester.id, role=ActorRole.CUSTOMER, name=values.get("requester_name") or None
    )
    agent = Actor(role=ActorRole.AGENT)
    common: dict[str, Any] = {"id": event_id(values), "time": time, "ticket": ticket}
    public_author, public = _comment(values.get("latest_public_comment", ""))
    private_author, private = _comment(values.get("latest_private_comment", ""))

    if rule == "customer_reply":
        return [
            TicketEvent(kind=EventKind.CUSTOMER_MESSAGE, actor=requester, body=public, public=True, **common)
        ]
    if rule == "agent_reply":
        author = _author(public_author, identity)
        return [TicketEvent(kind=EventKind.AGENT_REPLY, actor=author, body=public, public=True, **common)]
    created = fired is not None and fired.key == "ticket_action" and fired.value == "created"
    if created or (fired is None and rule == "ticket_created"):
        outbound = codes.source_code(values.get("ticket_source")) in codes.OUTBOUND_SOURCES
        body = text.plain(values.get("ticket_description"))
        return [
            TicketEvent(kind=EventKind.CREATED, actor=agent if outbound else requester, body=body, **common)
        ]
    if fired is not None and fired.key not in ("note_type", "ticket_action"):
        changer = _changer(fired, values.get("serviceflow_change"), identity)
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
        note, author = (private, private_author) if is_private else (public, public_author)
        return [
            TicketEvent(
                kind=EventKind.INTERNAL_NOTE,
                actor=_author(author, identity),
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
    values: Mapping[str, str],
    fired: triggered.TriggeredEvent | None,
    *,
    account: str,
    time: datetime,
    overrides: Mapping[str, TicketStatus] | None,
) -> Ticket:
    """The ticket as the body shows it (no created_at in any placeholder: the case keeps its own)."""
    status_name = values.get("ticket_status", "")
    status_code = codes.status_code(status_name) if status_name else None
    if status_code is None and fired is not None and fired.key == "status" and fired.new:
        status_code = codes.status_code(fired.new)  # a custom status: its id from the change
    status = codes.status(status_code, name=status_name or None, overrides=overrides)
    requester_email = values.get("requester_email") or None
    requester_id = _id(values.get("requester_id")) or requester_email or "unknown"
    tags = tuple(t.strip() for t in values.get("ticket_tags", "").split(",") if t.strip())
    return Ticket(
        id=values["ticket_id"],
        vendor=codes.VENDOR,
        account=account,
        subject=values.get("ticket_subject", ""),
        status=status,
        priority=codes.priority(values.get("ticket_priority")),
        channel=codes.channel(values.get("ticket_source")),
        requester=Requester(
            id=requester_id, email=requester_email, name=values.get("requester_name") or None
        ),
        assignee=_id(values.get("agent_id")) or values.get("agent_email") or None,
        group=_id(values.get("group_id")) or values.get("group_name") or None,
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
        raise WebhookRejected("unknown_shape", str(exc)) from None


def _value(value: Any) -> str:
    """A body value as text; a placeholder Freshdesk left unrendered counts as empty."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    rendered = str(value).strip()
    return "" if _UNRENDERED.fullmatch(rendered) else rendered


def _id(value: str | None) -> str | None:
    return value if value and _DIGITS.match(value) else None


def _sent_at(headers: Mapping[str, str], now: datetime) -> datetime:
    """The ``Date`` header when valid and not in the future (beyond clock skew), else ``now``."""
    raw = headers.get("date")
    if not raw:
        return now
    try:
        sent = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return now
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    return now if sent > now + _MAX_FUTURE else sent


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _account_or_none(settings: FreshdeskSettings) -> str | None:
    try:
        return settings.account
    except Exception:  # noqa: BLE001 - a secret without a domain still verifies
        return None
