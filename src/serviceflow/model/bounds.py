"""Bounded field types for what webhooks fill: ids, names of accounts and vendors, times.

A webhook is the outside world's text, so the domain model refuses at parse what would alias one
case with another, break a case id or a visibility query, or overflow the engine's clock. These
rules are vendor-neutral; a plugin adds its own (Zendesk ids are ASCII digits without leading
zeros) before it builds the model. Each rule is a plain function, so it is testable on its own.

- **Ticket ids** (:data:`TicketId`): 1 to 128 characters, RFC 3986's unreserved set (ASCII
  letters, digits, ``.``, ``_``, ``~``, ``-``), starting with a letter or digit. That keeps a case
  id ``{vendor}:{account}:{ticket id}`` unambiguous (no ``:``), safe as a URL or file name (no
  ``/`` or ``\\``, no ``..``-only ids), free of NUL, newlines, whitespace and emoji, and far below
  Temporal's 1,000-byte workflow id limit.
- **Person ids** (:data:`PersonId`, the requester): 1 to 254 printable ASCII characters (an email
  address fits) without whitespace, quotes, backslash or backtick: the requester's id is part of a
  search-attribute value and a visibility query.
- **Accounts** (:data:`AccountName`): a host-name-like 1 to 253 of letters, digits, ``.``, ``_``,
  ``-``. **Vendors** (:data:`VendorName`): 1 to 32 lower-case letters, digits, ``_``, ``-``.
- **Event ids** (:data:`EventId`): 1 to 512 characters with no control character.
- **Times** (:data:`WebhookTime`): timezone-aware, from :data:`EARLIEST` (inclusive) to
  :data:`LATEST` (exclusive). The model has no clock (it is replayed inside workflows, years
  later), so the window is fixed; the receiver checks times against its own clock as well
  (``SERVICEFLOW_RECEIVER_CLOCK_SKEW``). 1970 is before any helpdesk and any imported ticket;
  2100 leaves every policy duration room before ``datetime.max``.
- **Custom fields** (:data:`CustomFields`): JSON values nested at most :data:`MAX_FIELD_DEPTH` deep
  (vendors' custom fields are scalars or lists of them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
TICKET_ID_MAX = 128
PERSON_ID_MAX = 254
EVENT_ID_MAX = 512
MAX_FIELD_DEPTH = 8

_TICKET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")  # TICKET_ID_MAX in all
_PERSON_ID = re.compile(r"[!#-&(-\[\]-_a-~]{1,254}")  # printable ASCII less space " ' \ `
_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
_VENDOR = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def ticket_id(value: str) -> str:
    if not _TICKET_ID.fullmatch(value):
        raise ValueError(
            f"a ticket id is 1 to {TICKET_ID_MAX} ASCII letters, digits, '.', '_', '~' or '-', "
            "starting with a letter or digit"
        )
    return value


def person_id(value: str) -> str:
    if not _PERSON_ID.fullmatch(value):
        raise ValueError(
            f"a person's id is 1 to {PERSON_ID_MAX} printable ASCII characters without spaces, "
            "quotes, backslash or backtick"
        )
    return value


def account_name(value: str) -> str:
    if not _ACCOUNT.fullmatch(value):
        raise ValueError("an account is 1 to 253 ASCII letters, digits, '.', '_' or '-'")
    return value


def vendor_name(value: str) -> str:
    if not _VENDOR.fullmatch(value):
        raise ValueError("a vendor is 1 to 32 lower-case ASCII letters, digits, '_' or '-'")
    return value


def event_id(value: str) -> str:
    if not value or len(value) > EVENT_ID_MAX or _CONTROL.search(value):
        raise ValueError(f"an event id is 1 to {EVENT_ID_MAX} characters without control characters")
    return value


def webhook_time(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"a time must lie from {EARLIEST:%Y-%m-%d} up to {LATEST:%Y-%m-%d}")
    return value


def custom_fields(value: dict[str, Any]) -> dict[str, Any]:
    if _depth(value, 0) > MAX_FIELD_DEPTH:
        raise ValueError(f"custom fields nest at most {MAX_FIELD_DEPTH} deep")
    return value


def _depth(value: Any, level: int) -> int:
    if level > MAX_FIELD_DEPTH:
        return level  # deep enough to refuse; no need to walk further
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list | tuple):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


TicketId = Annotated[str, AfterValidator(ticket_id)]
PersonId = Annotated[str, AfterValidator(person_id)]
AccountName = Annotated[str, AfterValidator(account_name)]
VendorName = Annotated[str, AfterValidator(vendor_name)]
EventId = Annotated[str, AfterValidator(event_id)]
WebhookTime = Annotated[AwareDatetime, AfterValidator(webhook_time)]
CustomFields = Annotated[dict[str, Any], AfterValidator(custom_fields)]
