"""``GET /api/v2/tickets`` in the fake Freshdesk: which tickets a listing shows, in which order
(before pagination). Pure: the account's state holds the lock and makes the views.

Sources: CONTRACTS.md §2.2 (the filters, ``updated_since``, ``order_by``/``order_type``); without
``updated_since`` the list shows only tickets created in the last 30 days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .records import Json, parse_iso, validation_failed

#: Without ``updated_since``, the ticket list shows only tickets created in the last 30 days.
DEFAULT_LIST_WINDOW = timedelta(days=30)
LIST_FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
ORDER_FIELDS = ("created_at", "due_by", "updated_at", "status")


def select(
    tickets: Iterable[Json],
    *,
    now: datetime,
    filter_name: str | None = None,
    updated_since: str | None = None,
    order_by: str = "created_at",
    order_type: str = "desc",
    actor_id: int | None = None,
) -> list[Json]:
    """The tickets the listing shows, in its order; 400 for an unknown filter or order."""
    problems = []
    if filter_name is not None and filter_name not in LIST_FILTERS:
        problems.append(
            ("filter", f"It should be one of these values: '{','.join(LIST_FILTERS)}'", "invalid_value")
        )
    if order_by not in ORDER_FIELDS:
        problems.append(
            ("order_by", f"It should be one of these values: '{','.join(ORDER_FIELDS)}'", "invalid_value")
        )
    if order_type not in ("asc", "desc"):
        problems.append(("order_type", "It should be one of these values: 'asc,desc'", "invalid_value"))
    since = None
    if updated_since is not None:
        try:
            since = parse_iso(updated_since)
        except ValueError:
            problems.append(("updated_since", "It should be a valid date-time", "invalid_value"))
    if problems:
        raise validation_failed(*problems)
    window_start = now - DEFAULT_LIST_WINDOW
    found = []
    for ticket in tickets:
        if filter_name == "deleted":
            keep = ticket["deleted"]
        elif filter_name == "spam":
            keep = ticket["spam"] and not ticket["deleted"]
        else:
            keep = not ticket["spam"] and not ticket["deleted"]
            if filter_name == "new_and_my_open":
                keep = keep and ticket["status"] == 2 and ticket["responder_id"] in (None, actor_id)
            elif filter_name == "watching":
                keep = False  # the fake has no watchers
        if keep and since is not None:
            keep = parse_iso(ticket["updated_at"]) >= since
        elif keep and filter_name is None:
            keep = parse_iso(ticket["created_at"]) >= window_start
        if keep:
            found.append(ticket)
    found.sort(key=lambda t: (t[order_by] or "", t["id"]), reverse=order_type == "desc")
    return found
