"""Every vendor's account must come from configuration: checked at start-up and per delivery.

A case id is ``{vendor}:{account}:{ticket id}``, so whoever chooses the account chooses the case.
The receiver takes the account only from the adapter's verdict (``WebhookVerdict.account``, which
the adapters fill from their settings, never from a header the signature does not cover) and
refuses events whose ticket names another one (:mod:`serviceflow.receiver.checks`).

At start-up it asks each adapter which accounts are configured (``HelpdeskAdapter.accounts()``).
A vendor with none is logged, and its deliveries are refused (503, so the helpdesk delivers them
again once it is configured). A receiver on which no vendor names an account would refuse every
delivery: ``serviceflow serve`` does not start then, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from serviceflow.adapters.registry import registry
from serviceflow.errors import ServiceflowError

log = logging.getLogger("serviceflow.receiver")


class AccountNotConfigured(ServiceflowError):
    """No installed helpdesk names a configured account; the receiver must not start."""


def check_accounts(vendors: Iterable[str], *, require: bool = True) -> dict[str, tuple[str, ...]]:
    """The configured accounts of each vendor's adapter (empty where it has none).

    Raises:
        AccountNotConfigured: ``require`` and no vendor names any account.
    """
    adapters = registry()
    accounts: dict[str, tuple[str, ...]] = {}
    for vendor in sorted(vendors):
        adapter = adapters.get(vendor)
        named = tuple(adapter.accounts()) if adapter is not None else ()
        accounts[vendor] = named
        if named:
            log.info("vendor %s: deliveries taken for account %s", vendor, ", ".join(named))
        else:
            log.info("vendor %s: no account configured; its deliveries are refused (503)", vendor)
    if require and not any(accounts.values()):
        raise AccountNotConfigured(
            "no installed helpdesk has a configured account ("
            + ", ".join(sorted(accounts))
            + "): the receiver takes a vendor's account only from its settings "
            "(`serviceflow settings` lists them), so it would refuse every delivery"
        )
    return accounts
