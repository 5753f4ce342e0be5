"""serviceflow's Freshdesk plugin.

Registered in the ``serviceflow`` entry-point group. The hooks for webhooks (verify, parse),
actions, reading tickets and the roster, and the spam folder as quarantine live in :mod:`.hooks`
and are imported here, because pluggy registers the hook implementations found on this module.
"""

from collections.abc import Callable

from serviceflow.plugins import hookimpl

from .hooks import (
    serviceflow_apply_action,
    serviceflow_dismiss_quarantined,
    serviceflow_fetch_ticket,
    serviceflow_list_open_tickets,
    serviceflow_list_quarantined,
    serviceflow_load_roster,
    serviceflow_parse_webhook,
    serviceflow_recover_quarantined,
    serviceflow_verify_webhook,
)
from .webhooks import RULE_EVENTS, TRIGGER_BODY_TEMPLATE, trigger_body

__all__ = [
    "RULE_EVENTS",
    "TRIGGER_BODY_TEMPLATE",
    "serviceflow_apply_action",
    "serviceflow_dismiss_quarantined",
    "serviceflow_fetch_ticket",
    "serviceflow_list_open_tickets",
    "serviceflow_list_quarantined",
    "serviceflow_load_roster",
    "serviceflow_parse_webhook",
    "serviceflow_recover_quarantined",
    "serviceflow_register_vendors",
    "serviceflow_verify_webhook",
    "trigger_body",
]


@hookimpl
def serviceflow_register_vendors(register: Callable[..., None]) -> None:
    register("freshdesk", description="Freshdesk")
