"""Defaults for the optional parts of :class:`~.protocol.HelpdeskAdapter`.

Subclassing :class:`AdapterBase` is a convenience, not a requirement (the protocol is
structural): it answers "not offered" for the optional capabilities, so an adapter implements
only what its helpdesk has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from serviceflow.adapters.records import ChangeCursor, ChangePage, Identity, TicketHistory, TicketRecord
from serviceflow.errors import NotSupported

if TYPE_CHECKING:
    from serviceflow.adapters.demo import DemoHelpdesk
    from serviceflow.adapters.protocol import QuarantineQueue


class AdapterBase:
    """No quarantine, no demo helpdesk, no ticket reads; subclasses override what they have."""

    vendor: str = ""
    description: str = ""
    demo_preference: int = 0

    @property
    def quarantine(self) -> QuarantineQueue | None:
        return None

    def accounts(self) -> Sequence[str]:
        return ()

    def demo_helpdesk(self) -> DemoHelpdesk | None:
        return None

    def ticket_url(self, account: str, ticket_id: str) -> str | None:
        """No link by default: a plugin overrides it with its helpdesk's agent URL."""
        return None

    async def fetch_ticket(self, account: str, ticket_id: str) -> TicketRecord:
        raise NotSupported(f"the {self.vendor} adapter cannot read tickets")

    async def changed_tickets(self, account: str, cursor: ChangeCursor) -> ChangePage:
        raise NotSupported(f"the {self.vendor} adapter cannot list changed tickets")

    async def ticket_history(self, account: str, ticket_id: str, *, identity: Identity) -> TicketHistory:
        raise NotSupported(f"the {self.vendor} adapter cannot read a ticket's history")
