"""Helpdesk adapters: the contract every helpdesk plugin implements, and their registry.

- :mod:`.protocol`: :class:`HelpdeskAdapter` (and :class:`QuarantineQueue`, :class:`WebhookRequest`);
- :mod:`.records`: what adapters answer besides events (:class:`Identity`, :class:`TicketRecord`,
  :class:`ChangeCursor`, :class:`ChangePage`, :class:`TicketHistory`);
- :mod:`.registry`: adapters by vendor name, from the plugins' ``serviceflow_register_adapters``;
- :mod:`.identity`: the integration's own identity per account, learned once;
- :mod:`.demo`: what ``serviceflow dev`` needs of a plugin's demo helpdesk;
- :mod:`.base`: defaults for the optional parts; :mod:`.configured`: settings, the account check
  and client reuse of an adapter for one configured account.

Writing an adapter: ``docs/adapters.md``.
"""

from serviceflow.adapters.base import AdapterBase
from serviceflow.adapters.configured import AccountMismatch, ConfiguredAdapter
from serviceflow.adapters.demo import DemoHelpdesk, DemoPerson
from serviceflow.adapters.identity import Identities
from serviceflow.adapters.protocol import HelpdeskAdapter, QuarantineQueue, WebhookRequest, parse_events
from serviceflow.adapters.records import (
    ChangeCursor,
    ChangePage,
    Identity,
    Organization,
    Person,
    TicketHistory,
    TicketRecord,
)
from serviceflow.adapters.registry import AdapterRegistry, InvalidAdapter, adapter_for, registry
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

__all__ = [
    "AccountMismatch",
    "AdapterBase",
    "AdapterRegistry",
    "ChangeCursor",
    "ChangePage",
    "ConfiguredAdapter",
    "DemoHelpdesk",
    "DemoPerson",
    "HelpdeskAdapter",
    "Identities",
    "Identity",
    "InvalidAdapter",
    "Organization",
    "Person",
    "QuarantineQueue",
    "TicketHistory",
    "TicketRecord",
    "WebhookRejected",
    "WebhookRequest",
    "WebhookVerdict",
    "adapter_for",
    "parse_events",
    "registry",
]
