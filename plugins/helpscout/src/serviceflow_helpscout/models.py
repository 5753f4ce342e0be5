"""Typed views of the Help Scout objects serviceflow reads: conversations, threads, users, teams,
customers, mailboxes, and the HAL envelope of lists.

Field names are Help Scout's own (camelCase), so a model reads like the documentation it copies
(CONTRACTS.md §2-6; the conversation fields from the Get Conversation page, §2.3). Only the
fields serviceflow reads are declared; anything else Help Scout sends is kept (``extra`` is
allowed), so a new vendor field never breaks parsing, while a declared field of the wrong shape
is refused naming the field. Ids are canonical (:mod:`.ids`); timestamps are timezone-aware and
between the years 2000 and 2100, so no delivery can plant a date the engine cannot schedule.
Models are frozen: an action that reads before writing gets a snapshot it cannot change by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from .ids import HelpScoutId


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("outside the years 2000-2100")  # never the value: a 400 does not repeat it
    return value


#: A timestamp as Help Scout writes them (``2012-03-15T22:46:22Z``), bounded.
Timestamp = Annotated[AwareDatetime, AfterValidator(_plausible)]
Text = Annotated[str, Field(max_length=100_000)]
Word = Annotated[str, Field(max_length=200)]


class HelpScoutObject(BaseModel):
    """Base: unknown fields kept, instances immutable."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class PersonRef(HelpScoutObject):
    """A person a conversation or thread names (``assignee``, ``createdBy``, ``primaryCustomer``,
    ``customer``, ``assignedTo``): ``type`` is ``user``, ``customer`` or ``team``."""

    id: HelpScoutId
    type: Word | None = None
    first: Word | None = None
    last: Word | None = None
    email: Word | None = None

    @property
    def name(self) -> str | None:
        full = " ".join(p for p in (self.first, self.last) if p)
        return full or None


class Tag(HelpScoutObject):
    """``{"id", "color", "tag"}``: the name is in ``tag`` (CONTRACTS.md §2.3)."""

    tag: Word
    id: HelpScoutId | None = None


class CustomField(HelpScoutObject):
    """``{"id", "name", "value", "text"}``; a dropdown's ``value`` is its option id."""

    id: HelpScoutId
    name: Word | None = None
    value: Any = None
    text: Text | None = None


class Source(HelpScoutObject):
    type: Word | None = None
    via: Word | None = None


class WaitingSince(HelpScoutObject):
    time: Timestamp | None = None


class Action(HelpScoutObject):
    """A line item's ``action`` (its ``type`` values are UNVERIFIED for v2, CONTRACTS.md §3.1)."""

    type: Word | None = None
    text: Text | None = None


class Thread(HelpScoutObject):
    """One thread of a conversation: ``customer`` (the customer wrote), ``message`` (an agent's
    reply), ``note``, ``lineitem`` (a change of state), ``chat``, ``phone``, ... (CONTRACTS.md §3.1).
    ``status`` and ``assignedTo`` are the conversation's after the thread (v1 thread object; the
    v2 List Threads example has both fields, their v2 meaning is UNVERIFIED)."""

    id: HelpScoutId
    type: Word
    status: Word | None = None
    state: Word | None = None
    action: Action | None = None
    body: Text | None = None
    customer: PersonRef | None = None
    createdBy: PersonRef | None = None
    assignedTo: PersonRef | None = None
    createdAt: Timestamp


class Embedded(HelpScoutObject):
    threads: tuple[Thread, ...] = ()


class Conversation(HelpScoutObject):
    """A conversation (``GET /v2/conversations/{id}``; also every ``convo.*`` webhook body but
    ``convo.deleted``, CONTRACTS.md §8.3). ``threads`` is how many it has; the thread objects
    come only with ``embed=threads``."""

    id: HelpScoutId
    number: int | None = None
    threads: int | None = None
    type: Word | None = None
    status: Word
    state: Word | None = None
    subject: Text = ""
    preview: Text | None = None
    mailboxId: HelpScoutId | None = None
    assignee: PersonRef | None = None
    createdBy: PersonRef | None = None
    createdAt: Timestamp
    closedBy: HelpScoutId | None = None
    closedAt: Timestamp | None = None
    userUpdatedAt: Timestamp | None = None
    customerWaitingSince: WaitingSince | None = None
    source: Source | None = None
    tags: tuple[Tag, ...] = ()
    cc: tuple[Word, ...] = ()
    primaryCustomer: PersonRef | None = None
    customFields: tuple[CustomField, ...] = ()
    embedded: Embedded | None = Field(default=None, alias="_embedded")

    @property
    def thread_list(self) -> tuple[Thread, ...] | None:
        """The embedded threads, or None when the body carries none (a thin webhook)."""
        return self.embedded.threads if self.embedded is not None else None

    @property
    def last_change(self) -> datetime:
        """The latest documented time of the conversation (Help Scout's object has no
        ``updatedAt`` in its documented example, CONTRACTS.md §2.3): created, last user update,
        customer waiting since, closed."""
        times = [self.createdAt, self.userUpdatedAt, self.closedAt]
        if self.customerWaitingSince is not None:
            times.append(self.customerWaitingSince.time)
        return max(t for t in times if t is not None)


class Deleted(HelpScoutObject):
    """The body of ``convo.deleted``: ``{id: id-of-convo-that-was-deleted}``."""

    id: HelpScoutId


class User(HelpScoutObject):
    """A user (``GET /v2/users``, ``/v2/users/me``, team members; CONTRACTS.md §5.1-5.2)."""

    id: HelpScoutId
    firstName: Word | None = None
    lastName: Word | None = None
    email: Word | None = None
    role: Word | None = None
    type: Word | None = None
    mention: Word | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.firstName, self.lastName) if p) or (self.email or self.id)


class Team(HelpScoutObject):
    """A team (``GET /v2/teams``; OFFICIAL-SDK, CONTRACTS.md §5.3)."""

    id: HelpScoutId
    name: Word


class Mailbox(HelpScoutObject):
    """An inbox (``GET /v2/mailboxes/{id}``): its ``email`` is where customers write."""

    id: HelpScoutId
    name: Word | None = None
    email: Word | None = None


class EmailEntry(HelpScoutObject):
    value: Word
    type: Word | None = None


class Property(HelpScoutObject):
    slug: Word
    value: Any = None


class CustomerEmbedded(HelpScoutObject):
    emails: tuple[EmailEntry, ...] = ()
    properties: tuple[Property, ...] = ()


class Customer(HelpScoutObject):
    """A customer (``GET /v2/customers/{id}``, CONTRACTS.md §6)."""

    id: HelpScoutId
    firstName: Word | None = None
    lastName: Word | None = None
    organization: Word | None = None
    organizationId: HelpScoutId | None = None
    embedded: CustomerEmbedded | None = Field(default=None, alias="_embedded")

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.firstName, self.lastName) if p) or None

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(e.value for e in self.embedded.emails) if self.embedded else ()

    @property
    def fields(self) -> dict[str, Any]:
        return {p.slug: p.value for p in self.embedded.properties} if self.embedded else {}


class Organization(HelpScoutObject):
    """An organization (``GET /v2/organizations/{id}``, CONTRACTS.md §6)."""

    id: HelpScoutId
    name: Word | None = None


class PageInfo(HelpScoutObject):
    """A HAL list's ``page``: ``{size, totalElements, totalPages, number}``, numbered from 1."""

    size: int | None = None
    totalElements: int | None = None
    totalPages: int | None = None
    number: int = 1
