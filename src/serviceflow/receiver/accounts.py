"""Every vendor's account must come from configuration: checked at start-up and per delivery.

A case id is ``{vendor}:{account}:{ticket id}``, so whoever chooses the account chooses the case.
The receiver takes the account only from the plugin's verdict (``WebhookVerdict.account``, which
both plugins fill from their settings) and refuses events whose ticket names another one
(:mod:`serviceflow.receiver.checks`).

At start-up it asks each plugin for its configured account where the plugin can say: a plugin
passes ``account=`` (a callable that returns the account name, or raises a ``ServiceflowError``
that says which setting to set) to the ``register`` callback of
``serviceflow_register_vendors``, whose keyword arguments are open for such additions. A vendor
whose account cannot be named stops the receiver from starting. A plugin that does not offer it
yet is logged at start-up, and its deliveries are still refused (503) while its verdict names no
account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from serviceflow.errors import ServiceflowError
from serviceflow.plugins import get_plugin_manager

log = logging.getLogger("serviceflow.receiver")


class AccountNotConfigured(ServiceflowError):
    """A vendor plugin cannot name its account from configuration; the receiver must not start."""


def account_namers() -> dict[str, Callable[[], str] | None]:
    """Each registered vendor and, when its plugin offers one, how to name its account."""
    found: dict[str, Callable[[], str] | None] = {}

    def register(name: str, **options: Any) -> None:
        namer = options.get("account")
        found[name] = namer if callable(namer) else None

    get_plugin_manager().hook.serviceflow_register_vendors(register=register)
    return found


def check_accounts(vendors: set[str]) -> dict[str, str | None]:
    """The configured account of each vendor (None where its plugin cannot say at start-up).

    Raises:
        AccountNotConfigured: a plugin says its account is not configured.
    """
    namers = account_namers()
    accounts: dict[str, str | None] = {}
    problems = []
    for vendor in sorted(vendors):
        namer = namers.get(vendor)
        if namer is None:
            log.info(
                "vendor %s: its plugin cannot name its account at start-up; deliveries are taken "
                "only while its verdict names the configured account",
                vendor,
            )
            accounts[vendor] = None
            continue
        try:
            accounts[vendor] = namer()
        except ServiceflowError as exc:
            problems.append(f"{vendor}: {exc}")
    if problems:
        raise AccountNotConfigured(
            "the receiver takes a vendor's account only from configuration; " + "; ".join(problems)
        )
    return accounts
