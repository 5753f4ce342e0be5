"""The fake Help Scout: a contract-faithful Mailbox API 2.0 on 127.0.0.1, for tests, demos and other
plugins' authors. It is test support, kept apart from the adapter's modules; nothing in the adapter
imports it.

One module per part, each following the documented contract (``CONTRACTS.md``), citing it, and
marking what the fake decides itself:

- :mod:`.controller`: :class:`FakeHelpScout`, the account and its server (seeding, people's moves,
  faults, webhooks);
- :mod:`.state` and :mod:`.records`: the account's data and the JSON shapes; :mod:`.changes`: the
  rules by which conversations change;
- :mod:`.app`: the HTTP surface (OAuth2 token, HAL lists, 201 + ``Resource-ID``, 204, the rate
  limit, errors);
- :mod:`.webhooks`: the signed deliveries every change causes, serviceflow's own writes included;
- :mod:`.seed` and ``python -m serviceflow_helpscout.fake``: a seeded fake to poke at.
"""

from .app import Call
from .controller import FakeHelpScout
from .records import FakeApiError
from .webhooks import Delivery, Subscription

__all__ = ["Call", "Delivery", "FakeApiError", "FakeHelpScout", "Subscription"]
