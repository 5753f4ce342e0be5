"""The contract between serviceflow and a helpdesk: :class:`HelpdeskAdapter`.

A plugin registers one adapter object per helpdesk it serves (see
:func:`serviceflow.plugins.hookspecs.serviceflow_register_adapters`); core finds it by vendor
name (:mod:`.registry`) and never names a vendor itself. The conformance suite
(:mod:`serviceflow.testing`) holds every adapter to this contract against its own fake.

Two kinds of method:

- **webhooks in** (:meth:`~HelpdeskAdapter.verify_webhook`, :meth:`~HelpdeskAdapter.parse_webhook`)
  are synchronous and do no I/O: the receiver calls them for every delivery, and everything
  they need (the secret, the integration's :class:`~.records.Identity`) is at hand. One
  exception: a helpdesk whose webhooks are *thin* (an id, or an object that does not say who
  made the change) cannot tell its events without reading them, so its ``parse_webhook`` may be
  a coroutine; callers go through :func:`parse_events`, which awaits it when it is one;
- **the helpdesk, read and written** (everything else) are coroutines that call the vendor's API.

Errors: raise :class:`serviceflow.errors.TicketGone` for a ticket that no longer exists,
:class:`serviceflow.errors.QuarantinedMessageGone` for a message that left the quarantine, a
``ServiceflowError`` with ``retryable = True`` for what may pass (429, 5xx, network; the
transport's errors in :mod:`serviceflow.plugins.http` are), and any other ``ServiceflowError``
for a refusal no retry fixes. :class:`serviceflow.errors.NotSupported` says a capability is
not offered.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from serviceflow.adapters.records import ChangeCursor, ChangePage, Identity, TicketHistory, TicketRecord
from serviceflow.model import Action, QuarantinedMessage, Roster, Ticket, TicketEvent
from serviceflow.plugins.webhooks import WebhookVerdict

if TYPE_CHECKING:
    from serviceflow.adapters.demo import DemoHelpdesk


def _received_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook delivery as the receiver got it.

    A dataclass rather than loose arguments, so it can gain fields (the path, the peer address
    for an allow-list) without breaking adapters: each new one comes last, with a default.

    Attributes:
        method: Upper-case HTTP method.
        headers: Request headers, names lower-cased.
        body: The raw body bytes, exactly as received (signatures are over these).
        received_at: When the receiver got the delivery, by the receiver's clock (tz-aware; the
            receiver gives UTC). Use it, never the wall clock, wherever verifying or parsing
            needs "now": a signature timestamp's freshness, an unsigned header's plausibility, the
            time of an event whose body carries none. The receiver's clock is injectable
            (``Receiver.clock``) and the test harnesses that simulate time set it, so an adapter
            that reads the wall clock instead disagrees with them. A request built by hand
            without it was received when it was built (``datetime.now(UTC)``).

    Raises:
        ValueError: ``received_at`` is naive (no timezone): it compares with no vendor's time.
    """

    method: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    received_at: datetime = field(default_factory=_received_now)

    def __post_init__(self) -> None:
        # tzinfo, not utcoffset(): 0.5k instructions a delivery, not 2.3k (benchmarks/RESULTS.md, clock10)
        if self.received_at.tzinfo is None:
            raise ValueError(
                "WebhookRequest.received_at must be timezone-aware (e.g. datetime.now(UTC)), "
                f"not the naive {self.received_at.isoformat()}"
            )


class QuarantineQueue(Protocol):
    """The helpdesk's suspended or spam queue: mail set aside instead of becoming a ticket.

    An optional capability: an adapter without one answers ``quarantine = None``.
    """

    def list_messages(self, account: str) -> AsyncIterator[QuarantinedMessage]:
        """Every message now in the queue, oldest first where possible.

        Follow the vendor's pagination to the end: the watcher treats a message missing from a
        complete listing as having left the queue, so a failure on any page must raise (a
        retryable error), never end the listing early.
        """
        ...

    async def recover(self, account: str, message_id: str) -> Ticket:
        """Turn the message into a real ticket, keeping its sender as the requester.

        Raises:
            QuarantinedMessageGone: it is no longer in the queue.
            RecoveryNeedsPerson: the helpdesk's API cannot (the message says what a person
                clicks; the listed message carries it in ``how_to_recover``); the watcher opens
                a review case instead.
        """
        ...

    async def dismiss(self, account: str, message_id: str) -> str:
        """Remove the message for good (it is spam); ``"done"``, or ``"skipped: already gone"``
        when it is no longer there (a retry must not fail), or ``"skipped: ..."`` saying why when
        the helpdesk's API cannot remove it (it then stays queued until the helpdesk expires it)."""
        ...


