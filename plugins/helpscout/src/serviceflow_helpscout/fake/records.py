"""The fake Help Scout's JSON shapes and error answers, as the Mailbox API 2.0 documents them.

Shapes follow CONTRACTS.md: the conversation of Get Conversation (§2.2-2.3), the thread of the
threads pages (§3.1; every thread carries ``assignedTo`` and ``status`` as the v1 thread object
documents, ``status`` ``nochange`` unless the thread changed it), users (§5.1), teams (§5.3,
OFFICIAL-SDK), mailboxes (§5.4), customers (§6). Errors are ``application/vnd.error+json`` with
``logRef``, ``message`` and ``_embedded.errors`` (§1.3). Lists are HAL: ``_embedded.<rel>``
(omitted when empty, as the official PHP client's fixtures do), ``_links`` and ``page``
(§2.4).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

Json = dict[str, Any]
Clock = Callable[[], datetime]
ERROR_TYPE = "application/vnd.error+json"
HAL_TYPE = "application/hal+json"
ERRORS_DOC = "http://developer.helpscout.net/mailbox-api/overview/errors"


class FakeApiError(Exception):
    """An error answer: status, JSON body, extra headers."""

    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {payload}")
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})


def vnd_error(status: int, message: str, *errors: tuple[str, str, Any]) -> FakeApiError:
    """A documented error body: ``{logRef, message, _embedded.errors[{path, message,
    rejectedValue, source}], _links.about}``."""
    body: Json = {"logRef": str(uuid.uuid4()), "message": message, "_links": {"about": {"href": ERRORS_DOC}}}
    if errors:
        items = []
        for path, text, rejected in errors:
            item: Json = {"path": path, "message": text, "source": "JSON"}
            if rejected is not None:
                item["rejectedValue"] = rejected
            items.append(item)
        body["_embedded"] = {"errors": items}
    return FakeApiError(status, body, {"Content-Type": ERROR_TYPE})


def bad_request(*errors: tuple[str, str, Any]) -> FakeApiError:
    return vnd_error(400, "Bad request", *errors)


def not_found() -> FakeApiError:
    """404. Help Scout documents the status, not its body: the fake's body is its own."""
    return vnd_error(404, "Not found")


def unauthorized() -> FakeApiError:
    """401 for a missing, unknown or expired token (the body is UNVERIFIED, CONTRACTS.md §1.2)."""
    return vnd_error(401, "Unauthorized")


def thread_limit() -> FakeApiError:
    """412: "add a thread to a conversation that has 99 threads or more" (OFFICIAL)."""
    return vnd_error(412, "Precondition failed: a conversation can contain up to 100 threads")


def iso(moment: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss'Z'``, as Help Scout writes timestamps (CONTRACTS.md §1.1)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """A timestamp in Help Scout's form; milliseconds are refused (SECONDARY, hscli)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def person_ref(record: Json, kind: str) -> Json:
    """How a conversation or thread names a user, customer or team."""
    first = record.get("firstName", record.get("name"))
    ref = {
        "id": record["id"],
        "type": kind,
        "first": first,
        "last": record.get("lastName"),
        "email": record.get("email"),
    }
    return {k: v for k, v in ref.items() if v is not None}


def user_record(user_id: int, first: str, last: str, email: str, *, now: str, role: str = "user") -> Json:
    return {
        "id": user_id,
        "firstName": first,
        "lastName": last,
        "email": email,
        "role": role,
        "timezone": "Europe/Amsterdam",
        "createdAt": now,
        "updatedAt": now,
        "type": "user",
        "mention": first.lower(),
        "initials": (first[:1] + last[:1]).upper(),
    }


def customer_record(customer_id: int, first: str, last: str | None, email: str, *, now: str) -> Json:
    return {
        "id": customer_id,
        "firstName": first,
        "lastName": last,
        "organizationId": None,
        "createdAt": now,
        "updatedAt": now,
        "_embedded": {"emails": [{"id": customer_id, "value": email, "type": "work"}], "properties": []},
    }


def hal_page(
    items: Sequence[Json],
    rel: str,
    *,
    page: int,
    size: int,
    base_url: str,
    path: str,
    query: Sequence[tuple[str, str]],
) -> Json:
    """One page of ``items`` as Help Scout's HAL list (no ``next`` link on the last page)."""
    total = len(items)
    pages = max(1, -(-total // size))
    chunk = list(items[(page - 1) * size : page * size])

    def link(number: int) -> Json:
        kept = [(k, v) for k, v in query if k != "page"] + [("page", str(number))]
        return {"href": f"{base_url}{path}?{urlencode(kept)}"}

    links: Json = {"self": link(page), "first": link(1), "last": link(pages)}
    links["page"] = {"href": f"{base_url}{path}{{?page}}", "templated": True}
    if page < pages:
        links["next"] = link(page + 1)
    if page > 1:
        links["previous"] = link(page - 1)
    body: Json = {
        "_links": links,
        "page": {"size": size, "totalElements": total, "totalPages": pages, "number": page},
    }
    if chunk:
        body["_embedded"] = {rel: chunk}
    return body
