"""The fake Help Scout's account data, and the reads the API answers from it.

Objects are stored as the JSON Help Scout returns (dicts) and every read hands out a deep copy:
the server thread and the test thread share this state under one re-entrant lock. The rules
that change a conversation are :mod:`.changes`'; each change is announced to the listeners (the
webhook dispatcher) with the conversation as it was right after it, which is what Help Scout's
``convo.*`` webhooks send (CONTRACTS.md §8.3).

Sources: CONTRACTS.md §2-6. Where Help Scout is silent the fake decides and says so.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .records import (
    Clock,
    FakeApiError,
    Json,
    bad_request,
    customer_record,
    iso,
    not_found,
    parse_iso,
    person_ref,
    user_record,
)

#: ``GET /v2/conversations?status=`` values (OFFICIAL, List Conversations).
LIST_STATUSES = ("active", "all", "closed", "open", "pending", "spam")
#: What ``PATCH /status`` and a thread's ``status`` accept (the documented validation error).
STATUSES = ("active", "spam", "open", "closed", "pending")
SORT_FIELDS = (
    "createdAt",
    "customerEmail",
    "customerName",
    "mailboxid",
    "modifiedAt",
    "number",
    "score",
    "status",
    "subject",
    "waitingSince",
)


@dataclass(frozen=True)
class Change:
    """One change the webhooks report.

    Attributes:
        event: The ``X-HelpScout-Event`` it causes (``convo.note.created``, ...).
        conversation_id: The conversation.
        body: The webhook body: the conversation after the change (``{"id"}`` when deleted).
        mailbox_id: Its inbox (webhooks may be limited to some).
    """

    event: str
    conversation_id: int
    body: Json
    mailbox_id: int | None


Listener = Callable[[Change], None]


@dataclass
class _Ids:
    users: Iterator[int] = field(default_factory=lambda: itertools.count(4001))
    teams: Iterator[int] = field(default_factory=lambda: itertools.count(7001))
    mailboxes: Iterator[int] = field(default_factory=lambda: itertools.count(301))
    customers: Iterator[int] = field(default_factory=lambda: itertools.count(50001))
    conversations: Iterator[int] = field(default_factory=lambda: itertools.count(100001))
    threads: Iterator[int] = field(default_factory=lambda: itertools.count(900001))
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    tags: Iterator[int] = field(default_factory=lambda: itertools.count(9001))


class FakeState:
    """One fake Help Scout account: users, teams, inboxes, customers, conversations, threads."""

    def __init__(self, *, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.reset()

    def reset(self) -> None:
        """Forget every object (listeners stay)."""
        with self.lock:
            self.users: dict[int, Json] = {}
            self.teams: dict[int, Json] = {}
            self.members: dict[int, list[int]] = {}
            self.mailboxes: dict[int, Json] = {}
            self.customers: dict[int, Json] = {}
            self.organizations: dict[int, Json] = {}
            self.conversations: dict[int, Json] = {}
            self.threads: dict[int, list[Json]] = {}
            self.modified: dict[int, str] = {}  # the fake's own "modifiedAt", never shown (UNVERIFIED field)
            self.merged: dict[int, int] = {}
            self.tag_ids: dict[str, int] = {}
            self.ids = _Ids()

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: str, conversation_id: int) -> None:
        """Announce a change with the conversation as it is now (deleted: ``{"id"}``)."""
        conversation = self.conversations.get(conversation_id)
        body = self.view(conversation) if conversation is not None else {"id": conversation_id}
        mailbox = conversation.get("mailboxId") if conversation is not None else None
        for listener in self._listeners:
            listener(Change(event, conversation_id, body, mailbox))

    def now(self) -> str:
        return iso(self.clock())

    # ------------------------------------------------------------------ seeding people

    def add_user(self, first: str, last: str, email: str, *, role: str = "user") -> Json:
        with self.lock:
            user = user_record(next(self.ids.users), first, last, email, now=self.now(), role=role)
            self.users[user["id"]] = user
            return copy.deepcopy(user)

    def add_team(self, name: str, members: Iterable[int] = ()) -> Json:
        with self.lock:
            team: Json = {
                "id": next(self.ids.teams),
                "name": name,
                "timezone": "Europe/Amsterdam",
                "mention": name.lower(),
                "createdAt": self.now(),
                "updatedAt": self.now(),
            }
            self.teams[team["id"]] = team
            self.members[team["id"]] = []
            for user_id in members:
                self.join(team["id"], user_id)
            return copy.deepcopy(team)

    def join(self, team_id: int, user_id: int) -> None:
        with self.lock:
            if user_id not in self.users or team_id not in self.teams:
                raise KeyError(f"no user {user_id} or team {team_id}")
            if user_id not in self.members[team_id]:
                self.members[team_id].append(user_id)

    def add_mailbox(self, name: str, email: str) -> Json:
        with self.lock:
            box: Json = {
                "id": next(self.ids.mailboxes),
                "name": name,
                "slug": name.lower().replace(" ", "-"),
                "email": email,
                "createdAt": self.now(),
                "updatedAt": self.now(),
            }
            self.mailboxes[box["id"]] = box
            return copy.deepcopy(box)

    def add_customer(self, first: str, last: str | None, email: str) -> Json:
        with self.lock:
            customer = customer_record(next(self.ids.customers), first, last, email, now=self.now())
            self.customers[customer["id"]] = customer
            return copy.deepcopy(customer)

    def customer_by_email(self, email: str) -> Json | None:
        with self.lock:
            for customer in self.customers.values():
                if any(e["value"].casefold() == email.casefold() for e in customer["_embedded"]["emails"]):
                    return customer
            return None

    def mailbox_by_email(self, email: str) -> Json | None:
        with self.lock:
            return next(
                (m for m in self.mailboxes.values() if m["email"].casefold() == email.casefold()), None
            )

    # ------------------------------------------------------------------ reads

    def view(self, conversation: Json, *, threads: bool = False) -> Json:
        """A conversation as the API shows it (``_embedded.threads`` newest first with
        ``embed=threads``); the webhook body is the view without threads."""
        shown = copy.deepcopy(conversation)
        if threads:
            shown["_embedded"] = {"threads": copy.deepcopy(list(reversed(self.threads[conversation["id"]])))}
        return shown

    def conversation(self, conversation_id: int, *, threads: bool = False, base_url: str = "") -> Json:
        """``GET /v2/conversations/{id}``: 301 with ``Location`` for a merged one, 404 when
        none (OFFICIAL)."""
        with self.lock:
            if conversation_id in self.merged:
                target = self.merged[conversation_id]
                raise FakeApiError(301, None, {"Location": f"{base_url}/v2/conversations/{target}"})
            return self.view(self.writable(conversation_id), threads=threads)

    def writable(self, conversation_id: int) -> Json:
        """The stored conversation a write is about; 404 for a merged, deleted or unknown one
        (writes to a merged id answer 404, OFFICIAL)."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise not_found()
        return conversation

    def thread_list(self, conversation_id: int) -> list[Json]:
        """A conversation's threads, newest first ("sorted by createdAt (from newest to oldest)",
        OFFICIAL, the v2 List Threads page)."""
        with self.lock:
            self.writable(conversation_id)
            return copy.deepcopy(list(reversed(self.threads[conversation_id])))

    def list_conversations(self, query: Sequence[tuple[str, str]]) -> list[Json]:
        """``GET /v2/conversations`` before paging: every documented filter is ANDed; the default
        is ``status=active`` sorted by ``createdAt`` newest first (OFFICIAL)."""
        params = dict(query)
        status = params.get("status", "active")
        order = params.get("sortOrder", "desc")
        sort = params.get("sortField", "createdAt")
        problems: list[tuple[str, str, Any]] = []
        if status not in LIST_STATUSES:
            problems.append(("status", f"Expected one of these: {', '.join(LIST_STATUSES)}", status))
        if sort not in SORT_FIELDS:
            problems.append(("sortField", "Value not supported", sort))
        if order not in ("asc", "desc"):
            problems.append(("sortOrder", "Expected one of these: asc, desc", order))
        since = None
        if "modifiedSince" in params:
            try:
                since = parse_iso(params["modifiedSince"])
            except ValueError:
                problems.append(("modifiedSince", "Malformed date", params["modifiedSince"]))
        mailboxes = _numbers(params.get("mailbox"), "mailbox", problems)
        assigned = _numbers(params.get("assigned_to"), "assigned_to", problems)
        tags = {t.strip() for t in params.get("tag", "").split(",") if t.strip()}
        if problems:
            raise bad_request(*problems)
        with self.lock:
            found = []
            for cid, conv in self.conversations.items():
                if status == "all":
                    keep = True
                elif status in ("active", "open"):
                    keep = conv["status"] in ("active", "open")
                else:
                    keep = conv["status"] == status
                keep = keep and (not mailboxes or conv["mailboxId"] in mailboxes)
                keep = keep and (not assigned or (conv.get("assignee") or {}).get("id") in assigned)
                keep = keep and (not tags or tags <= {t["tag"] for t in conv["tags"]})
                keep = keep and (since is None or parse_iso(self.modified[cid]) > since)
                if keep:
                    found.append(conv)
            field = {"number": "number", "status": "status", "subject": "subject"}.get(sort, "createdAt")

            def key(c: Json) -> tuple[Any, int]:
                return (self.modified[c["id"]] if sort == "modifiedAt" else c[field], c["id"])

            found.sort(key=key, reverse=order == "desc")
            return [self.view(c, threads=params.get("embed") == "threads") for c in found]

    def person(self, user_id: int) -> Json:
        """A user as a conversation or thread names it (``{id, type: "user", ...}``)."""
        return person_ref(self.users[user_id], "user")

    def customer_ref(self, customer_id: int) -> Json:
        customer = self.customers[customer_id]
        ref = person_ref({**customer, "email": customer["_embedded"]["emails"][0]["value"]}, "customer")
        return ref


def _numbers(raw: str | None, name: str, problems: list[tuple[str, str, Any]]) -> set[int]:
    if not raw:
        return set()
    values = [v.strip() for v in raw.split(",")]
    if not all(v.isascii() and v.isdigit() for v in values):
        problems.append((name, "Invalid number", raw))
        return set()
    return {int(v) for v in values}
