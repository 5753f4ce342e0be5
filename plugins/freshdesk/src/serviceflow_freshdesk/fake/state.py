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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import text
from ..codes import FIRST_CUSTOM_STATUS
from . import checks, documented, listing, stats
from .changes import ChangeKind, ChangeListener, Notified, TicketChange
from .directory import Directory
from .records import (
    Clock,
    Json,
    conversation_record,
    iso,
    method_not_allowed,
    not_found,
    ticket_record,
    validation_failed,
)

#: Fields ``PUT /api/v2/tickets/{id}`` takes: Update a Ticket's documented fields (FD-docs lines
#: 1461-1497, the table in ``api_v2_fields.json``). ``spam`` is not among them: an update that
#: carries it is 400 ``invalid_field`` (FD-docs line 387; CONTRACTS.md §8).
UPDATABLE = frozenset(documented.endpoint("PUT", "/api/v2/tickets/1").body or {})  # type: ignore[union-attr]
#: What seeding may set besides (``add_ticket``): the flags and addresses only Freshdesk sets.
SEED_ONLY = frozenset({"spam", "to_emails", "created_at", "updated_at"})


@dataclass
class _Counters:
    conversations: Iterator[int] = field(default_factory=lambda: itertools.count(90001))
    tickets: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class FakeState:
    """One fake Freshdesk account: its tickets and conversations, and its :class:`Directory` of
    contacts, agents, groups, companies and mailboxes.

    All methods are thread-safe. Methods named like API operations raise :class:`FakeApiError`
    exactly where the API would answer with an error.
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
            if not hasattr(self, "directory"):
                self.directory = Directory(self.lock, self._now)
            self.directory.reset()
            self.tickets: dict[int, Json] = {}
            self.conversations: dict[int, list[Json]] = {}
            self.stats: dict[int, Json] = {}  # include=stats, per ticket (:mod:`.stats`)
            self.notified: list[Notified] = []
            self._ids = _Counters()

    @property
    def contacts(self) -> dict[int, Json]:
        return self.directory.contacts

    @property
    def agents(self) -> dict[int, Json]:
        return self.directory.agents

    @property
    def groups(self) -> dict[int, Json]:
        return self.directory.groups

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

    # ------------------------------------------------------------------ reads

    def get_ticket(self, ticket_id: int, *, include: Iterable[str] = ()) -> Json:
        """A ticket as ``GET /api/v2/tickets/{id}`` answers (deleted and spam ones too); 404 when
        it does not exist at all (purged)."""
        with self.lock:
            return self.view(self._ticket(ticket_id), include=set(include), listing=False)

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
        """``GET /api/v2/tickets`` before pagination (:func:`.listing.select`); 400 for an unknown
        filter or order."""
        with self.lock:
            found = listing.select(
                self.tickets.values(), now=self.clock(), filter_name=filter_name,
                updated_since=updated_since, order_by=order_by, order_type=order_type, actor_id=actor_id,
            )  # fmt: skip
            wanted = set(include)
            return [self.view(t, include=wanted, listing=True) for t in found]

    def list_conversations(self, ticket_id: int) -> list[Json]:
        """A ticket's replies and notes, oldest first; 404 when the ticket does not exist."""
        with self.lock:
            self._ticket(ticket_id)
            return copy.deepcopy(self.conversations.get(ticket_id, []))

    # ------------------------------------------------------------------ ticket writes

    def create_ticket(
        self, fields: Mapping[str, Any], *, actor_id: int | None, emit: bool = True, seeding: bool = False
    ) -> Json:
        """``POST /api/v2/tickets``: a requester by ``requester_id`` or ``email`` (a new contact),
        a ``subject`` and a ``description``; 400 otherwise. Seeding (``add_ticket``) may also set
        :data:`SEED_ONLY` fields (``spam``, ``to_emails``, backdated ``created_at``). The company
        is the requester's unless given (the fake's choice). Fires the creation rules when
        ``emit``."""
        with self.lock:
            checks.no_undocumented_fields(
                "POST", "/api/v2/tickets", fields, also=SEED_ONLY if seeding else ()
            )
            requester_id = checks.requester_of(self.directory, fields)
            problems = []
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
                requester_id=requester_id,
                now=str(fields.get("created_at") or now),
                description=description,
                description_text=text.plain(description),
                company_id=self.contacts[requester_id].get("company_id"),
            )
            changes = {
                k: v
                for k, v in fields.items()
                if k in UPDATABLE and k not in ("description", "email", "name")
            }
            checks.ticket_values(self.directory, self._custom, changes)
            ticket.update(copy.deepcopy(changes))
            for name in ("spam", "to_emails"):
                if name in fields:
                    ticket[name] = copy.deepcopy(fields[name])
            ticket["tags"] = list(ticket["tags"])
            ticket["updated_at"] = str(fields.get("updated_at") or ticket["created_at"])
            self.tickets[ticket_id] = ticket
            self.conversations[ticket_id] = []
            self.stats[ticket_id] = stats.new_stats(ticket["created_at"])
            stats.on_status(self.stats[ticket_id], stats.OPEN, ticket["status"], ticket["created_at"])
            if emit:
                self._emit(TicketChange(ticket_id, "created", None, copy.deepcopy(ticket), None, actor_id))
            return self.view(ticket, include=set(), listing=False)

    def update_ticket(self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int | None) -> Json:
        """``PUT /api/v2/tickets/{id}``: a flat body; ``tags`` replaces the list. 400
        ``invalid_field`` for a field Update a Ticket does not document (``spam`` among them),
        405 for a ticket that is spam or deleted (FD-docs line 164: "Updating or deleting a ticket
        that has been marked as spam or deleted will now return a '405 Method Not Allowed'"),
        404 when purged. ``updated_at`` moves only when something changed."""
        with self.lock:
            ticket = self._ticket(ticket_id)
            checks.no_undocumented_fields("PUT", "/api/v2/tickets/1", fields)
            if ticket["deleted"] or ticket["spam"]:
                raise method_not_allowed()
            checks.ticket_values(self.directory, self._custom, fields)
            return self._apply(ticket, dict(fields), actor_id=actor_id)

    def set_flags(self, ticket_id: int, *, actor_id: int | None, **flags: bool) -> Json:
        """What a person does in the UI and the public API cannot: mark spam, "Not Spam", delete
        and restore, as flags (``spam``, ``deleted``). Fires no rule (the fake's choice: no
        stored source says which rules, if any, fire for these)."""
        with self.lock:
            ticket = self._ticket(ticket_id)
            before = copy.deepcopy(ticket)
            ticket.update(flags)
            if ticket != before:
                ticket["updated_at"] = self._now()
            return self.view(ticket, include=set(), listing=False)

    def delete_ticket(self, ticket_id: int) -> None:
        """``DELETE /api/v2/tickets/{id}``: to the trash (``deleted: true``); 405 for a ticket that
        is spam or already deleted (FD-docs line 164), 404 when purged."""
        with self.lock:
            ticket = self._ticket(ticket_id)
            if ticket["deleted"] or ticket["spam"]:
                raise method_not_allowed()
            ticket["deleted"] = True
            ticket["updated_at"] = self._now()

    def purge(self, ticket_id: int) -> None:
        """Delete a ticket for good (as Freshdesk does to trash and spam after 30 days)."""
        with self.lock:
            self.tickets.pop(ticket_id, None)
            self.conversations.pop(ticket_id, None)
            self.stats.pop(ticket_id, None)

    def add_note(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> Json:
        """``POST /api/v2/tickets/{id}/notes`` (FD-docs lines 3978-4020): ``body`` (HTML) required,
        ``private`` defaults to true, ``notify_emails`` only agents' primary emails (400
        ``invalid_agent_emails`` naming the others, as Freshdesk's ``validate_agent_emails``
        does, research A.2; the body's wording is the fake's). The addresses are kept as the
        note's ``to_emails`` and answered as ``notified_to``; :attr:`notified` records who
        Freshdesk would email. Fires the note rules."""
        checks.no_undocumented_fields("POST", "/api/v2/tickets/1/notes", fields)
        body = checks.body_of(fields)
        private = fields.get("private", True)
        if not isinstance(private, bool):
            raise validation_failed(("private", "It should be a/an Boolean", "datatype_mismatch"))
        emails = checks.notify_emails(self.directory, fields.get("notify_emails", []))
        user_id = int(fields.get("user_id") or actor_id)
        note = self._converse(
            ticket_id,
            body,
            private=private,
            incoming=bool(fields.get("incoming", False)),
            user_id=user_id,
            source=2,
            kind="note",
            emit=emit,
            to_emails=emails,
        )
        if emails:
            with self.lock:
                self.notified.append(Notified(ticket_id, note["id"], tuple(emails), user_id))
        return {**note, "notified_to": list(emails)}

    def add_reply(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> Json:
        """``POST /api/v2/tickets/{id}/reply``: an agent's email to the requester."""
        body = checks.body_of(fields)
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
        to_emails: list[str] | None = None,
    ) -> Json:
        with self.lock:
            ticket = self._ticket(ticket_id)
            if ticket["deleted"]:
                raise not_found()  # the fake's choice: the docs say nothing of notes on trash
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
            conversation["to_emails"] = list(to_emails or [])
            self.conversations[ticket_id].append(conversation)
            stats.on_conversation(self.stats[ticket_id], incoming=incoming, private=private, now=now)
            before = copy.deepcopy(ticket)
            ticket["updated_at"] = now
            if emit:
                self._emit(
                    TicketChange(
                        ticket_id, kind, before, copy.deepcopy(ticket), copy.deepcopy(conversation), user_id
                    )
                )
            return copy.deepcopy(conversation)

    def _apply(self, ticket: Json, fields: dict[str, Any], *, actor_id: int | None) -> Json:
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
            stats.on_status(
                self.stats[ticket["id"]], before["status"], ticket["status"], ticket["updated_at"]
            )
            self._emit(TicketChange(ticket["id"], "updated", before, copy.deepcopy(ticket), None, actor_id))
        return self.view(ticket, include=set(), listing=False)

    def view(self, ticket: Json, *, include: set[str], listing: bool) -> Json:
        """What the API shows of ``ticket`` (:func:`.checks.ticket_view`)."""
        found = self.stats.get(ticket["id"])
        return checks.ticket_view(self.directory, ticket, include=include, listing=listing, stats=found)

    def _ticket(self, ticket_id: int) -> Json:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def _now(self) -> str:
        return iso(self.clock())
