"""The fake Zendesk's account data and the rules that change it.

Kept apart from HTTP so the rules (safe updates, tag semantics, assignment, merging) read like the
contract they copy, and so tests and demos can seed and inspect the account directly. Objects are
stored as the JSON Zendesk returns (dicts), because the wire shape is what the fake promises;
every read hands out a deep copy, since the server thread and the test thread share this state.

Sources: CONTRACTS.md §1.2-1.4 and the official OAS (TicketUpdateInput, TicketMergeInput,
JobStatusObject; the record shapes live in :mod:`.records`). Where Zendesk's exact wording
is unknown the fake uses its own and says so.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from . import notifications
from .notifications import Notification
from .records import (
    AGENT_ROLES,
    MAX_COMMENTS,
    PRIORITIES,
    STATUSES,
    TYPES,
    Clock,
    FakeApiError,
    Json,
    audit_record,
    comment_record,
    group_record,
    iso,
    membership_record,
    normalise_tags,
    not_found,
    organization_record,
    parse_iso,
    record_invalid,
    ticket_record,
    update_conflict,
    user_record,
)

__all__ = ["ChangeListener", "FakeApiError", "FakeState", "Json", "TicketChange"]

# Ticket fields an update may set directly (TicketUpdateInput minus the ones handled specially).
_PLAIN_FIELDS = (
    "subject",
    "external_id",
    "due_at",
    "organization_id",
    "problem_id",
    "custom_status_id",
    "collaborator_ids",
    "sharing_agreement_ids",
    "brand_id",
    "ticket_form_id",
)


@dataclass(frozen=True)
class TicketChange:
    """What one action did to one ticket; the webhook layer turns it into deliveries.

    Attributes:
        ticket_id: The ticket.
        kind: ``created``, ``updated`` or ``merged`` (this ticket was merged away).
        before: The ticket before the action; None when created.
        after: The ticket after the action.
        comments: Comments the action added.
        actor_id: The user who acted.
        merged_into: The target ticket when ``kind == "merged"``.
    """

    ticket_id: int
    kind: Literal["created", "updated", "merged"]
    before: Json | None
    after: Json
    comments: tuple[Json, ...] = ()
    actor_id: int | None = None
    merged_into: int | None = None


ChangeListener = Callable[[TicketChange], None]


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

    def _emit(self, changes: Iterable[TicketChange]) -> None:
        for change in changes:
            for listener in self._listeners:
                listener(change)

    # ------------------------------------------------------------------ seeding

    def add_user(self, name: str, *, email: str | None = None, role: str = "end-user", **extra: Any) -> Json:
        """Create a user; ``extra`` overrides any UserForAdmin field."""
        with self.lock:
            user_id = self._next("users")
            now = iso(self.clock())
            user = user_record(user_id, name, email, role, base_url=self.base_url, now=now)
            user.update(extra)
            self.users[user_id] = user
            return copy.deepcopy(user)

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group; ``extra`` overrides any GroupObject field."""
        with self.lock:
            group_id = self._next("groups")
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
            membership_id = self._next("memberships")
            now = iso(self.clock())
            membership = membership_record(
                membership_id, user_id, group_id, default=is_default, base_url=self.base_url, now=now
            )
            self.memberships[membership_id] = membership
            return copy.deepcopy(membership)

    def add_organization(self, name: str, **extra: Any) -> Json:
        """Create an organization; ``extra`` overrides any OrganizationObject field."""
        with self.lock:
            org_id = self._next("organizations")
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
            return copy.deepcopy(self._ticket(ticket_id))

    def list_tickets(self, *, external_id: str | None = None) -> list[Json]:
        """All tickets by id (ListTickets order), optionally by ``external_id``."""
        with self.lock:
            found = [t for t in self.tickets.values() if external_id in (None, t["external_id"])]
            return copy.deepcopy(sorted(found, key=lambda t: t["id"]))

    def list_comments(self, ticket_id: int) -> list[Json]:
        """A ticket's comments, oldest first; 404 when the ticket is missing."""
        with self.lock:
            self._ticket(ticket_id)
            return copy.deepcopy(self.comments.get(ticket_id, []))

    def list_audits(self, ticket_id: int) -> list[Json]:
        """A ticket's audits, oldest first (ListAuditsForTicket); 404 when the ticket is missing."""
        with self.lock:
            self._ticket(ticket_id)
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
        """CreateTicket: returns (ticket, audit, change); 422 on invalid fields.

        The first comment becomes the read-only ``description``; ``public`` on that comment sets
        ``is_public`` and the default for later comments (CONTRACTS.md §1.3). ``system_fields``
        are read-only TicketObject fields Zendesk itself sets (``via``, ``recipient``), for
        tickets that did not come through the API, such as a recovered suspended email.
        """
        with self.lock:
            comment_in = fields.get("comment")
            if not isinstance(comment_in, Mapping) or not (
                comment_in.get("body") or comment_in.get("html_body")
            ):
                raise record_invalid("description", "Description: cannot be blank", "BlankValue")
            ticket_id = self._next("tickets")
            created = self._created_at(fields)
            requester_id = fields.get("requester_id", actor_id)
            ticket = ticket_record(
                ticket_id,
                base_url=self.base_url,
                created=created,
                requester_id=requester_id,
                submitter_id=actor_id,
                description=str(comment_in.get("body") or comment_in.get("html_body")),
                is_public=bool(comment_in.get("public", True)),
            )
            if requester_id not in self.users:
                raise record_invalid("requester", "Requester: is invalid")
            self.tickets[ticket_id] = ticket
            self.comments[ticket_id] = []
            try:
                events, comment = self._apply(ticket, fields, actor_id=actor_id, creating=True)
            except FakeApiError:
                del self.tickets[ticket_id], self.comments[ticket_id]
                raise
            if fields.get("status") is None and ticket["assignee_id"] is not None:
                ticket["status"] = "open"  # Zendesk opens a new ticket once someone owns it
            if "updated_at" in fields:
                ticket["updated_at"] = str(fields["updated_at"])
            ticket.update(copy.deepcopy(dict(system_fields or {})))
            audit = self._audit(ticket, actor_id, [{"type": "Create", **e} for e in events], comment)
            change = TicketChange(
                ticket_id,
                "created",
                None,
                copy.deepcopy(ticket),
                (copy.deepcopy(comment),) if comment else (),
                actor_id,
            )
            if emit:
                self._emit([change])
            return copy.deepcopy(ticket), audit, change

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, Any], *, actor_id: int, emit: bool = True
    ) -> tuple[Json, Json, TicketChange | None]:
        """UpdateTicket: returns (ticket, audit, change or None when nothing changed).

        ``safe_update`` (any value: the docs say false acts like true) with ``updated_stamp``
        makes the update conditional on the ticket's ``updated_at``: 409 when it moved on.
        ``tags`` replaces the list. ``updated_at`` moves only when something changed.
        """
        with self.lock:
            ticket = self._ticket(ticket_id)
            self._check_stamp(ticket, fields)
            if ticket["status"] == "closed":
                raise record_invalid("status", "Status: closed prevents ticket update")
            if "additional_tags" in fields or "remove_tags" in fields:
                # CONTRACTS.md §1.3: documented only for update_many; refuse rather than guess.
                raise FakeApiError(
                    422,
                    "FakeUnverifiedBehaviour",
                    "additional_tags/remove_tags on a single-ticket PUT are not documented; "
                    "use PUT/DELETE /api/v2/tickets/{id}/tags",
                )
            before = copy.deepcopy(ticket)
            events, comment = self._apply(ticket, fields, actor_id=actor_id, creating=False)
            if not events and comment is None:
                return copy.deepcopy(ticket), self._audit(ticket, actor_id, [], None), None
            self._touch(ticket)
            audit = self._audit(ticket, actor_id, [{"type": "Change", **e} for e in events], comment)
            change = TicketChange(
                ticket_id,
                "updated",
                before,
                copy.deepcopy(ticket),
                (copy.deepcopy(comment),) if comment else (),
                actor_id,
            )
            if emit:
                self._emit([change])
            return copy.deepcopy(ticket), audit, change

    def change_tags(
        self,
        ticket_id: int,
        fields: Mapping[str, Any],
        *,
        mode: Literal["add", "remove", "set"],
        actor_id: int,
    ) -> list[str]:
        """The Tags endpoints: PUT adds, DELETE removes, POST sets (OAS PutTagsTicket & co).

        Adding and removing merge with whatever is there, which is why they exist: two writers
        adding different tags never lose each other's tag. Safe update applies here too.
        """
        with self.lock:
            ticket = self._ticket(ticket_id)
            self._check_stamp(ticket, fields)
            raw = fields.get("tags")
            if not isinstance(raw, list):
                raise FakeApiError(400, "InvalidParameter", "tags must be an array of strings")
            if ticket["status"] == "closed":
                raise record_invalid("status", "Status: closed prevents ticket update")
            given = normalise_tags(raw)
            current: list[str] = list(ticket["tags"])
            if mode == "add":
                new = current + [t for t in given if t not in current]
            elif mode == "remove":
                new = [t for t in current if t not in given]
            else:
                new = given
            if new != current:
                before = copy.deepcopy(ticket)
                ticket["tags"] = new
                self._touch(ticket)
                self._audit(
                    ticket,
                    actor_id,
                    [{"type": "Change", "field_name": "tags", "value": new, "previous_value": current}],
                    None,
                )
                self._emit([TicketChange(ticket_id, "updated", before, copy.deepcopy(ticket), (), actor_id)])
            return list(new)

    def merge(self, target_id: int, fields: Mapping[str, Any], *, actor_id: int) -> Json:
        """MergeTicketsIntoTargetTicket: close the sources into the target; returns a job status.

        The real API queues a job; the fake does the work at once, answers ``queued`` like the
        API, and reports ``completed`` when the job is shown. Default comment texts and the job
        ``results`` entries are the fake's own wording.
        """
        with self.lock:
            target = self._ticket(target_id)
            ids = fields.get("ids")
            if not isinstance(ids, list) or not ids:
                raise FakeApiError(400, "InvalidParameter", "ids must be a non-empty array")
            sources = []
            for raw_id in ids:
                if not isinstance(raw_id, int) or raw_id not in self.tickets:
                    raise record_invalid("ids", f"Ticket {raw_id} not found", "NotFound")
                if raw_id == target_id:
                    raise record_invalid("ids", "A ticket cannot be merged into itself")
                sources.append(self.tickets[raw_id])
            for ticket in (target, *sources):
                if ticket["status"] == "closed":
                    raise record_invalid("status", f"Ticket {ticket['id']} is closed and cannot be merged")
            changes: list[TicketChange] = []
            results: list[Json] = []
            target_before = copy.deepcopy(target)
            target_comments = []
            for source in sources:
                before = copy.deepcopy(source)
                body = fields.get("source_comment") or (
                    f'This request was closed and merged into request #{target_id} "{target["subject"]}".'
                )
                comment = self._add_comment(
                    source,
                    {"body": body, "public": bool(fields.get("source_comment_is_public", False))},
                    actor_id,
                )
                source["status"] = "closed"
                self._touch(source)
                self._audit(
                    source,
                    actor_id,
                    [
                        {
                            "type": "Change",
                            "field_name": "status",
                            "value": "closed",
                            "previous_value": before["status"],
                        }
                    ],
                    comment,
                )
                changes.append(
                    TicketChange(
                        source["id"],
                        "merged",
                        before,
                        copy.deepcopy(source),
                        (copy.deepcopy(comment),),
                        actor_id,
                        merged_into=target_id,
                    )
                )
                results.append({"action": "merge", "id": source["id"], "status": "Merged", "success": True})
                target_body = fields.get("target_comment") or (
                    f'Request #{source["id"]} "{source["subject"]}" was closed and merged into this request.'
                )
                target_comments.append(
                    self._add_comment(
                        target,
                        {"body": target_body, "public": bool(fields.get("target_comment_is_public", False))},
                        actor_id,
                    )
                )
            self._touch(target)
            changes.append(
                TicketChange(
                    target_id,
                    "updated",
                    target_before,
                    copy.deepcopy(target),
                    tuple(copy.deepcopy(target_comments)),
                    actor_id,
                )
            )
            job_id = secrets.token_hex(16)
            url = f"{self.base_url}/api/v2/job_statuses/{job_id}.json"
            self.job_statuses[job_id] = {
                "id": job_id,
                "job_type": "MergeTickets",
                "url": url,
                "total": len(sources),
                "progress": len(sources),
                "status": "completed",
                "message": f"Completed at {iso(self.clock())}",
                "results": results,
            }
            self._emit(changes)
            return {
                "id": job_id,
                "job_type": "MergeTickets",
                "url": url,
                "total": None,
                "progress": None,
                "status": "queued",
                "message": None,
                "results": None,
            }

    # ------------------------------------------------------------------ internals

    def _next(self, kind: str) -> int:
        counter: Iterator[int] = getattr(self._ids, kind)
        return next(counter)

    def _ticket(self, ticket_id: int) -> Json:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def _created_at(self, fields: Mapping[str, Any]) -> datetime:
        if "created_at" in fields:
            parsed = parse_iso(str(fields["created_at"]))
            if parsed is not None:
                return parsed
        return self.clock()

    def _touch(self, ticket: Json) -> None:
        """Move ``updated_at`` strictly forward (whole seconds, like Zendesk), so a safe update
        read before this change always sees a different stamp, even under a frozen clock."""
        previous = parse_iso(ticket["updated_at"]) or self.clock()
        now = self.clock().astimezone(UTC).replace(microsecond=0)
        ticket["updated_at"] = iso(max(now, previous + timedelta(seconds=1)))
        ticket["generated_timestamp"] = max(ticket["generated_timestamp"] + 1, int(now.timestamp()))

    @staticmethod
    def _check_stamp(ticket: Json, fields: Mapping[str, Any]) -> None:
        if "safe_update" not in fields or "updated_stamp" not in fields:
            return
        stamp = parse_iso(str(fields["updated_stamp"]))
        if stamp is None:
            raise record_invalid("updated_stamp", "Updated stamp: is not a valid date-time")
        if stamp != parse_iso(ticket["updated_at"]):
            raise update_conflict()

    def _apply(
        self, ticket: Json, fields: Mapping[str, Any], *, actor_id: int, creating: bool
    ) -> tuple[list[Json], Json | None]:
        """Validate every field first, then apply; returns (change events, added comment)."""
        staged: dict[str, Any] = {}
        if "status" in fields:
            if fields["status"] not in STATUSES:
                raise record_invalid("status", f"Status: {fields['status']!r} is not valid")
            staged["status"] = fields["status"]
        if "priority" in fields:
            if fields["priority"] not in (*PRIORITIES, None):
                raise record_invalid("priority", f"Priority: {fields['priority']!r} is not valid")
            staged["priority"] = fields["priority"]
        if "type" in fields:
            if fields["type"] not in (*TYPES, None):
                raise record_invalid("type", f"Type: {fields['type']!r} is not valid")
            staged["type"] = fields["type"]
        if "requester_id" in fields:
            if fields["requester_id"] not in self.users:
                raise record_invalid("requester", "Requester: is invalid")
            staged["requester_id"] = fields["requester_id"]
        if "tags" in fields:
            if not isinstance(fields["tags"], list):
                raise record_invalid("tags", "Tags: must be an array")
            staged["tags"] = normalise_tags(fields["tags"])
        if "custom_fields" in fields:
            staged["custom_fields"] = self._merge_custom_fields(ticket, fields["custom_fields"])
        for name in _PLAIN_FIELDS:
            if name in fields:
                staged[name] = fields[name]
        if "subject" in staged:
            staged["raw_subject"] = staged["subject"]
        staged.update(self._assignment(ticket, fields))
        staged.update(notifications.stage(self.users, ticket, fields, new_user=self._new_end_user))
        comment_in = None if creating else fields.get("comment")
        if comment_in is not None:
            if not isinstance(comment_in, Mapping) or not (
                comment_in.get("body") or comment_in.get("html_body")
            ):
                raise record_invalid("comment", "Comment: body cannot be blank", "BlankValue")
            if len(self.comments.get(ticket["id"], [])) >= MAX_COMMENTS:
                raise record_invalid("comment", f"Comment: a ticket holds at most {MAX_COMMENTS} comments")
        events = []
        for name, value in staged.items():
            if ticket.get(name) != value:
                if name != "raw_subject":
                    events.append({"field_name": name, "value": value, "previous_value": ticket.get(name)})
                ticket[name] = value
        if creating:
            comment = self._add_comment(ticket, fields["comment"], actor_id)
        elif comment_in is not None:
            comment = self._add_comment(ticket, comment_in, actor_id)
        else:
            comment = None
        return events, comment

    def _assignment(self, ticket: Json, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Assignee and group rules: the assignee must be an agent in the ticket's group; if only
        the assignee is given and the current group does not hold them, the group follows the
        assignee's default group (as Zendesk does when an agent is picked without a group)."""
        staged: dict[str, Any] = {}
        group_given = "group_id" in fields
        if group_given:
            group_id = fields["group_id"]
            if group_id is not None and group_id not in self.groups:
                raise record_invalid("group", "Group: is invalid")
            staged["group_id"] = group_id
        if "assignee_id" not in fields:
            return staged
        assignee_id = fields["assignee_id"]
        staged["assignee_id"] = assignee_id
        if assignee_id is None:
            return staged
        user = self.users.get(assignee_id)
        if user is None or user["role"] not in AGENT_ROLES:
            raise record_invalid("assignee", "Assignee: is not an agent")
        group_id = staged.get("group_id", ticket.get("group_id"))
        groups_of_agent = [m["group_id"] for m in self.memberships.values() if m["user_id"] == assignee_id]
        if group_id is not None and group_id not in groups_of_agent:
            if group_given:
                raise record_invalid("assignee", "Assignee: is not a member of the group")
            group_id = None
        if group_id is None and groups_of_agent:
            staged["group_id"] = user.get("default_group_id") or groups_of_agent[0]
        return staged

    @staticmethod
    def _merge_custom_fields(ticket: Json, given: Any) -> list[Json]:
        if not isinstance(given, list):
            raise record_invalid("custom_fields", "Custom fields: must be an array")
        merged = {f["id"]: dict(f) for f in ticket["custom_fields"]}
        for item in given:
            if not isinstance(item, Mapping) or "id" not in item:
                raise record_invalid("custom_fields", "Custom fields: each needs an id")
            merged[item["id"]] = {"id": item["id"], "value": item.get("value")}
        return list(merged.values())

    def _add_comment(self, ticket: Json, comment_in: Mapping[str, Any], actor_id: int) -> Json:
        comments = self.comments.setdefault(ticket["id"], [])
        comment = comment_record(
            self._next("comments"),
            comment_in,
            author_id=comment_in.get("author_id", actor_id),
            default_public=ticket["is_public"],
            now=self.clock(),
        )
        comments.append(comment)
        self.notifications.extend(notifications.told(self.users, ticket, comment))
        return comment

    def _new_end_user(self, name: str, email: str) -> Json:
        """An end user created on the fly (an email CC Zendesk did not know)."""
        return self.users[self.add_user(name, email=email)["id"]]

    def _audit(self, ticket: Json, actor_id: int, events: list[Json], comment: Json | None) -> Json:
        audit_id = self._next("audits")
        if comment is not None:
            comment["audit_id"] = audit_id
        numbered = [{"id": self._next("events"), **e} for e in events]
        audit = audit_record(audit_id, ticket, actor_id, numbered, comment)
        if numbered or comment is not None:  # an update that changed nothing records no audit
            self.audits.setdefault(ticket["id"], []).append(copy.deepcopy(audit))
        return audit
