"""Typed views of the Zendesk objects the client returns.

Only the fields serviceflow reads are declared; everything else Zendesk sends is kept (``extra``
is allowed) so nothing is lost and new vendor fields never break parsing. Models are frozen: a
``changes`` function gets a snapshot it cannot accidentally mutate.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ZendeskObject(BaseModel):
    """Base: unknown fields kept, instances immutable."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Ticket(ZendeskObject):
    """A ticket (OAS TicketObject).

    ``updated_at`` stays the exact string Zendesk sent, because a safe update must echo it back
    as ``updated_stamp``.
    """

    id: int
    status: str
    subject: str | None = None
    description: str | None = None
    priority: str | None = None
    type: str | None = None
    requester_id: int | None = None
    submitter_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None
    external_id: str | None = None
    tags: tuple[str, ...] = ()
    custom_fields: tuple[dict[str, Any], ...] = ()
    follower_ids: tuple[int, ...] = ()
    email_cc_ids: tuple[int, ...] = ()
    is_public: bool | None = None
    created_at: str | None = None
    updated_at: str


class Comment(ZendeskObject):
    """A ticket comment (OAS TicketCommentObject); ``public=False`` is an internal note."""

    id: int
    body: str | None = None
    public: bool = True
    author_id: int | None = None
    created_at: str | None = None


class User(ZendeskObject):
    """A user (OAS UserForAdmin)."""

    id: int
    name: str
    email: str | None = None
    role: str | None = None
    active: bool = True
    default_group_id: int | None = None


class Group(ZendeskObject):
    """A group (OAS GroupObject)."""

    id: int
    name: str
    deleted: bool = False


class GroupMembership(ZendeskObject):
    """An agent's membership of a group (OAS GroupMembershipObject)."""

    id: int
    user_id: int
    group_id: int
    default: bool = False


class Organization(ZendeskObject):
    """An organization (OAS OrganizationObject): its name, tags, domains and custom fields."""

    id: int
    name: str | None = None
    tags: tuple[str, ...] = ()
    domain_names: tuple[str, ...] = ()
    organization_fields: dict[str, Any] | None = None


class SideloadedTicket(ZendeskObject):
    """ShowTicket with ``include=users,organizations`` (the side-loading guide: "add an include
    parameter containing a comma-separated list of resources to load ...
    ``.../tickets/1.json?include=users,groups``"; "The response will include a top-level array of
    associated data under the appropriate resource key", developer.zendesk.com/documentation/
    ticketing/using-the-zendesk-api/side_loading)."""

    ticket: Ticket
    users: tuple[User, ...] = ()
    organizations: tuple[Organization, ...] = ()


class JobStatus(ZendeskObject):
    """A background job (OAS JobStatusObject), e.g. a merge."""

    id: str
    status: str
    url: str | None = None
    total: int | None = None
    progress: int | None = None
    message: str | None = None
    results: Any = Field(default=None)

    @property
    def finished(self) -> bool:
        """Whether the job is done, one way or the other."""
        return self.status in ("completed", "failed", "killed")


class SuspendedTicketAuthor(ZendeskObject):
    """Who sent a suspended email (OAS AuthorObject): the user id only when Zendesk knows one."""

    id: int | None = None
    name: str | None = None
    email: str | None = None


class SuspendedTicket(ZendeskObject):
    """An email in the suspended tickets queue (OAS SuspendedTicketObject); not a ticket.

    ``ticket_id`` is the ticket the email would have updated, when it was a reply.
    """

    id: int
    author: SuspendedTicketAuthor | None = None
    subject: str | None = None
    content: str | None = None
    cause: str | None = None
    cause_id: int | None = None
    recipient: str | None = None
    message_id: str | None = None
    ticket_id: int | None = None
    via: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class IncrementalPage(ZendeskObject):
    """A page of the cursor-based incremental ticket export (OAS
    CursorBasedExportIncrementalTicketsResponse)."""

    tickets: tuple[Ticket, ...] = ()
    after_cursor: str | None = None
    end_of_stream: bool = True
