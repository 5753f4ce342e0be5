"""What ``serviceflow dev`` needs of a plugin's demo helpdesk: a fake it can start, seed, point
at the receiver, and tell the story in.

A plugin offers one through :meth:`~serviceflow.adapters.protocol.HelpdeskAdapter.demo_helpdesk`;
the story and its narrator (:mod:`serviceflow.demo.story`) use only this protocol, so they work
with any helpdesk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DemoPerson:
    """One of the demo's people, as the demo helpdesk created them.

    Attributes:
        id: The helpdesk's id for them (what assignments and notes name).
        name: Their display name.
        email: Their email address.
    """

    id: str
    name: str
    email: str


class DemoHelpdesk(Protocol):
    """A fake helpdesk seeded for the demo, and the moves the story makes in it.

    Attributes:
        vendor: The adapter's vendor name.
        account: The demo run's account (a fresh one per run).
        where: What to print about it (``fake Zendesk at http://127.0.0.1:...``).
        people: The demo's people by key (``ada``, ``casey``, ...; see
            :data:`serviceflow.demo.story.TEAM`), once started.
    """

    @property
    def vendor(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def where(self) -> str: ...

    @property
    def people(self) -> Mapping[str, DemoPerson]: ...

    def start(self) -> None:
        """Start the fake and seed the demo's teams, agents and customers."""
        ...

    def stop(self) -> None: ...

    def connect(self, receiver_url: str, secret: str) -> None:
        """Point the plugin at the fake (this process's environment) and the fake's webhooks at
        ``{receiver_url}/webhooks/{vendor}``, authenticated with ``secret``."""
        ...

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> str:
        """Person ``who`` writes in; returns the new ticket's id."""
        ...

    def reply(self, ticket_id: str, body: str) -> bool:
        """The ticket's assignee answers the customer; False while it has none."""
        ...

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        """Mail the helpdesk quarantines (suspended, or flagged spam) instead of a ticket;
        ``who`` is a person's key or an email address."""
        ...

    def tickets(self) -> list[tuple[str, str, str | None]]:
        """Every ticket a person sees: (id, subject, assignee id or None)."""
        ...

    def notes(self, ticket_id: str) -> list[tuple[str, str]]:
        """A ticket's notes and comments as plain text: (id, text)."""
        ...
