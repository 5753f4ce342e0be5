"""The fake Zendesk's account data: what it holds, how it is seeded and read, and who hears of
its changes.

Kept apart from HTTP so the rules read like the contract they copy, and so tests and demos can
seed and inspect the account directly. Objects are stored as the JSON Zendesk returns (dicts),
because the wire shape is what the fake promises; every read hands out a deep copy, since the
server thread and the test thread share this state. The rules that change tickets are their own
modules: :mod:`.ticket_writes` (create, update, tags), :mod:`.ticket_rules` (how fields apply,
safe updates, assignment, audits) and :mod:`.merging`; the echo of a change is
:class:`~.changes.TicketChange`.

Sources: CONTRACTS.md §1.2-1.4 and the official OAS (TicketUpdateInput, TicketMergeInput,
JobStatusObject; the record shapes live in :mod:`.records`). Where Zendesk's exact wording
is unknown the fake uses its own and says so.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import merging, ticket_writes
from .changes import ChangeListener, TicketChange
from .notifications import Notification
from .records import (
    Clock,
    FakeApiError,
    Json,
    group_record,
    iso,
    membership_record,
    not_found,
    organization_record,
    user_record,
)

__all__ = ["ChangeListener", "FakeApiError", "FakeState", "Json", "TicketChange"]


@dataclass
class _Counters:
    users: Iterator[int] = field(default_factory=lambda: itertools.count(10001))
    groups: Iterator[int] = field(default_factory=lambda: itertools.count(20001))
    memberships: Iterator[int] = field(default_factory=lambda: itertools.count(30001))
    comments: Iterator[int] = field(default_factory=lambda: itertools.count(40001))
    audits: Iterator[int] = field(default_factory=lambda: itertools.count(50001))
    events: Iterator[int] = field(default_factory=lambda: itertools.count(60001))
    tickets: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    organizations: Iterator[int] = field(default_factory=lambda: itertools.count(70001))


class FakeState:
    """One fake Zendesk account: users, groups, memberships, tickets, comments, job statuses.

    All methods are thread-safe. Methods named like API operations raise :class:`FakeApiError`
    exactly where the API would answer with an error.
    """

    def __init__(self, *, account_id: int, clock: Clock) -> None:
        """Create an empty account.

        Args:
            account_id: Sent in webhook envelopes and headers.
            clock: Source of "now"; injectable so demos and tests can control time.
        """
        self.account_id = account_id
        self.clock = clock
        self.base_url = "http://127.0.0.1"
        self.lock = threading.RLock()
        self._listeners: list[ChangeListener] = []
        self.reset()

    def reset(self) -> None:
        """Forget every object (listeners stay)."""
        with self.lock:
            self.users: dict[int, Json] = {}
            self.groups: dict[int, Json] = {}
            self.memberships: dict[int, Json] = {}
            self.tickets: dict[int, Json] = {}
            self.comments: dict[int, list[Json]] = {}
            self.audits: dict[int, list[Json]] = {}  # ListAuditsForTicket (for reconcile's history)
            self.job_statuses: dict[str, Json] = {}
            self.organizations: dict[int, Json] = {}
            self.notifications: list[Notification] = []
            self._ids = _Counters()

    def rebase(self, base_url: str) -> None:
        """Point every object's ``url`` at ``base_url`` (the port is known only once serving)."""
        with self.lock:
            old, self.base_url = self.base_url, base_url
            for table in (self.users, self.groups, self.memberships, self.tickets, self.organizations):
                for record in table.values():
                    if isinstance(record.get("url"), str):
                        record["url"] = record["url"].replace(old, base_url, 1)

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every ticket change (the webhook dispatcher subscribes here)."""
        self._listeners.append(listener)

    def emit(self, changes: Iterable[TicketChange]) -> None:
        for change in changes:
            for listener in self._listeners:
                listener(change)

    # ------------------------------------------------------------------ seeding

    def add_user(self, name: str, *, email: str | None = None, role: str = "end-user", **extra: Any) -> Json:
        """Create a user; ``extra`` overrides any UserForAdmin field."""
        with self.lock:
            user_id = self.next_id("users")
            now = iso(self.clock())
            user = user_record(user_id, name, email, role, base_url=self.base_url, now=now)
            user.update(extra)
            self.users[user_id] = user
            return copy.deepcopy(user)

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group; ``extra`` overrides any GroupObject field."""
        with self.lock:
            group_id = self.next_id("groups")
            now = iso(self.clock())
            group = group_record(group_id, name, default=not self.groups, base_url=self.base_url, now=now)
            group.update(extra)
            self.groups[group_id] = group
            return copy.deepcopy(group)

    def add_membership(self, user_id: int, group_id: int, *, default: bool | None = None) -> Json:
        """Put an agent in a group; the agent's first membership becomes the default one.

        Raises:
            KeyError: the user or group does not exist (a seeding mistake, not an API error).
        """
        with self.lock:
            user = self.users[user_id]
            if group_id not in self.groups:
                raise KeyError(f"no group {group_id}")
            first = not any(m["user_id"] == user_id for m in self.memberships.values())
            is_default = first if default is None else default
            if is_default:
                for other in self.memberships.values():
                    if other["user_id"] == user_id:
                        other["default"] = False
                user["default_group_id"] = group_id
            membership_id = self.next_id("memberships")
            now = iso(self.clock())
            membership = membership_record(
                membership_id, user_id, group_id, default=is_default, base_url=self.base_url, now=now
            )
            self.memberships[membership_id] = membership
            return copy.deepcopy(membership)

    def add_organization(self, name: str, **extra: Any) -> Json:
        """Create an organization; ``extra`` overrides any OrganizationObject field."""
        with self.lock:
            org_id = self.next_id("organizations")
            org = organization_record(org_id, name, base_url=self.base_url, now=iso(self.clock()))
            org.update(extra)
            self.organizations[org_id] = org
            return copy.deepcopy(org)

    def add_ticket(
        self,
        fields: Mapping[str, Any],
        *,
        actor_id: int,
        notify: bool = False,
        system_fields: Mapping[str, Any] | None = None,
    ) -> Json:
        """Seed a ticket as if created through the API; webhooks fire only when ``notify``.

        ``fields`` is a TicketCreateInput (``comment`` becomes the description) plus, for seeding,
        ``created_at``/``updated_at``; ``system_fields`` are read-only fields (``recipient``).
        """
        ticket, _audit, _change = self.create_ticket(
            fields, actor_id=actor_id, emit=notify, system_fields=system_fields
        )
        return ticket

    def sideloads(self, ticket: Json, include: Iterable[str]) -> Json:
        """What ``include=users,organizations`` adds to a ShowTicket answer: top-level ``users``
        (requester, submitter, assignee, followers, CCs) and ``organizations`` (the ticket's and
        the requester's) arrays, as the side-loading guide shows."""
        wanted = set(include)
        out: Json = {}
        with self.lock:
            user_ids = [ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id")]
            user_ids += [*ticket.get("follower_ids", ()), *ticket.get("email_cc_ids", ())]
            users = [self.users[u] for u in dict.fromkeys(user_ids) if u in self.users]
            if "users" in wanted:
                out["users"] = copy.deepcopy(users)
            if "organizations" in wanted:
                requester = self.users.get(ticket.get("requester_id"))  # type: ignore[arg-type]
                org_ids = [
                    ticket.get("organization_id"),
                    requester.get("organization_id") if requester else None,
                ]
                out["organizations"] = [
                    copy.deepcopy(self.organizations[o])
                    for o in dict.fromkeys(org_ids)
                    if o in self.organizations
                ]
        return out

    # ------------------------------------------------------------------ reads

    def get_ticket(self, ticket_id: int) -> Json:
        """A copy of one ticket; 404 when missing."""
        with self.lock:
            return copy.deepcopy(self.ticket_or_404(ticket_id))

    def list_tickets(self, *, external_id: str | None = None) -> list[Json]:
        """All tickets by id (ListTickets order), optionally by ``external_id``."""
        with self.lock:
            found = [t for t in self.tickets.values() if external_id in (None, t["external_id"])]
            return copy.deepcopy(sorted(found, key=lambda t: t["id"]))

    def list_comments(self, ticket_id: int) -> list[Json]:
        """A ticket's comments, oldest first; 404 when the ticket is missing."""
        with self.lock:
            self.ticket_or_404(ticket_id)
            return copy.deepcopy(self.comments.get(ticket_id, []))

    def list_audits(self, ticket_id: int) -> list[Json]:
        """A ticket's audits, oldest first (ListAuditsForTicket); 404 when the ticket is missing."""
        with self.lock:
            self.ticket_or_404(ticket_id)
            return copy.deepcopy(self.audits.get(ticket_id, []))

    def get_user(self, user_id: int) -> Json:
        """A copy of one user; 404 when missing."""
        with self.lock:
            if user_id not in self.users:
                raise not_found()
            return copy.deepcopy(self.users[user_id])

    def list_users(self, *, roles: Iterable[str] = (), external_id: str | None = None) -> list[Json]:
        """Users by id, filtered by any of ``roles`` (empty: all) and ``external_id``."""
        wanted = set(roles)
        with self.lock:
            found = [
                u
                for u in self.users.values()
                if (not wanted or u["role"] in wanted) and external_id in (None, u["external_id"])
            ]
            return copy.deepcopy(sorted(found, key=lambda u: u["id"]))

    def list_groups(self) -> list[Json]:
        """Groups by id (deleted ones too, as the API does without ``exclude_deleted``)."""
        with self.lock:
            return copy.deepcopy(sorted(self.groups.values(), key=lambda g: g["id"]))

    def list_memberships(self, *, group_id: int | None = None, user_id: int | None = None) -> list[Json]:
        """Memberships by id, optionally for one group and/or one user."""
        with self.lock:
            found = [
                m
                for m in self.memberships.values()
                if group_id in (None, m["group_id"]) and user_id in (None, m["user_id"])
            ]
            return copy.deepcopy(sorted(found, key=lambda m: m["id"]))

    def get_job_status(self, job_id: str) -> Json:
        """A job status; 404 when unknown."""
        with self.lock:
            if job_id not in self.job_statuses:
                raise not_found()
            return copy.deepcopy(self.job_statuses[job_id])

    # ------------------------------------------------------------------ ticket writes

    def create_ticket(
        self,
        fields: Mapping[str, Any],
        *,
        actor_id: int,
        emit: bool = True,
        system_fields: Mapping[str, Any] | None = None,
    ) -> tuple[Json, Json, TicketChange]:
        """CreateTicket: returns (ticket, audit, change); see :func:`.ticket_writes.create_ticket`."""
        return ticket_writes.create_ticket(
            self, fields, actor_id=actor_id, emit=emit, system_fields=system_fields
        )

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> tuple[Json, Json, TicketChange | None]:
        """UpdateTicket: returns (ticket, audit, change or None when nothing changed); see
        :func:`.ticket_writes.update_ticket`."""
        return ticket_writes.update_ticket(self, ticket_id, fields, actor_id=actor_id, emit=emit)

    def change_tags(
        self,
        ticket_id: int,
        fields: Mapping[str, Any],
        *,
        mode: Literal["add", "remove", "set"],
        actor_id: int,
    ) -> list[str]:
        """The Tags endpoints (PUT adds, DELETE removes, POST sets); see
        :func:`.ticket_writes.change_tags`."""
        return ticket_writes.change_tags(self, ticket_id, fields, mode=mode, actor_id=actor_id)

    def merge(self, target_id: int, fields: Mapping[str, Any], *, actor_id: int) -> Json:
        """MergeTicketsIntoTargetTicket: returns a job status; see :func:`.merging.merge_tickets`."""
        return merging.merge_tickets(self, target_id, fields, actor_id=actor_id)

    # ------------------------------------------------------------------ for the rules' modules

    def next_id(self, kind: str) -> int:
        """The next id of ``kind`` (a :class:`_Counters` field)."""
        counter: Iterator[int] = getattr(self._ids, kind)
        return next(counter)

    def ticket_or_404(self, ticket_id: int) -> Json:
        """The stored ticket itself (not a copy; hold :attr:`lock`), or the API's 404."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket
