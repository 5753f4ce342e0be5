"""Reading Freshdesk's answers: the JSON body, the object's id, and the next page a list's
``Link`` header names (CONTRACTS.md §2.3: ``page``/``per_page``, next page while ``Link`` has
``rel="next"``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .errors import UnexpectedResponse


def next_page(link: str | None) -> int | None:
    """The page number of the ``rel="next"`` entry of a ``Link`` header, or None.

    ``<https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100>; rel="next"``
    """
    if not link:
        return None
    for part in link.split(","):
        target, _, rest = part.partition(";")
        rels = {p.strip().removeprefix("rel=").strip('"') for p in rest.split(";") if "rel=" in p}
        if "next" not in rels:
            continue
        url = target.strip().removeprefix("<").removesuffix(">")
        values = parse_qs(urlsplit(url).query).get("page")
        if values and values[0].isdigit():
            return int(values[0])
    return None


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, or :class:`UnexpectedResponse` naming the request."""
    try:
        return response.json()
    except ValueError as exc:
        raise UnexpectedResponse(
            f"Freshdesk {response.request.method} {response.request.url.path}: "
            f"the {response.status_code} body is not JSON",
            status=response.status_code,
            method=response.request.method,
            url=str(response.request.url),
        ) from exc


def with_id(data: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """``data``, or :class:`UnexpectedResponse` when the object Freshdesk answered has no id."""
    if "id" not in data:
        raise UnexpectedResponse(f"Freshdesk answered a {what} without an id")
    return data