class HelpdeskAdapter(Protocol):
    """One helpdesk, as serviceflow uses it.

    Attributes:
        vendor: The name in ``Ticket.vendor``, in case ids (``{vendor}:{account}:{id}``) and in
            webhook URLs (``/webhooks/{vendor}``). Lower case, no colon.
        description: One line for ``serviceflow plugins``.
        quarantine: The suspended or spam queue, or None when the helpdesk has none.
        demo_preference: How strongly ``serviceflow dev`` prefers this adapter's demo helpdesk
            when none is named (the highest wins; ties go by vendor name).
    """

    @property
    def vendor(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def quarantine(self) -> QuarantineQueue | None: ...

    @property
    def demo_preference(self) -> int: ...

    def accounts(self) -> Sequence[str]:
        """The accounts this adapter is configured for now (empty when none is); the receiver
        learns each one's identity at start."""
        ...

    # -- webhooks in (sync, no I/O) ------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        """Whether the delivery is authentic (signature, shared secret) and fresh.

        Refuse with a short machine-readable reason that never contains a secret; accept with
        the account the delivery is for. Freshness is judged against ``request.received_at``
        (the receiver's clock), not the wall clock.
        """
        ...

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent] | Awaitable[list[TicketEvent]]:
        """The vendor-neutral events of a verified delivery (empty for what no case reacts to).

        Event ids must be stable: a redelivery of the same change yields the same ids. Events
        whose actor is ``identity`` (the echo of serviceflow's own writes) get
        ``ActorRole.SERVICEFLOW``. Raise :class:`~serviceflow.plugins.webhooks.WebhookRejected`
        for a body that is not JSON or of an unknown shape. An event whose body carries no time
        is dated ``request.received_at``; a time from something the vendor does not sign is
        believed only near it.

        Synchronous and without I/O where the delivery says everything. Where the vendor's
        webhooks are thin (who wrote a note or made a change is only in the helpdesk), define it
        ``async`` and read what is missing: the receiver waits for it a bounded time and answers
        503 with ``Retry-After`` (the vendor delivers again) when it times out or raises a
        ``ServiceflowError`` other than ``WebhookRejected``, so nothing is attributed by guess.
        """
        ...

    # -- the helpdesk (async, I/O) -------------------------------------------------------------

    async def whoami(self, account: str) -> Identity:
        """The user the integration's credentials act as (one cheap call)."""
        ...

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        """The ticket as the helpdesk has it now, with its requester (and organization where the
        helpdesk has one). Raise ``TicketGone`` when it no longer exists."""
        ...

    async def changed_tickets(self, account: str, cursor: ChangeCursor) -> ChangePage:
        """One page of the tickets changed since ``cursor``, and the cursor to continue from.

        The reconcile sweep calls it until ``more`` is False, storing ``next`` after each page,
        and again later from the last ``next``.
        """
        ...

    async def ticket_history(self, account: str, ticket_id: str, *, identity: Identity) -> TicketHistory:
        """What happened on the ticket, oldest first, as vendor-neutral events (see
        :class:`~.records.TicketHistory`): its creation, every message, reply and note, and the
        changes of status, assignee, group, priority and tags the helpdesk records. Events by
        ``identity`` (serviceflow's own writes) get ``ActorRole.SERVICEFLOW``, as in
        :meth:`parse_webhook`. Read only: a history read never writes to the helpdesk.

        Optional: :class:`~.base.AdapterBase` raises ``NotSupported``; the reconcile sweep then
        repairs from the ticket's fields alone. Raise ``TicketGone`` when the ticket is gone.
        """
        ...

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        """Carry out one engine action; ``"done"`` or ``"skipped: ..."``.

        ``action.key`` is the idempotency key: the same action arrives again when an activity
        retries (also after a 5xx that came *after* the write was applied), and must not be
        carried out twice.
        """
        ...

    async def load_roster(self, account: str) -> Roster:
        """The agents and groups who can own cases, with their memberships (the integration's
        own user is no person and is left out)."""
        ...

    def demo_helpdesk(self) -> DemoHelpdesk | None:
        """A new, stopped demo helpdesk for ``serviceflow dev --helpdesk {vendor}``, or None."""
        ...

    def ticket_url(self, account: str, ticket_id: str) -> str | None:
        """Where a person opens the ticket in the helpdesk's agent interface (no I/O), or None
        when the adapter cannot say; notification texts link it. :class:`~.base.AdapterBase`
        answers None: a plugin overrides it with its helpdesk's agent URL."""
        ...


async def parse_events(
    adapter: HelpdeskAdapter, request: WebhookRequest, *, account: str, identity: Identity
) -> list[TicketEvent]:
    """``adapter.parse_webhook(...)``, awaited when the adapter reads its thin webhooks (see
    :meth:`HelpdeskAdapter.parse_webhook`): how the receiver and the conformance suite call it."""
    parsed = adapter.parse_webhook(request, account=account, identity=identity)
    if inspect.isawaitable(parsed):
        return await parsed
    return parsed
