"""The fake Zendesk's cursor-based incremental ticket export (CONTRACTS.md §1.6).

``GET /api/v2/incremental/tickets/cursor?start_time=<unix>`` answers the tickets whose
``generated_timestamp`` (moved by every update, system updates included: OAS TicketObject) is at
or after ``start_time``, oldest first, with ``after_cursor`` to continue and ``end_of_stream``
once caught up (OAS CursorBasedExportIncrementalTicketsResponse); later pages are asked for with
``cursor`` alone. ``start_time`` "must be at least one minute in the past. Data isn't provided
for the most recent minute" (OAS IncrementalUnixTime): the fake answers 400 for a later start
and leaves out what changed within :attr:`~.controller.FakeZendesk.incremental_lag` seconds
(60 by default; tests that list what they just changed set it to 0). FAKE'S CHOICE: the 400's
wording, the cursor's encoding, and ``per_page`` defaulting to 1000 (the export's documented
page size is not in the stored material).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from .records import FakeApiError, Json

if TYPE_CHECKING:
    from .app import Answer, Ctx

DEFAULT_PER_PAGE = 1000
_MIN_AGE = 60


def _encode(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ticket_id = text.partition("|")
        return int(stamp), int(ticket_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise FakeApiError(400, "InvalidCursor", f"{cursor!r} is not a valid cursor") from exc


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise FakeApiError(400, "InvalidParameter", f"{name} must be an integer") from exc


def incremental_tickets(ctx: Ctx) -> Answer:
    fake = ctx.fake
    params = dict(ctx.info.query)
    now = int(fake.clock().timestamp())
    per_page = max(1, min(_int(params.get("per_page", str(DEFAULT_PER_PAGE)), "per_page"), DEFAULT_PER_PAGE))
    if "cursor" in params:
        position = _decode(params["cursor"])
    elif "start_time" in params:
        start = _int(params["start_time"], "start_time")
        if start > now - _MIN_AGE:
            raise FakeApiError(400, "InvalidValue", "start_time must be at least one minute in the past")
        position = (start, -1)
    else:
        raise FakeApiError(
            400, "InvalidParameter", "start_time is required (or cursor, after the first page)"
        )
    newest = now - fake.incremental_lag
    tickets = sorted(
        (
            t
            for t in fake.state.list_tickets()
            if fake.incremental_lag <= 0 or t["generated_timestamp"] <= newest
        ),
        key=lambda t: (t["generated_timestamp"], t["id"]),
    )
    remaining = [t for t in tickets if (t["generated_timestamp"], t["id"]) > position]
    page: list[Json] = remaining[:per_page]
    last = (page[-1]["generated_timestamp"], page[-1]["id"]) if page else position
    after = _encode(last)
    url = ctx.url(f"/api/v2/incremental/tickets/cursor.json?cursor={after}")
    return (
        200,
        {
            "tickets": page,
            "after_cursor": after,
            "after_url": url,
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(remaining) <= per_page,
        },
        {},
    )
