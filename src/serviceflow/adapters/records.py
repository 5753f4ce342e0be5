"""What adapters hand core, besides ticket events: who the integration is, a ticket with its
people, and pages of tickets changed since a cursor.

Every model is frozen and strict about unknown fields, like the domain model: an adapter that
fills a field core does not know is told so at once, not in production.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field

from serviceflow.model.events import TicketEvent
from serviceflow.model.ticket import Model, Ticket


class Identity(Model):
    """The integration's own user in the helpdesk: the one the API credentials act as.

    Every change serviceflow makes through the API comes back as a webhook whose actor is this
    user, so an adapter's parser marks events by it with ``ActorRole.SERVICEFLOW``.

    Attributes:
        vendor: The adapter's vendor name.
        account: The helpdesk account.
        id: The user's id as the helpdesk's webhooks name actors (string form).
        name: Its display name, where webhooks name actors by name (Freshdesk's comment
            placeholders do).
        email: Its email address, where webhooks name actors by email.
    """

    vendor: str
    account: str
    id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None

    def is_actor(
        self, *, actor_id: str | None = None, name: str | None = None, email: str | None = None
    ) -> bool:
        """Whether an actor named by id, name or email (whatever the webhook gives) is this user.

        Ids compare exactly; names and emails ignoring case and surrounding space. A missing
        value never matches.
        """
        if actor_id is not None and actor_id.strip() == self.id:
            return True
        if name and self.name and name.strip().casefold() == self.name.strip().casefold():
            return True
        return bool(email and self.email and email.strip().casefold() == self.email.strip().casefold())


class Person(Model):
    """Someone a ticket names: its requester, with what the helpdesk knows of them.

    Attributes:
        id: The vendor's user or contact id.
        name: Display name.
        email: Primary email address.
        organization: The id of their organization or company, if any.
        tags: The user's tags (Zendesk has them; others may not).
        fields: Custom user/contact fields, by their API name.
    """

    id: str
    name: str | None = None
    email: str | None = None
    organization: str | None = None
    tags: tuple[str, ...] = ()
    fields: dict[str, Any] = Field(default_factory=dict)


class Organization(Model):
    """The requester's organization (Zendesk) or company (Freshdesk).

    Attributes:
        id: The vendor's id.
        name: Its name.
        domains: Its email domains (Zendesk ``domain_names``, Freshdesk ``domains``): whose mail
            belongs to it.
        tags: Its tags, where the helpdesk has them.
        fields: Custom organization/company fields, by their API name.
    """

    id: str
    name: str | None = None
    domains: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    fields: dict[str, Any] = Field(default_factory=dict)


class TicketRecord(Model):
    """A ticket as the helpdesk has it now, with its people.

    ``ticket.requester`` carries the requester's id, email and name; ``requester`` the rest of
    what the helpdesk knows of them. ``missing`` names what could not be read (a deleted
    requester, an organization the API user may not see), so a caller can say what a decision
    was made without, instead of guessing.
    """

    ticket: Ticket
    requester: Person | None = None
    organization: Organization | None = None
    missing: tuple[str, ...] = Field(
        default=(), description="Parts that could not be read, e.g. 'requester'."
    )


class ChangeCursor(Model):
    """Where a listing of changed tickets stands. Core stores it and hands it back; only the
    adapter reads it.

    The first call gives ``start`` (tickets changed since then); every page answers the cursor
    to continue from in ``ChangePage.next``, whose ``token`` is the vendor's own continuation
    (Zendesk's ``after_cursor``, Freshdesk's ``updated_since`` and page).
    """

    start: AwareDatetime | None = None
    token: str | None = Field(default=None, max_length=4096)

    @classmethod
    def since(cls, start: AwareDatetime) -> ChangeCursor:
        """The cursor of a first call: everything changed since ``start``."""
        return cls(start=start)


class ChangePage(Model):
    """One page of changed tickets, oldest change first where the helpdesk says.

    Attributes:
        tickets: The tickets on this page, each as the helpdesk has it now. A ticket may come
            again on a later page (changed again, or the vendor's windows overlap): callers
            treat the listing as at-least-once.
        next: Where the next call continues; store it (durably) before acting on the page.
        more: Whether more pages are ready now. False means caught up: call again later with
            ``next`` for what changes from then on.
    """

    tickets: tuple[TicketRecord, ...] = ()
    next: ChangeCursor
    more: bool = False


#: The most events one ticket's history holds (a longer one is cut, oldest kept, and says so).
HISTORY_LIMIT = 2_000


class TicketHistory(Model):
    """What happened on one ticket, as the helpdesk recorded it: for a reconcile sweep (a
    webhook that never came) and a backfill (a ticket from before install).

    Attributes:
        events: Oldest first, each at its real time with a stable id (the same change gives the
            same id on every read) and ``changes`` as field name -> previous value, as a
            webhook's. Each event's ``ticket`` may be the ticket as it is now: core rewinds it
            through the ``changes`` of the events after it (``serviceflow.adapters.rewind``).
        complete: False when the helpdesk holds more than :data:`HISTORY_LIMIT` events, or
            some could not be read; the rest are left out (callers then say so).
    """

    events: tuple[TicketEvent, ...] = Field(default=(), max_length=HISTORY_LIMIT)
    complete: bool = True
