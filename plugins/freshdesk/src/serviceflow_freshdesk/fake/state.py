"""The fake Freshdesk's account data and the rules that change it.

Kept apart from HTTP so the rules (flat updates, tags that replace, validation, spam and trash)
read like the contract they copy, and so tests and demos can seed and inspect the account
directly. Objects are stored as the JSON Freshdesk returns (dicts); every read hands out a deep
copy, since the server thread and the test thread share this state.

Sources: CONTRACTS.md §2.2-2.5. Where Freshdesk's behaviour or wording is unknown the fake makes
its own choice and says so.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from .. import text
from ..codes import FIRST_CUSTOM_STATUS, PRIORITY_NAMES, SOURCE_NAMES, STATUS_NAMES
from .records import (
    Clock,
    Json,
    agent_record,
    contact_record,
    conversation_record,
    group_record,
    iso,
    not_found,
    parse_iso,
    ticket_record,
    validation_failed,
)

ChangeKind = Literal["created", "updated", "note", "reply", "customer_reply"]
#: Fields a ``PUT /api/v2/tickets/{id}`` may set (CONTRACTS.md §2.3), plus ``spam`` for un-spamming
#: (UNVERIFIED, see :mod:`.quarantine`).
UPDATABLE = frozenset(
    {
        "subject",
        "description",
        "status",
        "priority",
        "source",
        "type",
        "responder_id",
        "group_id",
        "tags",
        "custom_fields",
        "due_by",
        "fr_due_by",
        "spam",
    }
)
#: Without ``updated_since``, the ticket list shows only tickets created in the last 30 days.
DEFAULT_LIST_WINDOW = timedelta(days=30)
LIST_FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
ORDER_FIELDS = ("created_at", "due_by", "updated_at", "status")


@dataclass(frozen=True)
class TicketChange:
    """What one action did to one ticket; the webhook layer turns it into deliveries.

    Attributes:
        ticket_id: The ticket.
        kind: ``created``, ``updated`` (fields), ``note``, ``reply`` (an agent's) or
            ``customer_reply``.
        before: The ticket before; None when created.
        after: The ticket after.
        conversation: The note or reply the action added, if any.
        actor_id: The agent or contact who acted.
    """

    ticket_id: int
    kind: ChangeKind
    before: Json | None
    after: Json
    conversation: Json | None = None
    actor_id: int | None = None


ChangeListener = Callable[[TicketChange], None]


@dataclass
class _Counters:
    contacts: Iterator[int] = field(default_factory=lambda: itertools.count(80001))
    groups: Iterator[int] = field(default_factory=lambda: itertools.count(70001))
    conversations: Iterator[int] = field(default_factory=lambda: itertools.count(90001))
    tickets: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class FakeState:
    """One fake Freshdesk account: contacts, agents, groups, tickets, conversations.

    All methods are thread-safe. Methods named like API operations raise :class:`FakeApiError`
    exactly where the API would answer with an error. Agents are contacts too (their agent id is
    their contact id here, a simplification: the API never compares the two).
    """

    def __init__(self, *, clock: Clock, custom_statuses: Mapping[int, str] | None = None) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self._listeners: list[ChangeListener] = []
        self._custom = dict(custom_statuses or {6: "Waiting on Customer"})
        self.reset()

    def reset(self) -> None:
        """Forget every object (listeners and custom statuses stay)."""
        with self.lock:
            self.contacts: dict[int, Json] = {}
            self.agents: dict[int, Json] = {}
            self.groups: dict[int, Json] = {}
            self.tickets: dict[int, Json] = {}
            self.conversations: dict[int, list[Json]] = {}
            self._ids = _Counters()

    @property
    def custom_statuses(self) -> dict[int, str]:
        """The account's own statuses, id -> name (6 and up)."""
        return dict(self._custom)

    def add_custom_status(self, status_id: int, name: str) -> None:
        """Define a custom status (ids 6 and up)."""
        if status_id < FIRST_CUSTOM_STATUS:
            raise ValueError(f"custom status ids start at {FIRST_CUSTOM_STATUS}")
        with self.lock:
            self._custom[status_id] = name

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every ticket change (the webhook dispatcher subscribes here)."""
        self._listeners.append(listener)

    def _emit(self, change: TicketChange) -> None:
        for listener in self._listeners:
            listener(change)

    # ------------------------------------------------------------------ seeding people

    def add_contact(self, name: str, *, email: str | None = None, **extra: Any) -> Json:
        """Create a contact (a customer)."""
        with self.lock:
            contact_id = next(self._ids.contacts)
            contact = contact_record(contact_id, name, email, now=self._now())
            contact.update(extra)
            self.contacts[contact_id] = contact
            return copy.deepcopy(contact)

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group."""
        with self.lock:
            group_id = next(self._ids.groups)
            group = group_record(group_id, name, now=self._now())
            group.update(extra)
            self.groups[group_id] = group
            return copy.deepcopy(group)

    def add_agent(self, name: str, *, email: str, group_ids: Iterable[int] = (), **extra: Any) -> Json:
        """Create an agent (and its contact) in ``group_ids``.

        Raises:
            KeyError: a group does not exist (a seeding mistake, not an API error).
        """
        with self.lock:
            groups = list(group_ids)
            for group_id in groups:
                if group_id not in self.groups:
                    raise KeyError(f"no group {group_id}")
            contact = self.add_contact(name, email=email)
            agent = agent_record(contact["id"], contact, group_ids=groups, now=self._now())
            agent.update(extra)
            self.agents[agent["id"]] = agent
            for group_id in groups:
                self.groups[group_id]["agent_ids"].append(agent["id"])
            return copy.deepcopy(agent)

    def deactivate_contact(self, contact_id: int) -> None:
        """Mark a contact (or an agent's contact) inactive."""
        with self.lock:
            self.contacts[contact_id]["active"] = False
            if contact_id in self.agents:
                self.agents[contact_id]["contact"]["active"] = False

    # ------------------------------------------------------------------ reads

    def get_ticket(self, ticket_id: int, *, include: Iterable[str] = ()) -> Json:
        """A ticket as ``GET /api/v2/tickets/{id}`` answers (deleted and spam ones too); 404 when
        it does not exist at all (purged)."""
        with self.lock:
            return self._view(self._ticket(ticket_id), include=set(include), listing=False)

    def list_tickets(
        self,
        *,
        filter_name: str | None = None,
        updated_since: str | None = None,
        order_by: str = "created_at",
        order_type: str = "desc",
        include: Iterable[str] = (),
        actor_id: int | None = None,
    ) -> list[Json]:
        """``GET /api/v2/tickets`` before pagination; 400 for an unknown filter or order."""
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
        with self.lock:
            window_start = self.clock() - DEFAULT_LIST_WINDOW
            found = []
            for ticket in self.tickets.values():
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
            wanted = set(include)
            return [self._view(t, include=wanted, listing=True) for t in found]

    def list_conversations(self, ticket_id: int) -> list[Json]:
        """A ticket's replies and notes, oldest first; 404 when the ticket does not exist."""
        with self.lock:
            self._ticket(ticket_id)
            return copy.deepcopy(self.conversations.get(ticket_id, []))

    def list_agents(self) -> list[Json]:
        """Agents by id."""
        with self.lock:
            return copy.deepcopy(sorted(self.agents.values(), key=lambda a: a["id"]))

    def get_agent(self, agent_id: int) -> Json:
        """An agent; 404 when missing."""
        with self.lock:
            if agent_id not in self.agents:
                raise not_found()
            return copy.deepcopy(self.agents[agent_id])

    def list_groups(self) -> list[Json]:
        """Groups by id."""
        with self.lock:
            return copy.deepcopy(sorted(self.groups.values(), key=lambda g: g["id"]))

    def get_contact(self, contact_id: int) -> Json:
        """A contact; 404 when missing."""
        with self.lock:
            if contact_id not in self.contacts:
                raise not_found()
            return copy.deepcopy(self.contacts[contact_id])

    # ------------------------------------------------------------------ ticket writes

    def create_ticket(self, fields: Mapping[str, Any], *, actor_id: int | None, emit: bool = True) -> Json:
        """``POST /api/v2/tickets``: a requester by ``requester_id`` or ``email`` (a new contact),
        a ``subject`` and a ``description``; 400 otherwise. ``created_at``/``updated_at`` backdate
        (seeding only). Fires the creation rules when ``emit``."""
        with self.lock:
            problems = []
            requester_id = fields.get("requester_id")
            if requester_id is None and fields.get("email"):
                found = next((c for c in self.contacts.values() if c["email"] == fields["email"]), None)
                requester_id = (
                    found["id"]
                    if found
                    else self.add_contact(
                        str(fields.get("name") or fields["email"]), email=str(fields["email"])
                    )["id"]
                )
            if requester_id is None:
                problems.append(
                    (
                        "requester_id",
                        "Please fill at least 1 of email, requester_id attributes",
                        "missing_field",
                    )
                )
            elif requester_id not in self.contacts:
                problems.append(
                    ("requester_id", "There is no contact matching the given requester_id", "invalid_value")
                )
            for name in ("subject", "description"):
                if not isinstance(fields.get(name), str) or not fields.get(name):
                    problems.append((name, "It should be a/an String", "missing_field"))
            if problems:
                raise validation_failed(*problems)
            now = self._now()
            ticket_id = next(self._ids.tickets)
            description = str(fields["description"])
            ticket = ticket_record(
                ticket_id,
                requester_id=int(requester_id),  # type: ignore[arg-type]
                now=str(fields.get("created_at") or now),
                description=description,
                description_text=text.plain(description),
            )
            changes = {k: v for k, v in fields.items() if k in UPDATABLE and k != "description"}
            self._validate(changes, ticket)
            ticket.update(copy.deepcopy(changes))
            ticket["tags"] = list(ticket["tags"])
            ticket["updated_at"] = str(fields.get("updated_at") or ticket["created_at"])
            self.tickets[ticket_id] = ticket
            self.conversations[ticket_id] = []
            if emit:
                self._emit(TicketChange(ticket_id, "created", None, copy.deepcopy(ticket), None, actor_id))
            return self._view(ticket, include=set(), listing=False)

    def update_ticket(self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int | None) -> Json:
        """``PUT /api/v2/tickets/{id}``: a flat body; ``tags`` replaces the list. 400 for unknown
        fields or bad values, 404 for a ticket in the trash (the fake's choice) or purged.
        ``updated_at`` moves only when something changed."""
        with self.lock:
            ticket = self._ticket(ticket_id)
            if ticket["deleted"]:
                raise not_found()
            unknown = [k for k in fields if k not in UPDATABLE]
            if unknown:
                raise validation_failed(
                    *((k, "Unexpected/invalid field in request", "invalid_field") for k in unknown)
                )
            self._validate(fields, ticket)
            before = copy.deepcopy(ticket)
            for name, value in fields.items():
                if name == "custom_fields":
                    ticket["custom_fields"] = {**ticket["custom_fields"], **value}
                elif name == "description":
                    ticket["description"] = value
                    ticket["description_text"] = text.plain(value)
                else:
                    ticket[name] = copy.deepcopy(value)
            if ticket != before:
                ticket["updated_at"] = self._now()
                self._emit(TicketChange(ticket_id, "updated", before, copy.deepcopy(ticket), None, actor_id))
            return self._view(ticket, include=set(), listing=False)

    def delete_ticket(self, ticket_id: int) -> None:
        """``DELETE /api/v2/tickets/{id}``: to the trash (``deleted: true``); 404 when already
        there or purged (the fake's choice: the docs say nothing of a second delete)."""
        with self.lock:
            ticket = self._ticket(ticket_id)
            if ticket["deleted"]:
                raise not_found()
            ticket["deleted"] = True
            ticket["updated_at"] = self._now()

    def purge(self, ticket_id: int) -> None:
        """Delete a ticket for good (as Freshdesk does to trash and spam after 30 days)."""
        with self.lock:
            self.tickets.pop(ticket_id, None)
            self.conversations.pop(ticket_id, None)

    def add_note(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> Json:
        """``POST /api/v2/tickets/{id}/notes``: ``body`` (HTML) required, ``private`` defaults to
        true; fires the note rules."""
        body = self._body(fields)
        private = fields.get("private", True)
        if not isinstance(private, bool):
            raise validation_failed(("private", "It should be a/an Boolean", "datatype_mismatch"))
        user_id = int(fields.get("user_id") or actor_id)
        return self._converse(
            ticket_id,
            body,
            private=private,
            incoming=bool(fields.get("incoming", False)),
            user_id=user_id,
            source=2,
            kind="note",
            emit=emit,
        )

    def add_reply(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> Json:
        """``POST /api/v2/tickets/{id}/reply``: an agent's email to the requester."""
        body = self._body(fields)
        user_id = int(fields.get("user_id") or actor_id)
        return self._converse(
            ticket_id, body, private=False, incoming=False, user_id=user_id, source=0, kind="reply", emit=emit
        )

    def customer_reply(self, ticket_id: int, body_html: str, *, emit: bool = True) -> Json:
        """The requester writes again (by email): an incoming public reply. Freshdesk's reopening
        of a pending or resolved ticket on a customer reply is not modelled."""
        with self.lock:
            requester = self._ticket(ticket_id)["requester_id"]
        return self._converse(
            ticket_id,
            body_html,
            private=False,
            incoming=True,
            user_id=requester,
            source=0,
            kind="customer_reply",
            emit=emit,
        )

    # ------------------------------------------------------------------ internals

    def _converse(
        self,
        ticket_id: int,
        body: str,
        *,
        private: bool,
        incoming: bool,
        user_id: int,
        source: int,
        kind: ChangeKind,
        emit: bool,
    ) -> Json:
        with self.lock:
            ticket = self._ticket(ticket_id)
            if ticket["deleted"]:
                raise not_found()
            now = self._now()
            conversation = conversation_record(
                next(self._ids.conversations),
                ticket_id,
                body=body,
                body_text=text.plain(body),
                private=private,
                incoming=incoming,
                user_id=user_id,
                source=source,
                now=now,
            )
            self.conversations[ticket_id].append(conversation)
            before = copy.deepcopy(ticket)
            ticket["updated_at"] = now
            if emit:
                self._emit(
                    TicketChange(
                        ticket_id, kind, before, copy.deepcopy(ticket), copy.deepcopy(conversation), user_id
                    )
                )
            return copy.deepcopy(conversation)

    @staticmethod
    def _body(fields: Mapping[str, Any]) -> str:
        body = fields.get("body")
        if not isinstance(body, str) or not body.strip():
            raise validation_failed(("body", "It should be a/an String", "missing_field"))
        return body

    def _validate(self, fields: Mapping[str, Any], ticket: Json) -> None:
        problems: list[tuple[str, str, str]] = []
        statuses = sorted({*STATUS_NAMES, *self._custom})
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
                lambda v: v is None or v in self.agents,
                "There is no agent matching the given responder_id",
            ),
            "group_id": (
                lambda v: v is None or v in self.groups,
                "There is no group matching the given group_id",
            ),
            "tags": (
                lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v),
                "It should be a/an Array of String",
            ),
            "spam": (lambda v: isinstance(v, bool), "It should be a/an Boolean"),
            "custom_fields": (lambda v: isinstance(v, dict), "It should be a/an key/value pair"),
            "subject": (lambda v: isinstance(v, str) and bool(v), "It should be a/an String"),
        }
        for name, value in fields.items():
            if name in checks:
                ok, message = checks[name]
                # bool is an int in Python, but ``true`` is no status, priority or id to Freshdesk
                if (isinstance(value, bool) and name != "spam") or not ok(value):
                    code = (
                        "datatype_mismatch"
                        if name in ("tags", "spam", "custom_fields", "subject")
                        else "invalid_value"
                    )
                    problems.append((name, message, code))
        if problems:
            raise validation_failed(*problems)

    def _view(self, ticket: Json, *, include: set[str], listing: bool) -> Json:
        """What the API shows of a ticket: lists omit the description unless
        ``include=description``; ``include=requester`` sideloads the requester."""
        view = copy.deepcopy(ticket)
        if listing and "description" not in include:
            view.pop("description", None)
            view.pop("description_text", None)
        if "requester" in include:
            contact = self.contacts.get(ticket["requester_id"], {})
            view["requester"] = {
                "id": ticket["requester_id"],
                "name": contact.get("name"),
                "email": contact.get("email"),
                "mobile": contact.get("mobile"),
                "phone": contact.get("phone"),
            }
        if "stats" in include:
            view["stats"] = {
                "agent_responded_at": None,
                "requester_responded_at": None,
                "first_responded_at": None,
                "status_updated_at": ticket["updated_at"],
                "reopened_at": None,
                "resolved_at": None,
                "closed_at": None,
                "pending_since": None,
            }
        return view

    def _ticket(self, ticket_id: int) -> Json:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def _now(self) -> str:
        return iso(self.clock())


def parse_include(value: str | None) -> list[str]:
    """``include=requester,stats`` -> the names; 400 for unknown ones."""
    if not value:
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    allowed = ("requester", "description", "stats", "company", "conversations")
    bad = [n for n in names if n not in allowed]
    if bad:
        raise validation_failed(
            ("include", f"It should be one of these values: '{','.join(allowed)}'", "invalid_value")
        )
    return names
