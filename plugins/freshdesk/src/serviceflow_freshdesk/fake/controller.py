"""A contract-faithful fake Freshdesk API v2 on 127.0.0.1, for tests, demos and plugin authors.

Usage::

    with FakeFreshdesk() as fake:
        billing = fake.add_group("Billing")
        ada = fake.add_agent("Ada", email="ada@shop.example", groups=[billing["id"]])
        ticket = fake.add_ticket("Charged twice", email="casey@example.com", priority=3)
        fake.fail_next(2, status=429, retry_after=1)          # a 429 storm
        fake.add_serviceflow_rules("http://127.0.0.1:8000/webhooks/freshdesk", secret="s3cret")
        ...  # point the plugin at fake.base_url with fake.api_key
        assert fake.calls_to("PUT", "/api/v2/tickets/*")[-1].status == 200

Behaviour follows ``shared/vendor/CONTRACTS.md`` §2: the API key as the Basic username (401
otherwise), flat ticket bodies with integer codes, 201 for notes and replies, plain arrays paged
by ``page``/``per_page`` with ``Link: rel="next"``, ``X-RateLimit-*`` headers, 429 with
``Retry-After``, 400 ``{"description": "Validation failed", "errors": [...]}``, spam-flagged
tickets (``filter=spam``), the trash (``DELETE``), and automation rules that call webhooks with a
rendered body. What the fake decides where the contract is silent says so in its docstrings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from serviceflow.fakes.helpdesk import FakeHelpdesk
from serviceflow.fakes.server import ServerStartError, ServerThread

from .. import text
from ..settings import DEFAULT_WEBHOOK_HEADER
from ..webhooks import RULE_EVENTS
from .app import RateWindow, build_app
from .calls import Call, CallLog
from .faults import FaultPlan
from .records import FakeApiError, Json
from .state import FakeState
from .webhooks import (
    FRESHDESK_RETRY_DELAYS,
    AutomationRule,
    Delivery,
    RuleEvent,
    WebhookDispatcher,
)

__all__ = [
    "AutomationRule",
    "Call",
    "Delivery",
    "FakeApiError",
    "FakeFreshdesk",
    "ServerStartError",
]

DEFAULT_API_KEY = "fake-freshdesk-api-key"
DEFAULT_DOMAIN = "acme"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakeFreshdesk(FakeHelpdesk[Call, Delivery]):
    """Controller of one fake Freshdesk account and its HTTP server.

    Start it with ``with FakeFreshdesk() as fake:`` or :meth:`start`/:meth:`stop`. The account
    always has one admin agent whose :attr:`api_key` authenticates requests; :meth:`reset`
    returns to that state. Start, stop, faults, the call record and delivery waits are
    :class:`~serviceflow.fakes.helpdesk.FakeHelpdesk`'s.
    """

    def __init__(
        self,
        *,
        domain: str = DEFAULT_DOMAIN,
        clock: Callable[[], datetime] = _utc_now,
        api_key: str = DEFAULT_API_KEY,
        rate_limit: int = 200,
        enforce_rate_limit: bool = False,
        custom_statuses: Mapping[int, str] | None = None,
        startup_timeout: float = 10.0,
        webhook_timeout: float = 10.0,
        webhook_retry_delays: tuple[float, ...] = FRESHDESK_RETRY_DELAYS,
    ) -> None:
        """Create a stopped fake with a seeded admin.

        Args:
            domain: The account's domain (``acme`` for acme.freshdesk.com); URLs in webhook
                bodies use the fake's own address.
            clock: "Now" for timestamps and webhook ``Date`` headers; inject one to control time.
            api_key: The admin's API key.
            rate_limit: Requests per minute reported in ``X-RateLimit-Total`` (Growth: 200).
            enforce_rate_limit: Answer 429 with ``Retry-After`` once the minute's budget is used.
            custom_statuses: The account's own statuses (default: 6 "Waiting on Customer").
            startup_timeout: Seconds :meth:`start` waits for the server.
            webhook_timeout: Per-attempt HTTP timeout of webhook calls.
            webhook_retry_delays: Waits before each retry of a failed webhook call (Freshdesk:
                5, 30, 60 minutes; tests pass zeros).
        """
        self.domain = domain
        self.clock = clock
        self.api_key = api_key
        self.state = FakeState(clock=clock, custom_statuses=custom_statuses)
        self.faults = FaultPlan()
        self.call_log: CallLog[Call] = CallLog()
        self.rate_window = RateWindow(rate_limit, clock)
        self.enforce_rate_limit = enforce_rate_limit
        self.api_keys: dict[str, int] = {}
        self._server = ServerThread(build_app(self), name="fake-freshdesk", startup_timeout=startup_timeout)
        self.webhooks: WebhookDispatcher = WebhookDispatcher(
            self.state,
            clock=clock,
            base_url=lambda: self.base_url if self.running else f"https://{domain}.freshdesk.com",
            timeout=webhook_timeout,
            retry_delays=webhook_retry_delays,
        )
        self.state.subscribe(self.webhooks.on_change)
        self.admin: Json = {}
        self._seed()

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Back to a fresh account (admin only); forgets faults, calls, rules and deliveries."""
        self.webhooks.wait_idle(timeout=5.0)
        self.state.reset()
        self.faults.clear()
        self.call_log.clear()
        self.webhooks.clear()
        self.enforce_rate_limit = False
        self.rate_window.reset()
        self._seed()

    def _seed(self) -> None:
        self.admin = self.state.directory.add_agent("Fake Admin", email="admin@example.com")
        self.api_keys = {self.api_key: self.admin["id"]}

    # ------------------------------------------------------------------ seeding

    def add_contact(self, name: str, *, email: str | None = None, **extra: Any) -> Json:
        """Create a contact (a customer)."""
        return self.state.directory.add_contact(name, email=email, **extra)

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group."""
        return self.state.directory.add_group(name, **extra)

    def add_agent(self, name: str, *, email: str, groups: Iterable[int] = (), **extra: Any) -> Json:
        """Create an agent in ``groups``."""
        return self.state.directory.add_agent(name, email=email, group_ids=groups, **extra)

    def add_company(
        self,
        name: str,
        *,
        domains: Iterable[str] = (),
        custom_fields: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Json:
        """Create a company; contacts join it with ``add_contact(..., company_id=...)``."""
        return self.state.directory.add_company(name, domains=domains, custom_fields=custom_fields, **extra)

    def add_email_config(self, reply_email: str, *, name: str = "Support", **extra: Any) -> Json:
        """Create a support mailbox; tickets name it with ``email_config_id``."""
        return self.state.directory.add_email_config(reply_email, name=name, **extra)

    def add_api_key(self, key: str, agent_id: int) -> None:
        """Accept another API key, acting as ``agent_id``."""
        self.api_keys[key] = agent_id

    def add_ticket(
        self,
        subject: str = "Help",
        *,
        description: str = "<div>Please help.</div>",
        requester_id: int | None = None,
        email: str | None = None,
        notify: bool = False,
        **fields: Any,
    ) -> Json:
        """Create a ticket as a customer's email would (source Email unless ``source`` is given).

        Args:
            subject: The subject.
            description: The first message (HTML).
            requester_id: The requester; a new contact (from ``email``) when None.
            email: The requester's address, when no ``requester_id``.
            notify: Fire the ticket-creation rules (off: seeding is set-up, not news).
            **fields: Any field Create a Ticket takes (``status``, ``priority``, ``source``,
                ``tags``, ``responder_id``, ``group_id``, ``type``, ``email_config_id``,
                ``company_id``), and what only Freshdesk sets: ``spam``, ``to_emails``,
                ``created_at``/``updated_at``.

        Raises:
            FakeApiError: the fields are invalid, as the API would answer 400.
        """
        payload: dict[str, Any] = {"subject": subject, "description": description, **fields}
        if requester_id is not None:
            payload["requester_id"] = requester_id
        else:
            payload["email"] = email or f"customer-{len(self.state.contacts) + 1}@example.com"
        requester = requester_id if requester_id is not None else None
        return self.state.create_ticket(payload, actor_id=requester, emit=notify, seeding=True)

    # ------------------------------------------------------------------ inspection

    def ticket(self, ticket_id: int) -> Json:
        """The ticket as the API would return it (404 as :class:`FakeApiError`)."""
        return self.state.get_ticket(ticket_id)

    def tickets(self) -> list[Json]:
        """Every ticket (spam and deleted ones too), by id."""
        with self.state.lock:
            ids = sorted(self.state.tickets)
        return [self.state.get_ticket(i) for i in ids]

    def conversations(self, ticket_id: int) -> list[Json]:
        """A ticket's replies and notes, oldest first."""
        return self.state.list_conversations(ticket_id)

    def notes(self, ticket_id: int) -> list[Json]:
        """A ticket's notes (private and public), oldest first."""
        return [c for c in self.conversations(ticket_id) if c["source"] == 2]

    def agents(self) -> list[Json]:
        """Every agent."""
        return self.state.directory.list_agents()

    def groups(self) -> list[Json]:
        """Every group."""
        return self.state.directory.list_groups()

    # ------------------------------------------------------------------ other actors

    def update_ticket(
        self, ticket_id: int, changes: Mapping[str, Any], *, actor_id: int | None = None
    ) -> Json:
        """Change a ticket as an agent in the Freshdesk UI would; fires the update rules."""
        return self.state.update_ticket(ticket_id, changes, actor_id=actor_id or self.admin["id"])

    def add_note(
        self, ticket_id: int, body: str, *, private: bool = True, actor_id: int | None = None
    ) -> Json:
        """An agent adds a note (plain text is turned into HTML); fires the note rules."""
        fields = {"body": text.to_html(body), "private": private}
        return self.state.add_note(ticket_id, fields, actor_id=actor_id or self.admin["id"])

    def agent_reply(self, ticket_id: int, body: str, *, actor_id: int | None = None) -> Json:
        """An agent replies to the requester; fires the agent-reply rules."""
        return self.state.add_reply(
            ticket_id, {"body": text.to_html(body)}, actor_id=actor_id or self.admin["id"]
        )

    def customer_reply(self, ticket_id: int, body: str) -> Json:
        """The requester writes again; fires the customer-reply rules."""
        return self.state.customer_reply(ticket_id, text.to_html(body))

    def mark_spam(self, ticket_id: int) -> Json:
        """An agent (or a rule) flags the ticket as spam; no webhook."""
        return self.state.set_flags(ticket_id, actor_id=self.admin["id"], spam=True)

    def not_spam(self, ticket_id: int) -> Json:
        """A person opens the ticket in the Spam view and clicks "Not Spam" (the public API
        cannot: see :mod:`serviceflow_freshdesk.quarantine`); no webhook."""
        return self.state.set_flags(ticket_id, actor_id=self.admin["id"], spam=False)

    def delete(self, ticket_id: int) -> None:
        """Move a ticket to the trash, as an agent in the UI would (spam ones too)."""
        self.state.set_flags(ticket_id, actor_id=self.admin["id"], deleted=True)

    def notified(self, ticket_id: int | None = None) -> list[str]:
        """Every address Freshdesk would have emailed about notes (``notify_emails``), in order;
        of one ticket's notes when ``ticket_id`` is given."""
        with self.state.lock:
            return [e for n in self.state.notified if ticket_id in (None, n.ticket_id) for e in n.emails]

    def purge(self, ticket_id: int) -> None:
        """Delete a ticket for good (Freshdesk empties spam and trash after 30 days)."""
        self.state.purge(ticket_id)

    def merge(
        self,
        primary_id: int,
        ticket_ids: Sequence[int],
        *,
        actor_id: int | None = None,
        note_in_primary: Mapping[str, Any] | None = None,
        note_in_secondary: Mapping[str, Any] | None = None,
    ) -> None:
        """Merge ``ticket_ids`` into ``primary_id``: each source gets ``note_in_secondary`` and is
        closed; the primary gets ``note_in_primary`` (FD-docs lines 1718-1732: "the note added to
        the primary ticket ... A default note gets added if this is not specified"; the default
        wording is the fake's own, UNVERIFIED). As Freshdesk's own merge code does, every listed
        id is a source, the primary too when it is listed: it is closed as merged into itself
        (``MergeController`` loads every listed id as a source and ``TicketMerge`` closes each,
        with no exception for the target: code-index ids 15437316117, 15032611033; see
        :meth:`serviceflow_freshdesk.client.FreshdeskClient.merge`)."""
        actor = actor_id or self.admin["id"]
        listed = ", ".join(f"#{t}" for t in ticket_ids)
        primary_note = dict(
            note_in_primary or {"body": f"<div>Merged tickets {listed} into this ticket</div>"}
        )
        secondary_note = dict(note_in_secondary or {"body": f"<div>Merged into ticket #{primary_id}</div>"})
        self.state.get_ticket(primary_id)
        for source in ticket_ids:
            self.state.get_ticket(source)
        for source in ticket_ids:
            self.state.add_note(source, secondary_note, actor_id=actor, emit=False)
            self.state.update_ticket(source, {"status": 5}, actor_id=actor)
        self.state.add_note(primary_id, primary_note, actor_id=actor)

    # ------------------------------------------------------------------ webhooks

    def add_rule(
        self,
        url: str,
        event: RuleEvent,
        *,
        secret: str | None = None,
        header: str = DEFAULT_WEBHOOK_HEADER,
        basic: tuple[str, str] | None = None,
        template: str | None = None,
    ) -> AutomationRule:
        """Add an automation rule that calls ``url`` on ``event``.

        Args:
            url: The callback URL.
            event: ``ticket_created``, ``ticket_updated``, ``agent_reply`` or ``customer_reply``.
            secret: Sent in the custom header ``header`` (None: no custom header).
            header: The custom header's name.
            basic: "Requires authentication" credentials, sent as Basic auth.
            template: The body; serviceflow's template for ``event`` by default.
        """
        rule = AutomationRule(
            url=url,
            event=event,
            template=template or "",
            header=(header, secret) if secret is not None else None,
            basic=basic,
        )
        return self.webhooks.add_rule(rule)

    def add_serviceflow_rules(
        self, url: str, *, secret: str, auth: str = "header", header: str = DEFAULT_WEBHOOK_HEADER
    ) -> list[AutomationRule]:
        """The four rules of the README, authenticated by the custom header (``auth="header"``)
        or by Basic auth with the secret as password (``auth="basic"``)."""
        if auth not in ("header", "basic"):
            raise ValueError("auth is 'header' or 'basic'")
        rules = []
        for event in RULE_EVENTS:
            if auth == "header":
                rules.append(self.add_rule(url, event, secret=secret, header=header))  # type: ignore[arg-type]
            else:
                rules.append(self.add_rule(url, event, basic=("serviceflow", secret)))  # type: ignore[arg-type]
        return rules
