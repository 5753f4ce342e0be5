"""Typed views of the Freshdesk objects the client returns.

Only the fields serviceflow reads are declared; everything else Freshdesk sends is kept
(``extra`` is allowed), so new vendor fields never break parsing. Models are frozen: an action
that reads a ticket before writing gets a snapshot it cannot mutate by accident. Shapes follow
CONTRACTS.md §2.2-2.3 (python-freshdesk's samples ``ticket_1.json``, ``note_1.json``,
``agent_1.json``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FreshdeskObject(BaseModel):
    """Base: unknown fields kept, instances immutable."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Requester(FreshdeskObject):
    """The ``requester`` sideload of ``include=requester``."""

    id: int
    name: str | None = None
    email: str | None = None


class Ticket(FreshdeskObject):
    """A ticket (``GET /api/v2/tickets/{id}``); enums are integer codes (see :mod:`.codes`)."""

    id: int
    subject: str | None = None
    description_text: str | None = None
    status: int
    priority: int = 1
    source: int | None = None
    type: str | None = None
    requester_id: int | None = None
    responder_id: int | None = None
    group_id: int | None = None
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = {}
    to_emails: tuple[str, ...] | None = None
    spam: bool = False
    deleted: bool = False
    created_at: str
    updated_at: str
    requester: Requester | None = None


class Conversation(FreshdeskObject):
    """A reply or note (``GET /api/v2/tickets/{id}/conversations`` items, notes/reply answers)."""

    id: int
    body: str | None = None
    body_text: str | None = None
    private: bool = False
    incoming: bool = False
    user_id: int | None = None
    source: int | None = None
    ticket_id: int | None = None
    created_at: str | None = None


class Contact(FreshdeskObject):
    """The ``contact`` inside an agent."""

    name: str | None = None
    email: str | None = None
    active: bool = True


class Agent(FreshdeskObject):
    """An agent (``GET /api/v2/agents`` items). ``group_ids`` is UNVERIFIED in the list answer."""

    id: int
    available: bool | None = None
    occasional: bool = False
    contact: Contact = Contact()
    group_ids: tuple[int, ...] = ()


class Group(FreshdeskObject):
    """A group (``GET /api/v2/groups`` items). ``agent_ids`` is UNVERIFIED in the list answer."""

    id: int
    name: str
    description: str | None = None
    agent_ids: tuple[int, ...] = ()
