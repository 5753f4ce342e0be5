"""Telling serviceflow's own writes from a person's in Freshdesk's webhooks.

Freshdesk's automation rules fire for changes by anyone, the API key's agent included, and a
rule's body names no performer: no placeholder renders who made the change (Freshdesk's own
placeholder list, ``ApiWebhooks::PlaceholderMethods``, and ticket drop, ``Helpdesk::TicketDrop``,
in a stored copy of its source). Two things do say who it was:

- **Notes and replies.** ``{{ticket.latest_public_comment}}`` and
  ``{{ticket.latest_private_comment}}`` (and their ``_text`` forms) render as
  ``"<author name> : <body>"``, ``System`` for a comment without a user (``liquidize_comment``
  in the same source). The author is compared with the integration's agent
  (``GET /api/v2/agents/me``): :func:`split_comment`.
- **Field changes** (assignment, status, priority) say nothing of their author. serviceflow
  stamps every such change it makes: the same ``PUT /api/v2/tickets/{id}`` sets a custom text
  field (``SERVICEFLOW_FRESHDESK_CHANGE_FIELD``, ``cf_serviceflow_change`` in the README) to
  what it changed (``status=2;responder_id=80002``). Custom ticket fields are placeholders
  (``{{ticket.cf_serviceflow_change}}``: the placeholder list adds one per custom field) and the
  rule's body carries it; a change is serviceflow's when the value ``{{triggered_event}}``
  reports it was changed *to* is the stamp's value for that field (:func:`is_own_change`). A
  person's later change to another value is theirs; only a person setting a field back to exactly
  what serviceflow last set it to would read as serviceflow's (it changes nothing then either).
  Without the field configured, field changes cannot be told apart: the adapter says so in the
  log once, and they count as an agent's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .triggered import TriggeredEvent

#: The fields whose changes fire the "ticket updated" rule and so are stamped.
STAMPED_FIELDS = ("status", "priority", "responder_id", "group_id")
#: A custom field's API name (Freshdesk prefixes custom fields with ``cf_``, CONTRACTS.md §2.2).
FIELD_NAME = re.compile(r"^cf_[a-z0-9_]{1,60}$")
#: Longest author name taken from a comment placeholder; longer prefixes are part of the body.
_MAX_NAME = 120


def stamp(fields: Mapping[str, Any]) -> str | None:
    """The stamp of a ticket update: its stamped fields and values, or None when it sets none."""
    parts = [
        f"{name}={'' if fields[name] is None else fields[name]}" for name in STAMPED_FIELDS if name in fields
    ]
    return ";".join(parts) or None


def stamped(fields: Mapping[str, Any], change_field: str | None) -> dict[str, Any]:
    """``fields`` with the stamp added to the custom ``change_field`` (unchanged without one)."""
    value = stamp(fields) if change_field else None
    if value is None or change_field is None:
        return dict(fields)
    custom = dict(fields.get("custom_fields") or {})
    custom[change_field] = value
    return {**fields, "custom_fields": custom}


def parse_stamp(text: str | None) -> dict[str, str]:
    """A stamp's fields and values (empty for anything else)."""
    out: dict[str, str] = {}
    for part in (text or "").split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip() in STAMPED_FIELDS:
            out[name.strip()] = value.strip()
    return out


def is_own_change(fired: TriggeredEvent | None, stamp_text: str | None) -> bool:
    """Whether the change ``{{triggered_event}}`` reports is the one serviceflow stamped."""
    if fired is None or not fired.is_change:
        return False
    stamped_value = parse_stamp(stamp_text).get(fired.key)
    return stamped_value is not None and stamped_value == (fired.new or "")


def split_comment(rendered: str) -> tuple[str | None, str]:
    """``"Ada Agent : <div>Hello</div>"`` -> ``("Ada Agent", "<div>Hello</div>")``; a text without
    the author prefix comes back whole, with no author."""
    name, sep, body = rendered.partition(" : ")
    if not sep or not name.strip() or len(name) > _MAX_NAME or "\n" in name or "<" in name:
        return None, rendered
    return name.strip(), body
