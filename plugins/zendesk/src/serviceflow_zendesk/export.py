"""Zendesk's history as a backtest reads it: incremental export pages with ticket audits.

**The file** is JSON Lines (UTF-8, one JSON object per line, blank lines skipped); each line is
one API answer, saved exactly as Zendesk sent it (``jq -c .`` per answer):

- an **incremental ticket export page**: ``GET /api/v2/incremental/tickets/cursor.json?start_time=…``
  and every next page (``cursor=`` its ``after_cursor``) until ``end_of_stream`` is true:
  ``{"tickets": [...], "after_cursor", "after_url", "before_cursor", "before_url",
  "end_of_stream"}`` (OAS IncrementalTicketExportCursor, /work/shared/vendor OAS lines
  5204-5240; CursorBasedExportIncrementalTicketsResponse, line 18211). The time-based export's
  pages (``end_time``, ``next_page``, ``end_of_stream``) are read the same way. With
  ``include=users`` the page's ``users`` tell agents from end-users: the cursor export takes the
  tickets side-loads ("Sideloading: See Tickets sideloads ... For performance reasons,
  ``last_audits`` sideloads aren't supported", OAS IncrementalTicketExportCursor), and ``users``
  is one (the side-loading guide's own example is ``.../tickets.json?include=users,groups``,
  developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading). The
  guide calls a side-loaded user "partial" (its example shows ``id`` and ``name``), so ``role``
  is read when there and not required; without ``users``, or a user without ``role``, the
  ticket's requester is the customer and any other author is an agent;
- a **ticket audits page**: ``GET /api/v2/tickets/{ticket_id}/audits`` (every page):
  ``{"audits": [{id, ticket_id, created_at, author_id, via, metadata, events: [...]}], ...}``
  (OAS ListAuditsForTicket lines 10845-10870, TicketAuditObject line 23291, example
  TicketAuditsForTicketResponseExample line 32988). The export endpoint has no audits
  ("For performance reasons, ``last_audits`` sideloads aren't supported", same OAS entry).

Audit events read (developer.zendesk.com/documentation/ticketing/reference-guides/
ticket-audit-events-reference): ``Create`` ("A separate event is created for each property
set": ``field_name``, ``value``), ``Change`` (``field_name``, ``value``, ``previous_value``;
``tags`` values are arrays) and ``Comment`` (``body``, ``public``, ``author_id``; the event's
``author_id`` is UNVERIFIED on the audit event - the comment object documents it, and the OAS's
own audit example TicketAuditsForTicketResponseExample has a Comment event without one - so the
audit's ``author_id`` is used when absent). Other event types are ignored, as the reference asks.

**What it becomes.** Per ticket, its audits oldest first: the first is the ticket's creation;
each later one gives its comment (a customer message, an agent's reply, or an internal note),
then an ``assigned`` event when the assignee or group changed, ``status_changed`` when the
status did and ``fields_changed`` for priority, subject, type, tags and custom fields. Each
event carries the ticket as it was right after its audit, rebuilt from the ``Create`` and
``Change`` events (subject, requester, channel and recipient from the exported ticket). Event
ids are ``{audit id}:{kind}``, stable across reads.

**Refused, with the line:** a record that is neither page; a page that does not validate (the
field is named); the last export page with ``end_of_stream: false`` (the export was cut); audits
of a ticket no export page holds; an exported ticket without audits, or whose oldest audit is
not its creation (no ``Create`` event: its first audits page is missing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.formats import Record
from serviceflow.backtest.neutral import first_problem
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent

from . import convert
from .models import Ticket as ZendeskTicket
from .models import User

#: The account when neither the user nor a ticket's ``url`` names one.
DEFAULT_ACCOUNT = "export"
_HOST = re.compile(r"^https?://([a-z0-9][a-z0-9-]*)\.zendesk\.com/", re.IGNORECASE)
_STAFF = frozenset({"agent", "admin"})
_CHANGED_FIELDS = {"priority", "subject", "type", "tags", "custom_fields"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class ExportPage(_Strict):
    """One incremental ticket export page (cursor or time based)."""

    tickets: tuple[ZendeskTicket, ...]
    end_of_stream: bool
    after_cursor: str | None = None
    users: tuple[User, ...] = ()


class AuditEvent(_Strict):
    type: str
    id: int | None = None
    field_name: str | None = None
    value: Any = None
    previous_value: Any = None
    body: str | None = None
    plain_body: str | None = None
    public: bool | None = None
    author_id: int | None = None


class Audit(_Strict):
    id: int
    ticket_id: int
    created_at: AwareDatetime
    author_id: int | None = None
    via: dict[str, Any] | None = None
    events: tuple[AuditEvent, ...] = ()


class AuditsPage(_Strict):
    audits: tuple[Audit, ...]


def _is_page(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("tickets"), list) and "end_of_stream" in record


def _is_audits(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("audits"), list)


class ZendeskExport:
    """The format (see the module docstring)."""

    name = "zendesk-incremental"
    vendor = convert.VENDOR
    description = "Zendesk incremental ticket export pages and ticket audits pages, one per line"

    def recognises(self, record: Mapping[str, Any]) -> bool:
        return _is_page(record) or _is_audits(record)

    def read(self, records: Iterable[Record], *, account: str | None) -> Iterator[TicketEvent]:
        tickets: dict[int, tuple[ZendeskTicket, int]] = {}
        audits: dict[int, dict[int, Audit]] = {}
        audit_lines: dict[int, int] = {}
        roles: dict[int, str] = {}
        last_page: tuple[ExportPage, int] | None = None
        for record in records:
            if _is_page(record.data):
                page = _validate(ExportPage, record, "an incremental export page")
                for ticket in page.tickets:
                    tickets[ticket.id] = (ticket, record.line)
                for user in page.users:
                    if user.role:
                        roles[user.id] = user.role
                last_page = (page, record.line)
            else:
                listing = _validate(AuditsPage, record, "a ticket audits page")
                for audit in listing.audits:
                    audits.setdefault(audit.ticket_id, {})[audit.id] = audit
                    audit_lines.setdefault(audit.ticket_id, record.line)
        if last_page is None:
            raise ExportError(
                "no incremental export page: the file holds audits only; add the pages of "
                "GET /api/v2/incremental/tickets/cursor.json"
            )
        if not last_page[0].end_of_stream:
            raise ExportError(
                "the export is truncated: its last page says end_of_stream false, so the pages "
                f"after cursor {last_page[0].after_cursor or '?'} were not saved",
                line=last_page[1],
            )
        for ticket_id, line in audit_lines.items():
            if ticket_id not in tickets:
                raise ExportError(
                    f"audits of ticket {ticket_id}, which no export page in the file holds", line=line
                )
        for ticket_id in sorted(tickets):
            ticket, line = tickets[ticket_id]
            found = audits.get(ticket_id)
            if not found:
                raise ExportError(
                    f"ticket {ticket_id} has no audits in the file: add the pages of "
                    f"GET /api/v2/tickets/{ticket_id}/audits (or leave the ticket out)",
                    line=line,
                )
            name = account or _account_of(ticket) or DEFAULT_ACCOUNT
            ordered = sorted(found.values(), key=lambda a: (a.created_at, a.id))
            if not any(item.type == "Create" for item in ordered[0].events):
                raise ExportError(
                    f"the audits of ticket {ticket_id} do not start with its creation (audit "
                    f"{ordered[0].id} has no Create event): a page of its audits is missing",
                    line=audit_lines[ticket_id],
                )
            try:
                events = list(_ticket_events(ticket, ordered, account=name, roles=roles))
            except ValidationError as exc:  # a value no case could hold (an id too long...)
                raise ExportError(
                    f"ticket {ticket_id}'s history cannot be read: {first_problem(exc)}",
                    line=audit_lines.get(ticket_id, line),
                ) from None
            yield from events


def _validate(model: type[_Strict], record: Record, what: str) -> Any:
    try:
        return model.model_validate(record.data)
    except ValidationError as exc:
        raise ExportError(
            f"not {what} as Zendesk documents it: {first_problem(exc)}", line=record.line
        ) from None


def _account_of(ticket: ZendeskTicket) -> str | None:
    url = (ticket.model_extra or {}).get("url")
    match = _HOST.match(url) if isinstance(url, str) else None
    return match.group(1).lower() if match else None


class _State:
    """The ticket's fields as the audits so far set them."""

    def __init__(self, final: ZendeskTicket) -> None:
        self.final = final
        self.fields: dict[str, Any] = {
            "status": "new",
            "priority": None,
            "assignee_id": None,
            "group_id": None,
            "tags": [],
            "subject": final.subject,
            "type": None,
            "requester_id": final.requester_id,
        }
        self.custom: dict[str, Any] = {}

    def set(self, name: str, value: Any) -> str | None:
        """Set one field; the name ``TicketEvent.changes`` knows it by, or None to ignore."""
        if name.isdigit():
            self.custom[name] = value
            return "custom_fields"
        if name not in self.fields:
            return None
        self.fields[name] = list(value) if name == "tags" and isinstance(value, list) else value
        return {"assignee_id": "assignee", "group_id": "group", "requester_id": "requester"}.get(name, name)

    def ticket(self, *, account: str, at: datetime) -> Ticket:
        extra = self.final.model_extra or {}
        via = extra.get("via") or {}
        tags = self.fields["tags"]
        if isinstance(tags, str):
            tags = tags.split()
        created = convert.timestamp(self.final.created_at, default=at)
        return Ticket(
            id=str(self.final.id),
            vendor=convert.VENDOR,
            account=account,
            subject=str(self.fields["subject"] or ""),
            status=convert.status(_text(self.fields["status"])),
            priority=convert.priority(_text(self.fields["priority"])),
            channel=convert.channel(via.get("channel") if isinstance(via, Mapping) else None),
            requester=Requester(id=convert.sid(self.fields["requester_id"]) or "unknown"),
            recipient=extra.get("recipient") if isinstance(extra.get("recipient"), str) else None,
            assignee=convert.sid(self.fields["assignee_id"]),
            group=convert.sid(self.fields["group_id"]),
            tags=tuple(str(t) for t in tags or ()),
            custom_fields=dict(self.custom),
            created_at=min(created, at),
            updated_at=at,
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _previous(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if name == "status":
        return convert.status(str(value)).value
    if name == "priority":
        return convert.priority(str(value)).value
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _actor(author: int | None, audit: Audit, requester: str | None, roles: Mapping[int, str]) -> Actor:
    channel = (audit.via or {}).get("channel")
    if author is None or author == -1 or channel in ("rule", "system"):
        return Actor(id=convert.sid(author), role=ActorRole.SYSTEM)
    role = roles.get(author)
    if role is not None:
        return Actor(id=str(author), role=ActorRole.AGENT if role in _STAFF else ActorRole.CUSTOMER)
    return Actor(id=str(author), role=ActorRole.CUSTOMER if str(author) == requester else ActorRole.AGENT)


def _ticket_events(
    final: ZendeskTicket, audits: list[Audit], *, account: str, roles: Mapping[int, str]
) -> Iterator[TicketEvent]:
    state = _State(final)
    for index, audit in enumerate(audits):
        changes: dict[str, str | None] = {}
        comment: AuditEvent | None = None
        for item in audit.events:
            if item.type in ("Create", "Change") and item.field_name:
                before = state.fields.get(item.field_name, state.custom.get(item.field_name))
                name = state.set(item.field_name, item.value)
                if name is not None and item.type == "Change":
                    changes.setdefault(name, _previous(item.field_name, item.previous_value or before))
            elif item.type == "Comment" and comment is None:
                comment = item
        ticket = state.ticket(account=account, at=audit.created_at)
        requester = ticket.requester.id
        author = (
            comment.author_id if comment is not None and comment.author_id is not None else audit.author_id
        )
        actor = _actor(author, audit, requester, roles)
        common: dict[str, Any] = {"time": audit.created_at, "ticket": ticket}
        body = (comment.plain_body or comment.body or "") if comment is not None else ""
        if index == 0:
            yield TicketEvent(
                id=f"{audit.id}:created",
                kind=EventKind.CREATED,
                actor=actor,
                body=body,
                public=True,
                **common,
            )
            continue
        if comment is not None:
            if actor.role is ActorRole.CUSTOMER:
                kind = EventKind.CUSTOMER_MESSAGE
            elif comment.public is False:
                kind = EventKind.INTERNAL_NOTE
            else:
                kind = EventKind.AGENT_REPLY
            yield TicketEvent(
                id=f"{audit.id}:{kind.value}",
                kind=kind,
                actor=actor,
                body=body,
                public=comment.public if comment.public is not None else True,
                **common,
            )
        change_actor = _actor(audit.author_id, audit, requester, roles)
        moved = {k: v for k, v in changes.items() if k in ("assignee", "group")}
        if moved:
            yield TicketEvent(
                id=f"{audit.id}:assigned",
                kind=EventKind.ASSIGNED,
                actor=change_actor,
                changes=moved,
                **common,
            )
        if "status" in changes:
            yield TicketEvent(
                id=f"{audit.id}:status_changed",
                kind=EventKind.STATUS_CHANGED,
                actor=change_actor,
                changes={"status": changes["status"]},
                **common,
            )
        fields = {k: v for k, v in changes.items() if k in _CHANGED_FIELDS}
        if fields:
            yield TicketEvent(
                id=f"{audit.id}:fields_changed",
                kind=EventKind.FIELDS_CHANGED,
                actor=change_actor,
                changes=fields,
                **common,
            )


EXPORT = ZendeskExport()
