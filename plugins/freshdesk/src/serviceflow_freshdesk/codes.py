"""Freshdesk's codes and display strings -> serviceflow's words, in one place.

The REST API speaks integers (``status: 3``), automation-rule placeholders speak display strings
(``"Pending"``, ``"High"``, ``"Email"``), and ``{{triggered_event}}`` speaks integers again
(``{status:{from:4,to:6}}``). Every mapping lives here once, so both the REST path
(:mod:`.convert`) and the webhook path (:mod:`.webhooks`) agree.

Sources (CONTRACTS.md §2.2): status 2 Open, 3 Pending, 4 Resolved, 5 Closed, 6+ custom; priority
1 Low .. 4 Urgent; source 1 Email, 2 Portal, 3 Phone, 4 Forum, 5 Twitter, 6 Facebook, 7 Chat,
8 Mobihelp, 9 Feedback Widget, 10 Outbound Email. The reference's "Ticket Properties" table
(FD-docs lines 513-530, OFFICIAL; verify11 2026-12-04) gives the statuses 2-5, the priorities
1-4 and the sources Email 1, Portal 2, Phone 3, Chat 7, Feedback Widget 9, Outbound Email 10,
those names being its own words; 4 Forum, 5 Twitter, 6 Facebook and 8 Mobihelp are no longer in
it and stay SECONDARY (python-freshdesk, Zulip, api-evangelist agree). That the rule placeholders
render these very words (``{{ticket.source}}`` as ``"Email"``) is UNVERIFIED beyond the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from serviceflow.model import Channel, Priority, TicketStatus

VENDOR = "freshdesk"

#: The statuses every account has; 6 and up are the account's own (custom) statuses.
STATUS_NAMES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
FIRST_CUSTOM_STATUS = 6
PRIORITY_NAMES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE_NAMES = {
    1: "Email",
    2: "Portal",
    3: "Phone",
    4: "Forum",
    5: "Twitter",
    6: "Facebook",
    7: "Chat",
    8: "Mobihelp",
    9: "Feedback Widget",
    10: "Outbound Email",
}
#: The source of tickets an agent started (the customer did not write first).
OUTBOUND_SOURCES = frozenset({10})

_STATUS = {
    2: TicketStatus.OPEN,
    3: TicketStatus.PENDING,
    4: TicketStatus.SOLVED,
    5: TicketStatus.CLOSED,
}
_PRIORITY = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}
_SOURCE = {
    1: Channel.EMAIL,
    2: Channel.WEB,
    3: Channel.PHONE,
    4: Channel.WEB,  # the community forum is a web page
    5: Channel.SOCIAL,
    6: Channel.SOCIAL,
    7: Channel.CHAT,
    8: Channel.CHAT,  # Mobihelp: the in-app chat SDK
    9: Channel.WEB,  # the feedback widget sits on the customer's web pages
    10: Channel.EMAIL,  # an agent's outbound email starts an email conversation
}
STATUS_OUT = {
    TicketStatus.NEW: 2,  # Freshdesk has no "new": a new ticket is open
    TicketStatus.OPEN: 2,
    TicketStatus.PENDING: 3,
    TicketStatus.SOLVED: 4,
    TicketStatus.CLOSED: 5,
}
PRIORITY_OUT = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}

# How a custom status reads decides what it means, unless SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES
# says otherwise: waiting on the customer pauses like pending; work in progress is open; any other
# wait (a third party, a back office) is on hold. These rules are serviceflow's own choice.
_CUSTOMER_WAIT = re.compile(r"customer|requester|client|reply|response|feedback|confirm", re.IGNORECASE)
_WORKING = re.compile(r"progress|working|investigat|assigned|open|new|reopen", re.IGNORECASE)
_DONE = re.compile(r"resolved|solved|done|completed|fixed", re.IGNORECASE)


#: A code as the API and ``{{triggered_event}}`` write it: ASCII digits only (``"²"`` and ``"٤"``
#: are digits to ``str.isdigit`` and ``int``, never to Freshdesk), at most nine of them.
_CODE = re.compile(r"[0-9]{1,9}")


def _code(value: str | int | None) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if value is not None and _CODE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def is_code(value: str) -> bool:
    """Whether ``value`` is written as a code (ASCII digits, at most nine)."""
    return _CODE.fullmatch(value.strip()) is not None


def _by_name(names: Mapping[int, str], value: str) -> int | None:
    wanted = " ".join(value.split()).lower()
    return next((code for code, name in names.items() if name.lower() == wanted), None)


def status_code(value: str | int | None) -> int | None:
    """A status code from a code or a standard display string; None for a custom name."""
    code = _code(value)
    if code is not None or not isinstance(value, str):
        return code
    return _by_name(STATUS_NAMES, value)


def is_custom_status(code: int | None, name: str | None = None) -> bool:
    """Whether this is one of the account's own statuses (6 and up, or an unknown name)."""
    if code is not None:
        return code >= FIRST_CUSTOM_STATUS
    return bool(name and name.strip()) and status_code(name) is None


def status(
    value: str | int | None,
    *,
    name: str | None = None,
    overrides: Mapping[str, TicketStatus] | None = None,
) -> TicketStatus:
    """A Freshdesk status (code or display string) as a serviceflow status.

    Args:
        value: The code (``3``, ``"3"``) or display string (``"Pending"``).
        name: The display name, when known separately from a code (custom statuses).
        overrides: Custom status id or name -> status (``SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES``).
    """
    code = status_code(value)
    if code in _STATUS:
        return _STATUS[code]
    label = name if name else (value if isinstance(value, str) and code is None else None)
    for key in (str(code) if code is not None else None, label and " ".join(label.split())):
        if key and overrides:
            found = next((s for k, s in overrides.items() if k.lower() == key.lower()), None)
            if found is not None:
                return found
    if not label or not label.strip():
        # A custom status we cannot name (REST reads carry the id only): a wait of some kind.
        return TicketStatus.ON_HOLD if code is not None else TicketStatus.NEW
    if _DONE.search(label):
        return TicketStatus.SOLVED
    if _CUSTOMER_WAIT.search(label):
        return TicketStatus.PENDING
    if _WORKING.search(label):
        return TicketStatus.OPEN
    return TicketStatus.ON_HOLD


def priority(value: str | int | None) -> Priority:
    """A Freshdesk priority (code or display string); unknown or absent -> normal (Medium)."""
    code = _code(value)
    if code is None and isinstance(value, str):
        code = _by_name(PRIORITY_NAMES, value)
    return _PRIORITY.get(code, Priority.NORMAL) if code is not None else Priority.NORMAL


def source_code(value: str | int | None) -> int | None:
    """A source code from a code or a display string (``"Feedback Widget"``, ``"Outbound Email"``)."""
    code = _code(value)
    if code is not None or not isinstance(value, str):
        return code
    return _by_name(SOURCE_NAMES, value)


def channel(value: str | int | None) -> Channel:
    """A Freshdesk source (code or display string) as a channel; unknown -> other."""
    code = source_code(value)
    return _SOURCE.get(code, Channel.OTHER) if code is not None else Channel.OTHER


def status_name(code: int | None) -> str | None:
    """The display name of a standard status code, or None."""
    if code is None:
        return None
    return STATUS_NAMES.get(code)
