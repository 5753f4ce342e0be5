"""Outgoing webhooks of the fake Freshdesk: automation rules with a "Trigger webhook" action.

Freshdesk has no webhook subscriptions (CONTRACTS.md §2.6): an admin creates automation rules
(on ticket creation, on ticket updates) whose action POSTs a body typed into the rule, with
placeholders rendered as display strings and ``{{triggered_event}}`` in its own syntax. The fake
does the same: each :class:`AutomationRule` has an event, a body template (by default
serviceflow's :func:`~.webhooks.trigger_body`), and the authentication the README tells admins to
set (a custom header, or Basic auth). Only the first matching change of one update is reported.

A failed call (non-2xx or no answer) is retried after 5, 30 and 60 minutes, as Freshdesk
documents; ``retry_delays`` lets tests shorten the waits. That a 4xx counts as failed is read
from the same article's "Possible error responses", whose first is "HTTP Status Code = 400"
(supportsandbox.freshdesk.com article 11000000028141, "Receiving webhook failure emails"); which
other statuses count, and the timeout, are UNVERIFIED. Every
attempt sends the same rendered body, and a ``Date`` header from the fake's clock (whether
Freshdesk sends ``Date`` is UNVERIFIED; the parser does without it).

``{{triggered_event}}`` renderings for status, priority, creation and notes follow real fixtures;
``{responder_id:{from:..,to:..}}`` is observed in a third-party README (SECONDARY, code-index id
8404947234); ``{group_id:..}``, ``{reply_sent:sent}`` and ``{customer_reply:received}`` are the
fake's own guesses (UNVERIFIED) - serviceflow's parser does not depend on them (see
:mod:`.webhooks`).
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from serviceflow.fakes.webhooks import DeliveryWorker

from ..webhooks import trigger_body
from .changes import TicketChange
from .records import Json, display
from .state import FakeState

RuleEvent = Literal["ticket_created", "ticket_updated", "agent_reply", "customer_reply"]
#: Freshdesk's retry schedule after a failed call, in seconds (CONTRACTS.md §2.6).
FRESHDESK_RETRY_DELAYS = (300.0, 1800.0, 3600.0)
# The order in which an update's changed properties are checked; the first one is reported.
_WATCHED = ("status", "priority", "responder_id", "group_id")


@dataclass
class AutomationRule:
    """One automation rule whose action is "Trigger webhook".

    Attributes:
        url: The callback URL (for serviceflow: ``https://<host>/webhooks/freshdesk``).
        event: What fires it: ``ticket_created`` (a ticket-creation rule), ``ticket_updated``
            (status, priority, agent or group changed, or a note added), ``agent_reply``
            (reply is sent), ``customer_reply`` (the requester replies).
        template: The "Advanced" JSON content; serviceflow's body for ``event`` by default.
        header: A custom header sent with every call, e.g. ``("X-Serviceflow-Secret", "s3cret")``.
        basic: "Requires authentication": ``(username, password)`` sent as Basic auth.
        name: The rule's name, for logs.
        active: Inactive rules fire nothing.
    """

    url: str
    event: RuleEvent
    template: str = ""
    header: tuple[str, str] | None = None
    basic: tuple[str, str] | None = None
    name: str = ""
    active: bool = True

    def __post_init__(self) -> None:
        if not self.template:
            self.template = trigger_body(self.event)
        if not self.name:
            self.name = f"serviceflow: {self.event.replace('_', ' ')}"


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: the receiver's status, or the transport error."""

    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    """One rule firing and its attempts; logged once finished.

    Attributes:
        rule: The rule's name.
        url: Target URL.
        ticket_id: The ticket it is about.
        triggered_event: What ``{{triggered_event}}`` rendered as.
        body: The raw body sent.
        headers: The headers of the last attempt.
        attempts: Every attempt, in order.
    """

    rule: str
    url: str
    ticket_id: int
    triggered_event: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    _rule: AutomationRule | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the last attempt got a 2xx."""
        return bool(self.attempts) and 200 <= (self.attempts[-1].status or 0) < 300

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def triggered_event(event: RuleEvent, change: TicketChange) -> str | None:
    """What ``{{triggered_event}}`` renders as when ``change`` fires a rule on ``event``;
    None when the rule does not fire."""
    if event == "ticket_created":
        return "{ticket_action:created}" if change.kind == "created" else None
    if event == "agent_reply":
        return "{reply_sent:sent}" if change.kind == "reply" else None
    if event == "customer_reply":
        return "{customer_reply:received}" if change.kind == "customer_reply" else None
    if change.kind == "note" and change.conversation is not None:
        return "{note_type:" + ("private" if change.conversation["private"] else "public") + "}"
    if change.kind != "updated" or change.before is None:
        return None
    for name in _WATCHED:
        old, new = change.before.get(name), change.after.get(name)
        if old != new:
            before, after = ("" if v is None else v for v in (old, new))
            return "{" + f"{name}:" + "{" + f"from:{before},to:{after}" + "}}"
    return None


def render(template: str, ticket: Json, *, state: FakeState, fired: str, base_url: str) -> str:
    """Render a body template the way Freshdesk does: display strings, JSON-escaped values
    (Zulip's fixtures show escaped quotes), unknown placeholders empty (UNVERIFIED).

    The latest comments render as Freshdesk's own ``liquidize_comment`` does (a stored copy of
    its source, ``Helpdesk::Ticket``): ``"<author name> : <body>"``, with ``System`` for a
    comment without a user, the HTML body for ``latest_*_comment`` and the text for
    ``latest_*_comment_text``. Each custom field is a placeholder ``{{ticket.cf_<name>}}``
    (``ApiWebhooks::PlaceholderMethods`` adds one per custom field).
    """
    with state.lock:
        requester = state.contacts.get(ticket["requester_id"], {})
        agent = state.agents.get(ticket["responder_id"] or -1, {})
        group = state.groups.get(ticket["group_id"] or -1, {})
        conversations = state.conversations.get(ticket["id"], [])
        custom = state.custom_statuses
        names = {cid: c.get("name") for cid, c in state.contacts.items()}
    public = next((c for c in reversed(conversations) if not c["private"]), None)
    private = next((c for c in reversed(conversations) if c["private"]), None)

    def comment(conversation: Json | None, field: str) -> str:
        if conversation is None:
            return ""
        author = names.get(conversation["user_id"]) or "System"
        return f"{author} : {conversation[field]}"

    values: dict[str, Any] = {
        "triggered_event": fired,
        "ticket.id": ticket["id"],
        "ticket.raw_id": ticket["id"],
        "ticket.url": f"{base_url}/helpdesk/tickets/{ticket['id']}",
        "ticket.subject": ticket["subject"],
        "ticket.description": ticket["description"],
        "ticket.description_text": ticket["description_text"],
        "ticket.status": display("status", ticket["status"], custom),
        "ticket.priority": display("priority", ticket["priority"]),
        "ticket.source": display("source", ticket["source"]),
        "ticket.ticket_type": ticket["type"] or "",
        "ticket.tags": ", ".join(ticket["tags"]),
        "ticket.requester.id": ticket["requester_id"],
        "ticket.requester.name": requester.get("name") or "",
        "ticket.requester.email": requester.get("email") or "",
        "ticket.agent.id": agent.get("id", ""),
        "ticket.agent.name": agent.get("contact", {}).get("name") or "",
        "ticket.agent.email": agent.get("contact", {}).get("email") or "",
        "ticket.group.id": group.get("id", ""),
        "ticket.group.name": group.get("name", ""),
        "ticket.latest_public_comment": comment(public, "body"),
        "ticket.latest_private_comment": comment(private, "body"),
        "ticket.latest_public_comment_text": comment(public, "body_text"),
        "ticket.latest_private_comment_text": comment(private, "body_text"),
        **{f"ticket.{k}": "" if v is None else v for k, v in (ticket.get("custom_fields") or {}).items()},
    }

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1).strip(), "")
        return json.dumps(str(value), ensure_ascii=False)[1:-1]

    return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", replace, template)


class WebhookDispatcher(DeliveryWorker[Delivery]):
    """Turns ticket changes into rule firings and sends them from a worker thread."""

    def __init__(
        self,
        state: FakeState,
        *,
        clock: Callable[[], datetime],
        base_url: Callable[[], str],
        timeout: float = 10.0,
        retry_delays: tuple[float, ...] = FRESHDESK_RETRY_DELAYS,
    ) -> None:
        super().__init__(name="fake-freshdesk-webhooks", timeout=timeout)
        self._state = state
        self._clock = clock
        self._base_url = base_url
        self.retry_delays = retry_delays
        self.rules: list[AutomationRule] = []

    # ------------------------------------------------------------------ configuration

    def add_rule(self, rule: AutomationRule) -> AutomationRule:
        """Configure a rule; changes from now on fire it."""
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget rules and the log (in-flight deliveries still finish)."""
        self.rules.clear()
        self.clear_log()

    # ------------------------------------------------------------------ producing and sending

    def on_change(self, change: TicketChange) -> None:
        """State listener: queue one delivery per active rule the change fires."""
        for rule in [r for r in self.rules if r.active]:
            fired = triggered_event(rule.event, change)
            if fired is None:
                continue
            body = render(
                rule.template, change.after, state=self._state, fired=fired, base_url=self._base_url()
            )
            self.enqueue(Delivery(rule.name, rule.url, change.ticket_id, fired, body.encode(), _rule=rule))

    def deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        """Every attempt of one rule firing: the first, then one after each of ``retry_delays``."""
        self._attempts(client, delivery)

    def describe(self, delivery: Delivery) -> str:
        return f"for ticket {delivery.ticket_id}"

    def _attempts(self, client: httpx.Client, delivery: Delivery) -> None:
        rule = delivery._rule
        assert rule is not None
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if attempt and self.pause(delay):  # interruptible: stop() never waits an hour
                return
            headers = self._headers(rule)
            delivery.headers = headers
            try:
                response = client.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                delivery.attempts.append(Attempt(None, f"{type(exc).__name__}: {exc}"))
                continue
            delivery.attempts.append(Attempt(response.status_code))
            if response.is_success:
                return

    def _headers(self, rule: AutomationRule) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "user-agent": "Freshdesk",  # the real value is UNVERIFIED
            "date": email.utils.formatdate(self._clock().timestamp(), usegmt=True),
        }
        if rule.header is not None:
            headers[rule.header[0].lower()] = rule.header[1]
        if rule.basic is not None:
            raw = f"{rule.basic[0]}:{rule.basic[1]}".encode()
            headers["authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        return headers


def body_of(delivery: Delivery) -> Mapping[str, Any]:
    """The rendered fields of a delivery (inside ``freshdesk_webhook``)."""
    data = delivery.json
    inner = data.get("freshdesk_webhook", data) if isinstance(data, dict) else {}
    return inner if isinstance(inner, dict) else {}
