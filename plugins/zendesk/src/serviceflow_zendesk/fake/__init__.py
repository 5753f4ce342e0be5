"""The fake Zendesk: a contract-faithful Zendesk Support API on 127.0.0.1, for tests, demos and
other plugins' authors. It is test support, kept apart from the adapter's modules; nothing in the
adapter imports it.

One module per part, each following the vendor's documentation (CONTRACTS.md §1, the official
OAS), citing it, and marking what the fake decides where the contract is silent:

- :mod:`.controller`: :class:`FakeZendesk`, the account and its server (seeding, other actors,
  faults, webhooks);
- :mod:`.state` and :mod:`.records`: the account's data and the JSON shapes; its rules in
  :mod:`.ticket_writes`, :mod:`.ticket_rules` and :mod:`.merging`; :mod:`.changes`, what a
  write did (the webhooks' input);
- :mod:`.app` (the request pipeline), :mod:`.ticket_routes`, :mod:`.people_routes`,
  :mod:`.pages`, :mod:`.incremental`, :mod:`.suspended_routes`: the HTTP surface;
- :mod:`.payloads` and :mod:`.webhooks`: what Zendesk sends back for every change, including
  serviceflow's own (the event subscriptions fire for the API user's changes too);
- :mod:`.suspended` and :mod:`.suspended_controls`: the suspended tickets queue, and what a
  person or Zendesk does to it outside the API;
- :mod:`.environment`: the plugin's ``SERVICEFLOW_ZENDESK_*`` settings pointed at a fake;
- :mod:`.notifications`: followers, email CCs and the emails Zendesk would send about comments;
- :mod:`.oas`: the check that holds every request to the full official OAS (``hold_to_oas``);
- :mod:`.seed` and ``python -m serviceflow_zendesk.fake``: a seeded fake to poke at.
"""

from .calls import Call, RequestInfo
from .controller import FakeZendesk
from .records import FakeApiError
from .webhooks import Delivery, WebhookTarget

__all__ = ["Call", "Delivery", "FakeApiError", "FakeZendesk", "RequestInfo", "WebhookTarget"]
