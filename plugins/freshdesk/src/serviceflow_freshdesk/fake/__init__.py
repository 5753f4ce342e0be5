"""The fake Freshdesk: a contract-faithful Freshdesk API v2 on 127.0.0.1, for tests, demos and
other plugins' authors. It is test support, kept apart from the adapter's modules; nothing in the
adapter imports it.

One module per part, each following the vendor's documentation (CONTRACTS.md §2, Freshdesk's own
source where the help pages are silent), citing it, and marking what the fake decides itself:

- :mod:`.controller`: :class:`FakeFreshdesk`, the account and its server (seeding, other actors,
  faults, automation rules);
- :mod:`.state` and :mod:`.records`: the account's tickets, its rules and the JSON shapes;
- :mod:`.directory`: its contacts, agents, groups, companies and support mailboxes;
- :mod:`.checks`: where it answers 400, and what it shows of a ticket;
- :mod:`.documented` and ``api_v2_fields.json``: Freshdesk's documented request fields per
  endpoint (cited), which the fake enforces and the plugin's tests hold every request to;
- :mod:`.app`: the HTTP surface;
- :mod:`.webhooks`: the automation rules' "Trigger webhook" calls, which fire for changes by
  anyone, serviceflow's API user included;
- :mod:`.seed` and ``python -m serviceflow_freshdesk.fake``: a seeded fake to poke at.
"""

from .calls import Call
from .controller import AutomationRule, FakeFreshdesk
from .records import FakeApiError
from .webhooks import Delivery

__all__ = ["AutomationRule", "Call", "Delivery", "FakeApiError", "FakeFreshdesk"]
