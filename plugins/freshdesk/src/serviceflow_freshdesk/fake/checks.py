"""The fake Freshdesk's request checks and ticket views: where Freshdesk answers 400, and what it
shows of a ticket.

Plain functions over the account's :class:`~.directory.Directory`, so :mod:`.state` reads as the
ticket rules it carries out. Field sets come from the documented table (:mod:`.documented`);
the error wording is the fake's own (Freshdesk's 400 body *shape* is documented, FD-docs lines
360-392, its messages are not).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..codes import PRIORITY_NAMES, SOURCE_NAMES, STATUS_NAMES
from . import documented
from .directory import Directory
from .records import Json, validation_failed
from .stats import new_stats

#: A note's ``notify_emails`` entries must look like email addresses (Freshdesk's NoteValidation
#: checks ``ApiConstants::EMAIL_REGEX``, error ``not_a_valid_email``; research A.2; the regex
#: itself is the fake's approximation).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: ``include`` values each endpoint takes (FD-docs lines 940-951 for one ticket, 1160-1165 for the
#: list).
TICKET_INCLUDES = ("conversations", "requester", "company", "stats")
LIST_INCLUDES = ("stats", "requester", "description")


def no_undocumented_fields(
    method: str, path: str, fields: Mapping[str, Any], *, also: Iterable[str] = ()
) -> None:
    """400 ``invalid_field`` for body fields the reference does not list ("If any additional
    field is included in the request payload (other than what is specified in the API
    documentation), this error will occur", FD-docs line 387); ``also`` are allowed besides
    (seeding)."""
    extra = set(also)
    unknown = [k for k in documented.undocumented_fields(method, path, dict(fields)) if k not in extra]
    if unknown:
        raise validation_failed(
            *((k, "Unexpected/invalid field in request", "invalid_field") for k in unknown)
        )


def requester_of(directory: Directory, fields: Mapping[str, Any]) -> int:
    """The requester of a new ticket: ``requester_id``, or the contact with ``email`` (created
    when there is none, as Create a Ticket documents); 400 otherwise."""
    requester_id = fields.get("requester_id")
    if requester_id is None and fields.get("email"):
        email = str(fields["email"])
        found = next((c for c in directory.contacts.values() if c["email"] == email), None)
        requester_id = (
            found["id"]
            if found
            else directory.add_contact(str(fields.get("name") or email), email=email)["id"]
        )
    if requester_id is None:
        raise validation_failed(
            ("requester_id", "Please fill at least 1 of email, requester_id attributes", "missing_field")
        )
    if requester_id not in directory.contacts:
        raise validation_failed(
            ("requester_id", "There is no contact matching the given requester_id", "invalid_value")
        )
    return int(requester_id)


def notify_emails(directory: Directory, value: Any) -> list[str]:
    """A note's ``notify_emails``: an array of strings, each an email address, each an agent's
    primary email; else 400 on ``notify_emails`` (``datatype_mismatch``, ``not_a_valid_email``,
    ``invalid_agent_emails`` naming the other addresses, as Freshdesk's
    ``ConversationDelegator#validate_agent_emails`` does, research A.2)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_failed(("notify_emails", "It should be a/an Array of String", "datatype_mismatch"))
    malformed = [v for v in value if not EMAIL.fullmatch(v)]
    if malformed:
        raise validation_failed(
            ("notify_emails", f"It should be valid emails: {', '.join(malformed)}", "not_a_valid_email")
        )
    agents = directory.agent_emails()
    strangers = [v for v in value if v.casefold() not in agents]
    if strangers:
        raise validation_failed(
            (
                "notify_emails",
                f"There are no agents with these emails: {', '.join(strangers)}",
                "invalid_agent_emails",
            )
        )
    return list(dict.fromkeys(value))


def body_of(fields: Mapping[str, Any]) -> str:
    """A note's or reply's ``body`` (HTML), required."""
    body = fields.get("body")
    if not isinstance(body, str) or not body.strip():
        raise validation_failed(("body", "It should be a/an String", "missing_field"))
    return body


def ticket_values(
    directory: Directory, custom_statuses: Mapping[int, str], fields: Mapping[str, Any]
) -> None:
    """400 for a ticket field of the wrong type or an unknown value (a status, priority or
    source that does not exist, an agent or group that does not)."""
    problems: list[tuple[str, str, str]] = []
    statuses = sorted({*STATUS_NAMES, *custom_statuses})
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "status": (
            lambda v: v in statuses,
            f"It should be one of these values: '{','.join(map(str, statuses))}'",
        ),
        "priority": (lambda v: v in PRIORITY_NAMES, "It should be one of these values: '1,2,3,4'"),
        "source": (
            lambda v: v in SOURCE_NAMES,
            f"It should be one of these values: '{','.join(map(str, SOURCE_NAMES))}'",
        ),
        "responder_id": (
            lambda v: v is None or v in directory.agents,
            "There is no agent matching the given responder_id",
        ),
        "group_id": (
            lambda v: v is None or v in directory.groups,
            "There is no group matching the given group_id",
        ),
        "company_id": (
            lambda v: v is None or v in directory.companies,
            "There is no company matching the given company_id",
        ),
        "tags": (
            lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v),
            "It should be a/an Array of String",
        ),
        "custom_fields": (lambda v: isinstance(v, dict), "It should be a/an key/value pair"),
        "subject": (lambda v: isinstance(v, str) and bool(v), "It should be a/an String"),
    }
    for name, value in fields.items():
        if name in checks:
            ok, message = checks[name]
            # bool is an int in Python, but ``true`` is no status, priority or id to Freshdesk
            if isinstance(value, bool) or not ok(value):
                code = (
                    "datatype_mismatch" if name in ("tags", "custom_fields", "subject") else "invalid_value"
                )
                problems.append((name, message, code))
    if problems:
        raise validation_failed(*problems)


def ticket_view(
    directory: Directory, ticket: Json, *, include: set[str], listing: bool, stats: Json | None = None
) -> Json:
    """What the API shows of a ticket: lists omit the description unless ``include=description``;
    ``include=requester`` sideloads "the requester's email, id, mobile, name, and phone" (FD-docs
    line 947), ``include=company`` "the company's id and name" (line 949; a ticket without a
    company gets no ``company``: the fake's choice), ``include=stats`` the eight times of
    research B.5, as the account keeps them (:mod:`.stats`)."""
    view = copy.deepcopy(ticket)
    if listing and "description" not in include:
        view.pop("description", None)
        view.pop("description_text", None)
    if "requester" in include:
        contact = directory.contacts.get(ticket["requester_id"], {})
        view["requester"] = {
            "id": ticket["requester_id"],
            "name": contact.get("name"),
            "email": contact.get("email"),
            "mobile": contact.get("mobile"),
            "phone": contact.get("phone"),
        }
    if "company" in include and ticket.get("company_id") in directory.companies:
        company = directory.companies[ticket["company_id"]]
        view["company"] = {"id": company["id"], "name": company["name"]}
    if "stats" in include:
        view["stats"] = copy.deepcopy(stats) if stats is not None else new_stats(ticket["updated_at"])
    return view


def parse_include(value: str | None, allowed: Iterable[str] = TICKET_INCLUDES) -> list[str]:
    """``include=requester,stats`` -> the names; 400 for ones the endpoint does not take."""
    if not value:
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    known = tuple(allowed)
    if any(n not in known for n in names):
        raise validation_failed(
            ("include", f"It should be one of these values: '{','.join(known)}'", "invalid_value")
        )
    return names
