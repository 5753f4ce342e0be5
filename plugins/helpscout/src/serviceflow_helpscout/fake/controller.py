"""A contract-faithful fake Help Scout (Mailbox API 2.0) on 127.0.0.1, for tests, demos and
plugin authors.

Usage::

    with FakeHelpScout() as fake:
        ada = fake.add_user("Ada Agent", "ada@shop.example")
        billing = fake.add_team("Billing", members=[ada["id"]])
        casey = fake.add_customer("Casey Customer", "casey@example.com")
        conversation = fake.open_conversation(casey["id"], "Charged twice", "Please refund one.")
        fake.fail_next(2, status=429, retry_after=1)                 # a 429 storm
        fake.add_webhook("http://127.0.0.1:8000/webhooks/helpscout", secret="s3cret")

The account has one OAuth2 app (``app_id`` / ``app_secret``) owned by :attr:`owner`, the user
every API write is made by (the resource owner, CONTRACTS.md §5.2), and an inbox ``Support``
(``support@shop.example``). People's own moves (a customer writes, a person notes, assigns,
closes) are methods here; each fires the webhooks Help Scout would send, as do serviceflow's
writes through the API.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from serviceflow.fakes.calls import CallLog
from serviceflow.fakes.faults import FaultPlan
from serviceflow.fakes.helpdesk import FakeHelpdesk
from serviceflow.fakes.server import ServerThread

from ..convert import plain
from . import changes
from .app import Call, RateWindow, build_app
from .records import Clock, Json
from .state import FakeState
from .webhooks import (
    AI_ANSWERS_CREATED,
    CONVERSATION_EVENTS,
    DEFAULT_RETRY_DELAYS,
    Delivery,
    Dispatcher,
    Subscription,
)

#: "Standard: up to 200 calls per minute" (SECONDARY quoting the KB, CONTRACTS.md §7): the
#: lowest plan's budget.
DEFAULT_RATE_LIMIT = 200
#: ``expires_in`` of every token: 2 days (SECONDARY, several sources agree).
TOKEN_LIFETIME = 172800


def _utc_now() -> datetime:
    return datetime.now(UTC)


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


class FakeHelpScout(FakeHelpdesk[Call, Delivery]):
    """The fake account and its server (see the module docstring)."""

    webhooks: Dispatcher

    def __init__(
        self,
        *,
        clock: Clock = _utc_now,
        app_id: str = "fake-app-id",
        app_secret: str = "fake-app-secret",
        rate_limit: int = DEFAULT_RATE_LIMIT,
        enforce_rate_limit: bool = False,
        page_size: int = 50,
        conversation_page_size: int = 25,
        token_lifetime: int = TOKEN_LIFETIME,
        startup_timeout: float = 10.0,
        webhook_timeout: float = 10.0,
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        """Create a stopped fake.

        Args:
            clock: "Now" for every timestamp (inject one to control time).
            app_id: The OAuth2 app's client id.
            app_secret: Its client secret.
            rate_limit: Requests per minute stated in ``X-RateLimit-Limit-Minute``.
            enforce_rate_limit: Answer 429 once the minute's budget is spent.
            page_size: Items per page of lists (Help Scout: 50).
            conversation_page_size: Items per page of the conversation list (Help Scout: 25).
            token_lifetime: ``expires_in`` of issued tokens, seconds.
            startup_timeout: Seconds :meth:`start` waits for the server.
            webhook_timeout: Per-attempt HTTP timeout of deliveries.
            webhook_retry_delays: Waits before each retry of a failed delivery.
        """
        self.clock = clock
        self.app_id, self.app_secret = app_id, app_secret
        self.company_id = 1
        self.page_size, self.conversation_page_size = page_size, conversation_page_size
        self.token_lifetime = self._token_lifetime = token_lifetime
        self.tokens: dict[str, tuple[int, float]] = {}
        self.state = FakeState(clock=clock)
        self.faults = FaultPlan()
        self.call_log: CallLog[Call] = CallLog()
        self.rate_window = RateWindow(rate_limit, clock)
        self.enforce_rate_limit = enforce_rate_limit
        self._rate_limit = rate_limit
        self.webhooks = Dispatcher(timeout=webhook_timeout, retry_delays=webhook_retry_delays)
        self.state.subscribe(self.webhooks.on_change)
        self._server = ServerThread(build_app(self), name="fake-helpscout", startup_timeout=startup_timeout)
        self.owner: Json = {}
        self.support: Json = {}
        self._seed()

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Back to a fresh account (its token lifetime and rate limit as built); forgets tokens,
        faults, calls, webhooks and deliveries."""
        self.webhooks.wait_idle(timeout=5.0)
        self.state.reset()
        self.tokens.clear()
        self.faults.clear()
        self.call_log.clear()
        self.webhooks.clear()
        self.enforce_rate_limit = False
        self.token_lifetime = self._token_lifetime
        self.rate_window.limit = self._rate_limit
        self.rate_window.reset()
        self._seed()

    def _seed(self) -> None:
        self.owner = self.state.add_user("Serviceflow", "Bot", "serviceflow-bot@shop.example", role="admin")
        self.support = self.state.add_mailbox("Support", "support@shop.example")

    def user_for(self, authorization: str) -> int | None:
        """The user behind ``Bearer <token>``; None for a missing, unknown or expired token."""
        scheme, _, token = authorization.partition(" ")
        found = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if found is None or found[1] <= self.clock().timestamp():
            return None
        return found[0]

    def expire_tokens(self) -> None:
        """Every issued token stops working now (the next call is answered 401)."""
        self.tokens.clear()

    def wait_idle(self, timeout: float = 10.0) -> None:
        self.webhooks.wait_idle(timeout)

    # ------------------------------------------------------------------ seeding

    def add_user(self, name: str, email: str, *, role: str = "user") -> Json:
        first, last = split_name(name)
        return self.state.add_user(first, last, email, role=role)

    def add_team(self, name: str, *, members: Iterable[int] = ()) -> Json:
        return self.state.add_team(name, members)

    def join(self, team_id: int, user_id: int) -> None:
        self.state.join(team_id, user_id)

    def add_mailbox(self, name: str, email: str) -> Json:
        return self.state.add_mailbox(name, email)

    def add_customer(self, name: str, email: str) -> Json:
        first, last = split_name(name)
        return self.state.add_customer(first, last or None, email)

    def add_webhook(
        self,
        url: str,
        *,
        secret: str,
        events: Sequence[str] = CONVERSATION_EVENTS,
        mailbox_ids: Sequence[int] = (),
    ) -> Subscription:
        """A webhook as an admin creates it (Manage > Apps > Webhooks, or ``POST /v2/webhooks``);
        the app's events include ``convo.ai-answers.created`` (:data:`.webhooks.APP_EVENTS`)."""
        return self.webhooks.subscribe(url, secret, tuple(events), tuple(mailbox_ids))

    # ------------------------------------------------------------------ customers and people

    def open_conversation(
        self,
        customer_id: int,
        subject: str,
        body: str,
        *,
        mailbox_id: int | None = None,
        tags: Iterable[str] = (),
        notify: bool = True,
    ) -> Json:
        """A customer's email opens a conversation (``convo.created``)."""
        return changes.open_conversation(
            self.state,
            customer_id=customer_id,
            mailbox_id=mailbox_id or self.support["id"],
            subject=subject,
            body=body,
            tags=tags,
            notify=notify,
        )

    def spam_arrives(
        self, email: str, subject: str, body: str, *, name: str | None = None, mailbox_id: int | None = None
    ) -> Json:
        """Mail Help Scout's filter puts in the Spam folder: a conversation with status ``spam``
        and no webhook (whether ``convo.created`` fires for it is UNVERIFIED)."""
        customer = self.state.customer_by_email(email) or self.add_customer(
            name or email.split("@")[0], email
        )
        return changes.open_conversation(
            self.state,
            customer_id=customer["id"],
            mailbox_id=mailbox_id or self.support["id"],
            subject=subject,
            body=body,
            status="spam",
            notify=False,
        )

    def ai_answers_conversation(
        self, customer_id: int, subject: str, question: str, *, resolved: bool, mailbox_id: int | None = None
    ) -> Json:
        """A conversation AI Answers records (``convo.ai-answers.created``, "Created (AI Answers)",
        body "v2 Conversation object": OFFICIAL, https://developer.helpscout.com/webhooks/).

        The page says no more: whether AI Answers records a conversation it answered itself,
        and the ``type``, ``source`` and threads such a conversation has, are UNVERIFIED. The
        fake's reading: the customer's question is the one thread; ``resolved`` (AI Answers
        answered it) gives ``status`` ``closed``, else ``active`` (handed to the team). Only this
        event is sent, not ``convo.created`` as well (whether Help Scout sends both is UNVERIFIED;
        serviceflow takes the two for one conversation as one event).
        """
        conversation = changes.open_conversation(
            self.state,
            customer_id=customer_id,
            mailbox_id=mailbox_id or self.support["id"],
            subject=subject,
            body=question,
            status="closed" if resolved else "active",
            notify=False,
        )
        self.state.emit(AI_ANSWERS_CREATED, conversation["id"])
        return conversation

    def customer_writes(self, conversation_id: int, body: str) -> Json:
        return changes.customer_writes(self.state, conversation_id, body)

    def user_note(self, conversation_id: int, user_id: int, body: str) -> Json:
        """A person adds a note in Help Scout (``convo.note.created``)."""
        return changes.add_thread(
            self.state, conversation_id, "note", {"text": body, "user": user_id}, actor_id=user_id
        )

    def user_reply(self, conversation_id: int, user_id: int, body: str, *, status: str | None = None) -> Json:
        """A person replies to the customer (``convo.agent.reply.created``)."""
        customer = self.state.conversations[conversation_id]["primaryCustomer"]["id"]
        payload: Json = {"text": body, "user": user_id, "customer": {"id": customer}}
        if status is not None:
            payload["status"] = status
        return changes.add_thread(self.state, conversation_id, "reply", payload, actor_id=user_id)

    def set_status(self, conversation_id: int, user_id: int, status: str) -> None:
        changes.patch(
            self.state,
            conversation_id,
            {"op": "replace", "path": "/status", "value": status},
            actor_id=user_id,
        )

    def assign(self, conversation_id: int, user_id: int, assignee_id: int | None) -> None:
        body: Json = {"op": "remove", "path": "/assignTo"}
        if assignee_id is not None:
            body = {"op": "replace", "path": "/assignTo", "value": assignee_id}
        changes.patch(self.state, conversation_id, body, actor_id=user_id)

    def set_tags(self, conversation_id: int, user_id: int, tags: Sequence[str]) -> None:
        changes.put_tags(self.state, conversation_id, {"tags": list(tags)}, actor_id=user_id)

    def mark_spam(self, conversation_id: int, user_id: int | None = None) -> None:
        changes.mark_spam(self.state, conversation_id, actor_id=user_id)

    def delete(self, conversation_id: int) -> None:
        changes.delete(self.state, conversation_id)

    def merge(self, source_id: int, target_id: int, user_id: int) -> None:
        changes.merge(self.state, source_id, target_id, actor_id=user_id)

    # ------------------------------------------------------------------ inspection

    def conversation(self, conversation_id: int) -> Json:
        """The conversation as the API shows it (merged or deleted: :class:`FakeApiError`)."""
        return self.state.conversation(conversation_id, base_url=self.base_url if self.running else "")

    def conversations(self) -> list[Json]:
        with self.state.lock:
            return [self.state.view(c) for c in self.state.conversations.values()]

    def threads(self, conversation_id: int) -> list[Json]:
        """Its threads, oldest first."""
        with self.state.lock:
            return copy.deepcopy(self.state.threads[conversation_id])

    def texts(self, conversation_id: int) -> list[str]:
        """Every customer message, reply and note as plain text, oldest first."""
        return [
            plain(t["body"])
            for t in self.threads(conversation_id)
            if t["type"] in ("customer", "message", "note")
        ]

    def users(self) -> list[Json]:
        with self.state.lock:
            return [dict(u) for u in self.state.users.values()]

    def teams(self) -> list[Json]:
        with self.state.lock:
            return [dict(t) for t in self.state.teams.values()]

    def mailboxes(self) -> list[Json]:
        with self.state.lock:
            return [dict(m) for m in self.state.mailboxes.values()]

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "app_id": self.app_id, "owner": self.owner["id"]}
