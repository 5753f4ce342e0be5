"""Zendesk's two pagination styles, as the fake serves them (CONTRACTS.md §1.4).

- **Cursor** when the request has ``page[size]`` (at most 100): the body carries
  ``meta.{has_more, after_cursor, before_cursor}`` and ``links.{next, prev}``; the next page is
  asked for with ``page[after]``.
- **Offset** otherwise: ``page``/``per_page`` with ``next_page``/``previous_page``/``count``;
  going past 10,000 records is a 400, as on the real API.

Cursors are opaque to clients but encode the boundary record's position (its id, or its sort key
when the endpoint sorts by another field, e.g. suspended tickets by ``created_at``), never an
offset: records added or removed between two page requests neither repeat nor make others vanish.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from .records import FakeApiError, Json

MAX_PAGE_SIZE = 100
MAX_OFFSET_RECORDS = 10_000
_PAGE_PARAMS = ("page[size]", "page[after]", "page[before]", "page", "per_page")

#: A record's position in a sorted listing: JSON scalars (str, int), ending with a unique one (the id).
SortKey = Callable[[Json], tuple[str | int, ...]]


def paginate(
    items: Sequence[Json],
    *,
    key: str,
    query: Sequence[tuple[str, str]],
    url: str,
    descending: bool = False,
    sort_key: SortKey | None = None,
) -> Json:
    """One page of ``items`` (already in the endpoint's order) under ``key``.

    Args:
        items: All matching records, in order.
        key: The list's name in the body (``tickets``, ``users``, ...).
        query: The request's query items; non-paging ones are kept in the links.
        url: The endpoint URL without query, used to build links.
        descending: Whether ``items`` are ordered descending (for cursor arithmetic).
        sort_key: The order of ``items`` when it is not by id; cursors then carry the key, so
            they stay valid when the boundary record is removed between two requests.

    Raises:
        FakeApiError: 400 for bad paging parameters (the wording is the fake's own).
    """
    params = dict(query)
    kept = [(k, v) for k, v in query if k not in _PAGE_PARAMS]
    if "page[size]" in params:
        return _cursor_page(items, key, params, kept, url, descending, sort_key)
    return _offset_page(items, key, params, kept, url)


def encode_cursor(record_id: Any) -> str:
    """An opaque cursor pointing at one record."""
    return base64.urlsafe_b64encode(f"id:{record_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The record id in a cursor.

    Raises:
        FakeApiError: 400 when the cursor was not made by :func:`encode_cursor`.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_param(f"{cursor!r} is not a valid cursor") from exc


def encode_key_cursor(position: Sequence[str | int]) -> str:
    """An opaque cursor carrying a record's sort key (see :data:`SortKey`)."""
    text = "key:" + json.dumps(list(position), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_key_cursor(cursor: str) -> tuple[str | int, ...]:
    """The sort key in a cursor made by :func:`encode_key_cursor`.

    Raises:
        FakeApiError: 400 when the cursor was not made by :func:`encode_key_cursor`.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        position = json.loads(value) if prefix == "key" else None
        if not isinstance(position, list) or not all(isinstance(v, str | int) for v in position):
            raise ValueError(cursor)
        return tuple(position)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_param(f"{cursor!r} is not a valid cursor") from exc


def _by_id(record: Json) -> tuple[str | int, ...]:
    return (int(record["id"]),)


def _encode_id(position: Sequence[str | int]) -> str:
    return encode_cursor(position[0])


def _decode_id(cursor: str) -> tuple[str | int, ...]:
    return (decode_cursor(cursor),)


def _cursor_page(
    items: Sequence[Json],
    key: str,
    params: dict[str, str],
    kept: list[tuple[str, str]],
    url: str,
    descending: bool,
    sort_key: SortKey | None,
) -> Json:
    size = _positive_int(params["page[size]"], "page[size]")
    if size > MAX_PAGE_SIZE:
        raise _bad_param(f"page[size] must be at most {MAX_PAGE_SIZE}")
    position: SortKey
    if sort_key is None:
        position, encode, decode = _by_id, _encode_id, _decode_id
    else:
        position, encode, decode = sort_key, encode_key_cursor, decode_key_cursor

    def beyond(record: Json, boundary: tuple[str | int, ...]) -> bool:
        here = position(record)
        try:
            return here < boundary if descending else here > boundary
        except TypeError as exc:  # a cursor of another listing's shape
            raise _bad_param("the cursor does not belong to this listing") from exc

    if "page[after]" in params:
        boundary = decode(params["page[after]"])
        remaining = [r for r in items if beyond(r, boundary)]
        page = remaining[:size]
        has_more = len(remaining) > size
    elif "page[before]" in params:
        boundary = decode(params["page[before]"])
        earlier = [r for r in items if not beyond(r, boundary) and position(r) != boundary]
        page = earlier[-size:]
        has_more = len(earlier) > size
    else:
        page = list(items[:size])
        has_more = len(items) > size
    after = encode(position(page[-1])) if page else None
    before = encode(position(page[0])) if page else None

    def link(name: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return f"{url}?{urlencode([*kept, ('page[size]', str(size)), (name, cursor)], safe='[]')}"

    return {
        key: list(page),
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
        "links": {"next": link("page[after]", after), "prev": link("page[before]", before)},
    }


def _offset_page(
    items: Sequence[Json], key: str, params: dict[str, str], kept: list[tuple[str, str]], url: str
) -> Json:
    number = _positive_int(params.get("page", "1"), "page")
    per_page = min(_positive_int(params.get("per_page", str(MAX_PAGE_SIZE)), "per_page"), MAX_PAGE_SIZE)
    start = (number - 1) * per_page
    if start >= MAX_OFFSET_RECORDS:
        raise _bad_param(
            f"offset pagination is limited to {MAX_OFFSET_RECORDS} records; use cursor pagination"
        )

    def link(page_number: int) -> str:
        return f"{url}?{urlencode([*kept, ('page', str(page_number)), ('per_page', str(per_page))])}"

    return {
        key: list(items[start : start + per_page]),
        "next_page": link(number + 1) if start + per_page < len(items) else None,
        "previous_page": link(number - 1) if number > 1 else None,
        "count": len(items),
    }


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise _bad_param(f"{name} must be a positive integer")
    return number


def _bad_param(description: str) -> FakeApiError:
    return FakeApiError(400, "InvalidPaginationParameter", description)
