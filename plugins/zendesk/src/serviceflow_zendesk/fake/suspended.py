"""The fake Zendesk's suspended tickets queue: mail Zendesk set aside instead of making a ticket.

A suspended ticket is not a ticket: it has its own ids, fires no webhook, and leaves the queue
when someone recovers it (it becomes a ticket, or a comment on ``ticket_id``), deletes it, or
Zendesk deletes it after 14 days. Shapes and rules follow the official OAS
(SuspendedTicketObject, RecoverSuspendedTicket, RecoverSuspendedTickets, DeleteSuspendedTicket(s))
and the suspension-causes reference; where the contract is silent the fake's choice is marked
FAKE'S CHOICE.

Recovery has two flavours, as on the real API:

- ``PUT /api/v2/suspended_tickets/{id}/recover`` makes the *calling agent* the requester (the
  OAS: "the API sets the requester to the authenticated agent who called the API, not the
  original requester");
- ``PUT /api/v2/suspended_tickets/recover_many?ids=`` and a person recovering in the Zendesk UI
  keep the author as the requester (an end user is created for an unknown address).

A recovered email becomes a ``new``, unassigned ticket (support.zendesk.com article 4408893392922)
with ``via.channel = "email"``; creating it fires the ticket-created webhook like any new ticket.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .pages import SortKey
from .records import FakeApiError, Json, iso, not_found, parse_iso
from .state import FakeState

#: "All unrecovered suspended tickets are automatically deleted after 14 days."
#: (support.zendesk.com/hc/en-us/articles/4408893392922; also the Suspended Tickets API page.)
RETENTION = timedelta(days=14)

#: ``cause`` -> ``cause_id`` from developer.zendesk.com/documentation/ticketing/reference-guides/
#: suspensions-reference/ (the first fifteen; any other cause text gets ``cause_id`` None).
CAUSE_IDS: dict[str, int] = {
    "Detected as spam": 0,
    "Sender domain not on allowlist": 1,
    "Submitted by unverified user": 2,
    "Automated response mail": 3,
    "Detected as mail loop": 4,
    "Unknown user tried to update existing ticket": 5,
    "End user only allowed to update their own tickets": 6,
    "Automated response mail, delivery failed": 7,
    "Automated response mail, out of office": 8,
    "Detected email as being from a system user": 9,
    "Permission denied for unknown email submitter": 10,
    "Email has no content": 11,
    "User must sign up to submit email, user notified": 12,
    "Email is from a blocklisted sender or domain": 13,
    "Backscatter from remote mail server": 14,
}

#: How ``sort_by`` orders the queue (OAS SuspendedTicketsSortBy); the id breaks ties.
SORT_FIELDS = ("author_email", "cause", "created_at", "subject")
#: FAKE'S CHOICE: ids in the range real suspended tickets have (the OAS example 14668816692628).
FIRST_ID = 14_668_816_692_601

RequesterRule = Literal["author", "actor"]


@dataclass(frozen=True)
class Recovery:
    """What one recovery request did: the tickets made (or commented on), and the failures."""

    tickets: tuple[Json, ...]
    failed: tuple[Json, ...]


class SuspendedQueue:
    """The suspended tickets of one :class:`~.state.FakeState` account (thread-safe).

    Records are stored as SuspendedTicketObject JSON minus ``url``, which is built on read so it
    follows the server's port.
    """

    def __init__(self, state: FakeState) -> None:
        self._state = state
        self.reset()

    def reset(self) -> None:
        """Empty the queue and restart ids."""
        with self._state.lock:
            self._records: dict[int, Json] = {}
            self._unrecoverable: set[int] = set()
            self._ids: Iterator[int] = itertools.count(FIRST_ID)

    # ------------------------------------------------------------------ seeding

    def add(
        self,
        author_email: str,
        *,
        author_name: str | None = None,
        subject: str = "",
        content: str = "",
        cause: str = "Detected as spam",
        recipient: str | None = None,
        created_at: datetime | str | None = None,
        ticket_id: int | None = None,
        message_id: str | None = None,
        recoverable: bool = True,
    ) -> Json:
        """Put one email in the queue, as Zendesk's mail processing would.

        Args:
            author_email: The sender's address; ``author.id`` is set when a user has it.
            author_name: The sender's display name (default: the address's local part).
            subject: The email's subject.
            content: The email's text.
            cause: Why it was suspended, in Zendesk's words (see :data:`CAUSE_IDS`).
            recipient: The support address it was sent to.
            created_at: When it arrived (default: the clock's now).
            ticket_id: The ticket it would update (a reply that was suspended), if any.
            message_id: The email's Message-ID (default: a made-up one).
            recoverable: False makes every recovery fail with 422, as Zendesk refuses e.g. mail
                from its own support address.
        """
        with self._state.lock:
            suspended_id = next(self._ids)
            arrived = _moment(created_at) if created_at is not None else self._state.clock()
            name = author_name or author_email.split("@", 1)[0]
            user = self._user_by_email(author_email)
            domain = author_email.rsplit("@", 1)[-1]
            record: Json = {
                "id": suspended_id,
                "author": {"id": user["id"] if user else None, "name": name, "email": author_email},
                "subject": subject,
                "content": content,
                "cause": cause,
                "cause_id": CAUSE_IDS.get(cause),
                "recipient": recipient,
                "message_id": message_id or f"<{secrets.token_hex(8)}@{domain}>",
                "ticket_id": ticket_id,
                "brand_id": None,
                "attachments": [],
                "error_messages": None,
                "via": {
                    "channel": "email",
                    "source": {
                        "from": {"address": author_email, "name": name},
                        "to": {"address": recipient or "", "name": ""},
                        "rel": None,
                    },
                },
                "created_at": iso(arrived),
                "updated_at": iso(arrived),
            }
            self._records[suspended_id] = record
            if not recoverable:
                self._unrecoverable.add(suspended_id)
            return self._out(record)

    # ------------------------------------------------------------------ reads

    def get(self, suspended_id: int) -> Json:
        """One suspended ticket; 404 ``RecordNotFound`` when it is not in the queue."""
        with self._state.lock:
            return self._out(self._record(suspended_id))

    def listing(self, *, sort_by: str | None = None, descending: bool = False) -> list[Json]:
        """The queue in ``sort_by`` order (by id when None), ties broken by id.

        Raises:
            FakeApiError: 400 for a ``sort_by`` outside :data:`SORT_FIELDS` (FAKE'S CHOICE: the
                OAS lists the values but not the answer to others).
        """
        key = sort_key(sort_by)
        with self._state.lock:
            return [self._out(r) for r in sorted(self._records.values(), key=key, reverse=descending)]

    def __len__(self) -> int:
        with self._state.lock:
            return len(self._records)

    # ------------------------------------------------------------------ writes

    def recover(self, ids: Sequence[int], *, actor_id: int, requester: RequesterRule) -> Recovery:
        """Recover ``ids``: each becomes a ticket (or a comment on its ``ticket_id``) and leaves
        the queue; unrecoverable ones stay and are reported as failed.

        Args:
            ids: Suspended ticket ids.
            actor_id: Who recovers (the API user, or the person in the UI).
            requester: ``author`` keeps the sender as requester; ``actor`` makes the recovering
                agent the requester (the single-ticket API endpoint).

        Raises:
            FakeApiError: 404 ``RecordNotFound`` when any id is not in the queue; nothing is
                recovered then (FAKE'S CHOICE: the API does not document unknown ids).
        """
        with self._state.lock:
            records = [self._record(i) for i in ids]
            tickets: list[Json] = []
            failed: list[Json] = []
            for record in records:
                if record["id"] in self._unrecoverable:
                    failed.append(self._out(record))
                    continue
                tickets.append(self._make_ticket(record, actor_id=actor_id, requester=requester))
                del self._records[record["id"]]
            return Recovery(tuple(tickets), tuple(failed))

    def delete(self, ids: Iterable[int]) -> None:
        """Delete ``ids`` for good; 404 when any is not in the queue (then none is deleted)."""
        with self._state.lock:
            found = [self._record(i)["id"] for i in ids]
            for suspended_id in found:
                del self._records[suspended_id]
                self._unrecoverable.discard(suspended_id)

    def expire(self) -> list[int]:
        """Delete what arrived more than :data:`RETENTION` ago by the clock; returns the ids."""
        with self._state.lock:
            cutoff = self._state.clock() - RETENTION
            old = [i for i, r in self._records.items() if (parse_iso(r["created_at"]) or cutoff) < cutoff]
            self.delete(old)
            return old

    # ------------------------------------------------------------------ internals

    def _record(self, suspended_id: int) -> Json:
        record = self._records.get(suspended_id)
        if record is None:
            raise not_found()
        return record

    def _out(self, record: Json) -> Json:
        url = f"{self._state.base_url}/api/v2/suspended_tickets/{record['id']}.json"
        return {**copy.deepcopy(record), "url": url}

    def _user_by_email(self, email: str) -> Json | None:
        wanted = email.strip().lower()
        return next((u for u in self._state.users.values() if str(u["email"]).lower() == wanted), None)

    def _author_user(self, record: Json) -> int:
        author = record["author"]
        if author.get("id") in self._state.users:
            return int(author["id"])
        user = self._user_by_email(author["email"])
        if user is None:
            user = self._state.add_user(author["name"], email=author["email"])
        return int(user["id"])

    def _make_ticket(self, record: Json, *, actor_id: int, requester: RequesterRule) -> Json:
        requester_id = self._author_user(record) if requester == "author" else actor_id
        # FAKE'S CHOICE: Zendesk's own text for an empty email is unknown; a ticket needs a body.
        body = record["content"] or record["subject"] or "(this email had no content)"
        comment = {"body": body, "public": True, "author_id": requester_id}
        target = record["ticket_id"]
        if target in self._state.tickets and self._state.tickets[target]["status"] != "closed":
            updated, _audit, _change = self._state.update_ticket(
                target, {"comment": comment}, actor_id=actor_id
            )
            return updated
        fields = {"subject": record["subject"], "comment": comment, "requester_id": requester_id}
        system = {"via": copy.deepcopy(record["via"]), "recipient": record["recipient"]}
        if requester == "author":
            system["submitter_id"] = requester_id
        ticket, _audit, _change = self._state.create_ticket(fields, actor_id=actor_id, system_fields=system)
        return ticket


def sort_key(sort_by: str | None) -> SortKey:
    """The order of ``sort_by`` as a pagination sort key (id alone when None).

    Raises:
        FakeApiError: 400 for an unknown field.
    """
    if sort_by is None:
        return _by_id
    if sort_by not in SORT_FIELDS:
        raise FakeApiError(
            400, "InvalidParameter", f"sort_by must be one of {', '.join(SORT_FIELDS)}; got {sort_by!r}"
        )

    def key(record: Json) -> tuple[str | int, ...]:
        value = record["author"]["email"] if sort_by == "author_email" else record[sort_by]
        return (str(value or ""), int(record["id"]))

    return key


def _by_id(record: Json) -> tuple[str | int, ...]:
    return (int(record["id"]),)


def _moment(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = parse_iso(value)
    if parsed is None:
        raise ValueError(f"created_at {value!r} is not an ISO-8601 date-time")
    return parsed
