"""What a plugin hands the conformance suite: its adapter, and a driver of its own fake.

The one fixture a plugin writes, ``helpdesk_contract``, returns a :class:`ContractTarget`. The
suite then holds the adapter to the contract over real HTTP against the fake, moving the fake
through :class:`ContractDesk` (vendor-neutral moves, each a few lines of the plugin's own
fake's API).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from serviceflow.adapters.protocol import HelpdeskAdapter, WebhookRequest


@dataclass
class SleepRecorder:
    """An injectable ``sleep`` (the transport's) that records the delays and returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass(frozen=True)
class Tampering:
    """A delivery changed the way an attacker might, and the refusal reason it must get.

    Attributes:
        what: What was changed (for the failure message).
        request: The changed delivery.
        reason: The ``WebhookVerdict.reason`` the adapter must answer.
    """

    what: str
    request: WebhookRequest
    reason: str


class ContractDesk(Protocol):
    """The plugin's fake, driven as its people and the vendor itself would drive it.

    Ids are the vendor's, as strings. Every method acts at once on the fake (thread-safe); the
    webhooks a change causes are sent by the fake in the background (:meth:`wait_idle`).
    """

    def send_webhooks_to(self, url: str) -> None:
        """Deliver every ticket change from now on to ``url``, authenticated the way the adapter
        is configured to check (Zendesk: event subscriptions signed with the secret; Freshdesk:
        the README's automation rules with the shared secret), and retried the vendor's way."""
        ...

    def wait_idle(self) -> None:
        """Return once every webhook delivery queued so far has finished (bounded)."""
        ...

    def add_agent(self, name: str, email: str) -> str:
        """A person on the helpdesk's staff (not the integration); their id."""
        ...

    def open_ticket(self, subject: str, body: str, *, requester_name: str, requester_email: str) -> str:
        """A customer writes in (a new contact with this name and email); the ticket's id."""
        ...

    def customer_writes(self, ticket_id: str, body: str) -> None:
        """The ticket's requester writes again."""
        ...

    def agent_notes(self, ticket_id: str, agent_id: str, body: str) -> None:
        """A person adds an internal note."""
        ...

    def texts(self, ticket_id: str) -> list[str]:
        """Every comment, note and reply on the ticket, as plain text, oldest first."""
        ...

    def assignee(self, ticket_id: str) -> str | None:
        """The ticket's assigned agent."""
        ...

    def tags(self, ticket_id: str) -> list[str]:
        """The ticket's tags."""
        ...

    def fail_next(self, n: int, *, status: int, retry_after: float | None = None) -> None:
        """Answer the next ``n`` requests of any kind with ``status`` (and ``Retry-After``)."""
        ...

    def fail_next_write(self, ticket_id: str, action_type: str, *, status: int, after_write: bool) -> None:
        """Answer the next request that carries out an action of ``action_type`` (``add_internal_note``,
        ``assign_owner``, ...) on the ticket with ``status``, after applying it when ``after_write``."""
        ...

    def quarantine(self, sender_email: str, subject: str, body: str) -> str | None:
        """Mail the helpdesk sets aside (suspends, flags as spam); its message id, or None when
        the helpdesk has no quarantine."""
        ...

    def documented_webhooks(self, ticket_id: str) -> Sequence[tuple[str, WebhookRequest]]:
        """Every webhook shape the vendor documents that the adapter takes, about this ticket, as
        authentic deliveries: (a name for it, the delivery)."""
        ...

    def tamperings(self, delivery: WebhookRequest) -> Sequence[Tampering]:
        """Ways to change an authentic delivery that verification must refuse, with the reason."""
        ...


@dataclass
class ContractTarget:
    """What the ``helpdesk_contract`` fixture returns.

    Attributes:
        adapter: The adapter under test, configured (by its own settings, not the environment)
            to talk to the fake over real HTTP, with the transport's ``sleep`` recorded in
            :attr:`sleeps` and lists paged :attr:`page_size` at a time.
        account: The account it is configured for.
        desk: The fake, driven (see :class:`ContractDesk`).
        sleeps: Every wait the adapter's transport asked for, in order.
        page_size: The adapter's page size: small, so listings take several pages.
        max_retry_after: The longest ``Retry-After`` the adapter waits in-process.
        clock: The fake's "now" when it simulates time (the wall clock unless given): the
            suite's webhook endpoint stamps each delivery's ``received_at`` with it, as the
            receiver stamps them with its own clock.
    """

    adapter: HelpdeskAdapter
    account: str
    desk: ContractDesk
    sleeps: list[float]
    page_size: int = 2
    max_retry_after: float = 60.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
