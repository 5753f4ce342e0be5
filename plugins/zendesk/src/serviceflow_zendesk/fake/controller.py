"""A contract-faithful fake Zendesk Support API on 127.0.0.1, for tests, demos and plugin authors.

Usage::

    with FakeZendesk() as fake:
        agent = fake.add_agent("Ada")
        ticket = fake.add_ticket(subject="Charged twice", requester_id=fake.add_user("Bo")["id"])
        fake.fail_next(2, status=429, retry_after=1)           # a 429 storm
        fake.conflict_next(ticket["id"], {"priority": "high"})  # another agent saves first
        fake.add_webhook("http://127.0.0.1:8000/webhooks/zendesk", secret="s3cret")
        spam = fake.add_suspended("bo@example.com", subject="Refund?", cause="Detected as spam")
        ...  # point the plugin at fake.base_url with fake.email / fake.api_token
        assert fake.calls_to("PUT", "/api/v2/tickets/*")[-1].status == 200

Behaviour follows ``shared/vendor/CONTRACTS.md`` §1 and the official OAS: API-token and OAuth
auth (401 ``{"error": "Couldn't authenticate you"}`` otherwise), ``{"ticket": ...}`` wrapping,
404 ``RecordNotFound``, 422 ``RecordInvalid``, 409 on a stale ``updated_stamp``, tags replaced
by ``ticket.tags`` and merged by the Tags endpoints, cursor and offset pagination, rate-limit
headers, signed webhooks in both the event-envelope and the trigger shape, and the suspended
tickets queue (:mod:`.suspended`). The parts of
the fake that are its own choices (where the contract is silent) say so in their docstrings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serviceflow.fakes.helpdesk import FakeHelpdesk
from serviceflow.fakes.server import ServerStartError, ServerThread

from ..signature import ZENDESK_TEST_SECRET
from .app import RateWindow, build_app
from .calls import Call, CallLog, RequestCheck, RequestInfo
from .faults import FaultPlan, PendingConflict
from .notifications import Notification
from .records import FakeApiError, Json
from .state import FakeState
from .suspended import SuspendedQueue
from .suspended_controls import SuspendedTicketControls
from .webhooks import Delivery, WebhookDispatcher, WebhookKind, WebhookTarget, body_bytes

__all__ = [
    "Call",
    "Delivery",
    "FakeApiError",
    "FakeZendesk",
    "RequestInfo",
    "ServerStartError",
    "WebhookTarget",
]

DEFAULT_EMAIL = "admin@example.com"
DEFAULT_API_TOKEN = "fake-api-token"
DEFAULT_OAUTH_TOKEN = "fake-oauth-token"
OTHER_WRITER_NOTE = "Edited by another agent while you were editing (fake concurrent writer)."


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakeZendesk(SuspendedTicketControls, FakeHelpdesk[Call, Delivery]):
    """Controller of one fake Zendesk account and its HTTP server.

    Start it with ``with FakeZendesk() as fake:`` or :meth:`start`/:meth:`stop`. The account
    always has one admin, whose credentials (:attr:`email`, :attr:`api_token`,
    :attr:`oauth_token`) authenticate requests; :meth:`reset` returns to that state. Start, stop,
    faults, the call record and delivery waits are :class:`~serviceflow.fakes.helpdesk.FakeHelpdesk`'s;
    fault and call paths are matched without ``.json``. What happens to the suspended tickets
    queue outside the API is :class:`~.suspended_controls.SuspendedTicketControls`'.
    """

    faults: FaultPlan
    webhooks: WebhookDispatcher

    def __init__(
        self,
        *,
        account_id: int = 12514403,
        clock: Callable[[], datetime] = _utc_now,
        email: str = DEFAULT_EMAIL,
        api_token: str = DEFAULT_API_TOKEN,
        oauth_token: str = DEFAULT_OAUTH_TOKEN,
        rate_limit: int = 700,
        enforce_rate_limit: bool = False,
        request_check: RequestCheck | None = None,
        startup_timeout: float = 10.0,
        webhook_timeout: float = 10.0,
    ) -> None:
        """Create a stopped fake with a seeded admin.

        Args:
            account_id: Sent in webhook envelopes and the ``x-zendesk-account-id`` header.
            clock: "Now" for timestamps; inject one to control time in demos or tests.
            email: The admin's email, for API-token auth.
            api_token: An API token accepted for any active agent or admin.
            oauth_token: An OAuth access token that acts as the admin.
            rate_limit: Requests per minute reported in ``X-Rate-Limit`` (Enterprise: 700).
            enforce_rate_limit: Answer 429 with ``Retry-After`` once the minute's budget is used.
            request_check: Called with every request before it is handled; any problems it
                returns are recorded in :attr:`violations` and answered with a 400. Tests use
                it to hold the client to the OAS.
            startup_timeout: Seconds :meth:`start` waits for the server.
            webhook_timeout: Per-attempt HTTP timeout for webhook deliveries.
        """
        self.clock = clock
        self.state = FakeState(account_id=account_id, clock=clock)
        self.suspended = SuspendedQueue(self.state)
        self.faults = FaultPlan()
        self.call_log = CallLog()
        self.rate_window = RateWindow(rate_limit, clock)
        self.enforce_rate_limit = enforce_rate_limit
        #: Seconds of recent changes the incremental export leaves out (Zendesk: the last minute).
        self.incremental_lag = 60.0
        self.request_check = request_check
        self.violations: list[tuple[RequestInfo, list[str]]] = []
        self.email = email
        self.api_token = api_token
        self.oauth_token = oauth_token
        self.api_tokens: set[str] = set()
        self.oauth_tokens: dict[str, int] = {}
        self.webhooks = WebhookDispatcher(self.state, clock=clock, timeout=webhook_timeout)
        self.state.subscribe(self.webhooks.on_change)
        self._server = ServerThread(build_app(self), name="fake-zendesk", startup_timeout=startup_timeout)
        self.admin: Json = {}
        self._seed()

    # ------------------------------------------------------------------ lifecycle

    def _serving(self) -> None:
        self.state.rebase(self.base_url)

    def reset(self) -> None:
        """Back to a fresh account (admin only); forgets faults, calls, violations, webhooks."""
        self.webhooks.wait_idle(timeout=5.0)
        self.state.reset()
        self.suspended.reset()
        self.faults.clear()
        self.call_log.clear()
        self.violations.clear()
        self.webhooks.clear()
        self.rate_window.reset()
        self.incremental_lag = 60.0
        self._seed()

    def _seed(self) -> None:
        self.admin = self.state.add_user("Fake Admin", email=self.email, role="admin")
        self.api_tokens = {self.api_token}
        self.oauth_tokens = {self.oauth_token: self.admin["id"]}

    # ------------------------------------------------------------------ seeding

    def add_user(self, name: str, *, email: str | None = None, role: str = "end-user", **extra: Any) -> Json:
        """Create a user (an end user by default); ``extra`` overrides UserForAdmin fields."""
        return self.state.add_user(name, email=email, role=role, **extra)

    def add_agent(
        self,
        name: str,
        *,
        email: str | None = None,
        role: str = "agent",
        groups: Iterable[int] = (),
        **extra: Any,
    ) -> Json:
        """Create an agent (or admin) and put them in ``groups``; the first becomes the default."""
        agent = self.state.add_user(name, email=email, role=role, **extra)
        for group_id in groups:
            self.state.add_membership(agent["id"], group_id)
        return self.state.get_user(agent["id"])

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group."""
        return self.state.add_group(name, **extra)

    def add_membership(self, user_id: int, group_id: int, *, default: bool | None = None) -> Json:
        """Put an agent in a group."""
        return self.state.add_membership(user_id, group_id, default=default)

    def add_organization(self, name: str, **extra: Any) -> Json:
        """Create an organization (``tags``, ``domain_names``, ``organization_fields`` in ``extra``)."""
        return self.state.add_organization(name, **extra)

    def add_ticket(
        self,
        subject: str = "Help",
        *,
        description: str = "Please help.",
        requester_id: int | None = None,
        public: bool = True,
        notify: bool = False,
        recipient: str | None = None,
        **fields: Any,
    ) -> Json:
        """Create a ticket as the admin would through the API.

        Args:
            subject: The subject.
            description: The first comment, which becomes the description.
            requester_id: The requester; a new end user when None.
            public: Whether the first comment is public (sets ``is_public``).
            notify: Send webhooks for the creation (off: seeding is set-up, not news).
            recipient: The address the email came to (read-only ``recipient``, set by Zendesk).
            **fields: Any TicketCreateInput field, plus ``created_at``/``updated_at`` to backdate.

        Raises:
            FakeApiError: the fields are invalid, as the API would answer 422.
        """
        if requester_id is None:
            requester_id = self.state.add_user(f"Requester of {subject!r}")["id"]
        payload = {
            "subject": subject,
            "comment": {"body": description, "public": public},
            "requester_id": requester_id,
            **fields,
        }
        system = {"recipient": recipient} if recipient is not None else None
        return self.state.add_ticket(payload, actor_id=self.admin["id"], notify=notify, system_fields=system)

    def add_api_token(self, token: str) -> None:
        """Accept another API token."""
        self.api_tokens.add(token)

    def add_oauth_token(self, token: str, user_id: int) -> None:
        """Accept an OAuth access token acting as ``user_id``."""
        self.oauth_tokens[token] = user_id

    # ------------------------------------------------------------------ inspection

    def ticket(self, ticket_id: int) -> Json:
        """The ticket as the API would return it.

        Raises:
            FakeApiError: 404 when there is no such ticket.
        """
        return self.state.get_ticket(ticket_id)

    def tickets(self) -> list[Json]:
        """Every ticket, by id."""
        return self.state.list_tickets()

    def comments(self, ticket_id: int) -> list[Json]:
        """A ticket's comments, oldest first."""
        return self.state.list_comments(ticket_id)

    def users(self, *roles: str) -> list[Json]:
        """Users, optionally only those with one of ``roles``."""
        return self.state.list_users(roles=roles)

    def groups(self) -> list[Json]:
        """Every group."""
        return self.state.list_groups()

    def notifications(self, ticket_id: int | None = None) -> list[Notification]:
        """The emails Zendesk would have sent about comments (to followers, CCs, the requester),
        oldest first, optionally for one ticket (:mod:`.notifications`)."""
        with self.state.lock:
            return [n for n in self.state.notifications if ticket_id in (None, n.ticket_id)]

    def memberships(self) -> list[Json]:
        """Every group membership."""
        return self.state.list_memberships()

    # ------------------------------------------------------------------ another actor

    def update_ticket(
        self, ticket_id: int, changes: Mapping[str, Any], *, actor_id: int | None = None
    ) -> Json:
        """Change a ticket as someone else would (an agent in the Zendesk UI); fires webhooks.

        Raises:
            FakeApiError: as the API would (404, 409, 422).
        """
        ticket, _audit, _change = self.state.update_ticket(
            ticket_id, changes, actor_id=actor_id if actor_id is not None else self.admin["id"]
        )
        return ticket

    def conflict_next(
        self, ticket_id: int, changes: Mapping[str, Any] | None = None, *, actor_id: int | None = None
    ) -> None:
        """Let another writer save ``ticket_id`` right before the next write request to it.

        Each call queues one such edit; a write request consumes one.

        The write then carries a stale ``updated_stamp`` (if it read the ticket before) and gets
        the 409 of a safe update; an unsafe write silently overwrites, as on the real API.
        ``changes`` defaults to an internal note, which changes no field a test may assert on.
        """
        edit = changes if changes is not None else {"comment": {"body": OTHER_WRITER_NOTE, "public": False}}
        self.faults.add_conflict(PendingConflict(ticket_id, dict(edit), actor_id))

    def apply_pending_conflict(self, ticket_id: int) -> None:
        """Apply the oldest queued other-writer edit for ``ticket_id`` (the server calls this
        before each write request to that ticket)."""
        conflict = self.faults.take_conflict(ticket_id)
        if conflict is None:
            return
        actor = conflict.actor_id if conflict.actor_id is not None else self.admin["id"]
        try:
            self.state.update_ticket(ticket_id, conflict.changes, actor_id=actor)
        except FakeApiError:
            pass  # the ticket is gone or closed: the real request will say so

    # ------------------------------------------------------------------ call record

    def hold_to_oas(self, path: str | Path) -> None:
        """Check every request against the Zendesk OAS at ``path`` (:mod:`.oas`): one that departs
        from it is answered 400 and recorded in :attr:`violations`. Needs the plugin's ``test``
        extra (PyYAML, openapi-schema-validator)."""
        from .oas import OasContract, request_check  # the extra's libraries: only when asked

        self.request_check = request_check(OasContract.from_file(Path(path)))

    def record_violation(self, info: RequestInfo, problems: Sequence[str]) -> None:
        """Note a request that :attr:`request_check` refused (the server calls this)."""
        self.violations.append((info, list(problems)))

    # ------------------------------------------------------------------ webhooks

    def add_webhook(
        self,
        url: str,
        *,
        kind: WebhookKind = "event",
        secret: str = ZENDESK_TEST_SECRET,
        subscriptions: Sequence[str] = ("zen:event-type:ticket.*",),
        template: str | None = None,
    ) -> WebhookTarget:
        """Deliver ticket changes to ``url`` from now on.

        Args:
            url: The receiver (for serviceflow, its webhook app).
            kind: ``event`` (Zendesk's envelope, one delivery per event) or ``trigger`` (one
                delivery per change, body rendered from ``template``).
            secret: The signing secret; Zendesk's static test secret by default.
            subscriptions: Event-type patterns for ``event`` webhooks.
            template: Body template for ``trigger`` webhooks (Liquid-style placeholders).
        """
        target = WebhookTarget(url=url, secret=secret, kind=kind, subscriptions=tuple(subscriptions))
        if template is not None:
            target.template = template
        return self.webhooks.add_target(target)

    def send_webhook(
        self,
        url: str,
        body: Mapping[str, Any] | Sequence[Any] | str | bytes,
        *,
        kind: WebhookKind = "event",
        secret: str = ZENDESK_TEST_SECRET,
        webhook_id: str | None = None,
        timestamp: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Send one signed webhook now, from the calling thread, and return its delivery.

        Bytes and text are sent exactly as given (signatures are over raw bytes); anything else
        as compact JSON. ``timestamp`` overrides the signature timestamp (e.g. a stale one).
        Blocking: call it from a thread other than the receiver's event loop.
        """
        return self.webhooks.send_now(
            url,
            body_bytes(body),
            kind=kind,
            secret=secret,
            webhook_id=webhook_id,
            timestamp=timestamp,
            extra_headers=headers,
        )
