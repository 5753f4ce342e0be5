"""Typed views of the Freshdesk objects the client returns.

Only the fields serviceflow reads are declared; everything else Freshdesk sends is kept
(``extra`` is allowed), so new vendor fields never break parsing. Models are frozen: an action
that reads a ticket before writing gets a snapshot it cannot mutate by accident. Shapes follow
CONTRACTS.md §2.2-2.3 (python-freshdesk's samples ``ticket_1.json``, ``note_1.json``,
``agent_1.json``) and Freshdesk's API reference, cited as "FD-docs line N": the v2 reference
(developers.freshdesk.com/api) as stored in ktsaou/freshdesk_mcp ``FRESHDESK_API_DOCS.txt``, commit
074087909614653b159fb8cd4ca8ab0d29fd5e4a (see also ``fake/api_v2_fields.json``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FreshdeskObject(BaseModel):
    """Base: unknown fields kept, instances immutable."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Requester(FreshdeskObject):
    """The ``requester`` sideload of ``include=requester``: "the requester's email, id, mobile,
    name, and phone" (FD-docs line 947, View a Ticket)."""

    id: int
    name: str | None = None
    email: str | None = None
    mobile: str | None = None
    phone: str | None = None


class CompanyRef(FreshdeskObject):
    """The ``company`` sideload of ``include=company``: "the company's id and name" (FD-docs line
    949, View a Ticket)."""

    id: int
    name: str | None = None


class Company(FreshdeskObject):
    """A company (``GET /api/v2/companies/{id}``, FD-docs lines 8085-8101 and 8163-8185): its
    ``domains`` ("Email addresses of contacts that contain this domain will be associated with
    that company automatically") and ``custom_fields``."""

    id: int
    name: str | None = None
    description: str | None = None
    domains: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = {}


class EmailConfig(FreshdeskObject):
    """A support mailbox (``GET /api/v2/email_configs/{id}``, FD-docs lines 12744-12775):
    ``reply_email`` "Denotes your support email address"."""

    id: int
    name: str | None = None
    reply_email: str | None = None
    to_email: str | None = None


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
    company_id: int | None = None
    email_config_id: int | None = None
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = {}
    to_emails: tuple[str, ...] | None = None
    spam: bool = False
    deleted: bool = False
    created_at: str
    updated_at: str
    requester: Requester | None = None
    company: CompanyRef | None = None


class Conversation(FreshdeskObject):
    """A reply or note (``GET /api/v2/tickets/{id}/conversations`` items, notes/reply answers).
    A note's ``notify_emails`` come back as its ``to_emails`` in lists and as ``notified_to``
    in the 201 (FD-docs lines 3865 and 4018)."""

    id: int
    body: str | None = None
    body_text: str | None = None
    private: bool = False
    incoming: bool = False
    user_id: int | None = None
    source: int | None = None
    ticket_id: int | None = None
    to_emails: tuple[str, ...] | None = None
    notified_to: tuple[str, ...] | None = None
    created_at: str | None = None


class Contact(FreshdeskObject):
    """The ``contact`` inside an agent."""

    name: str | None = None
    email: str | None = None
    active: bool = True


class Agent(FreshdeskObject):
    """An agent (``GET /api/v2/agents`` items). ``group_ids`` is in View an Agent's answer, not in
    the list's (FD-docs lines 6491, 6522-6560): read when there."""

    id: int
    available: bool | None = None
    occasional: bool = False
    ticket_scope: int | None = None  # 1 Global, 2 Group, 3 Restricted access (FD-docs line 6462)
    contact: Contact = Contact()
    group_ids: tuple[int, ...] = ()


class Group(FreshdeskObject):
    """A group. ``agent_ids`` is in View a Group's answer (FD-docs lines 7465-7481), not in the
    list's (lines 7483-7500): the client reads each group by id for it."""

    id: int
    name: str
    description: str | None = None
    agent_ids: tuple[int, ...] = ()
