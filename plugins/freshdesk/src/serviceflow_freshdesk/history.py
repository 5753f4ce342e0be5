"""A Freshdesk ticket's history, for the reconcile sweep and the backfill: its creation and its
conversations as vendor-neutral events.

``GET /api/v2/tickets/[id]/conversations``, "List All Conversations of a Ticket": "Returns all
conversations (replies + notes) for a ticket. Paginated." — a JSON array of ``{id, body,
body_text, incoming, private, user_id, source, ticket_id, created_at, ...}`` (CONTRACTS.md §2.3;
the FD-docs reference this plugin cites, ktsaou/freshdesk_mcp ``FRESHDESK_API_DOCS.txt``; the
ticket's ``include=conversations`` "returns up to ten conversations sorted by created_at in
ascending order ... For more than ten conversations, use the List All Conversations of a
Ticket API"). Read with the client's page-following (``page``/``per_page``, ``Link``).

Conversations carry no field changes: a change of status or assignee is not in this history
(the reconcile sweep works it out from the ticket's fields; a backfilled case sees the ticket's
fields as they are now). An ``incoming`` conversation is the customer's, a ``private`` one a
note, any other an agent's reply; the integration's own (``user_id`` is its agent) is
serviceflow's. Ids: ``freshdesk:{ticket}:created`` and ``freshdesk-conversation:{id}``, the
same on every read. Only reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from serviceflow.adapters import Identity, TicketHistory
from serviceflow.adapters.records import HISTORY_LIMIT
from serviceflow.model import Actor, ActorRole, EventKind, Ticket, TicketEvent

from . import actions, convert
from .models import Conversation

if TYPE_CHECKING:
    from .adapter import FreshdeskAdapter


def conversation_event(conversation: Conversation, ticket: Ticket, identity: Identity) -> TicketEvent:
    """One conversation as the event a case takes (``ticket``: the ticket now; core rewinds)."""
    author = convert.sid(conversation.user_id)
    if author is not None and identity.is_actor(actor_id=author):
        kind = EventKind.INTERNAL_NOTE if conversation.private else EventKind.AGENT_REPLY
        actor = Actor(id=author, role=ActorRole.SERVICEFLOW, name=identity.name)
    elif conversation.incoming:
        kind, actor = (
            EventKind.CUSTOMER_MESSAGE,
            Actor(id=author or ticket.requester.id, role=ActorRole.CUSTOMER),
        )
    elif conversation.private:
        kind, actor = EventKind.INTERNAL_NOTE, Actor(id=author, role=ActorRole.AGENT)
    else:
        kind, actor = EventKind.AGENT_REPLY, Actor(id=author, role=ActorRole.AGENT)
    return TicketEvent(
        id=f"freshdesk-conversation:{conversation.id}",
        kind=kind,
        time=convert.timestamp(conversation.created_at, default=ticket.updated_at),
        actor=actor,
        ticket=ticket,
        body=conversation.body_text or "",
        public=not conversation.private,
    )


def history_of(
    conversations: Iterable[Conversation], ticket: Ticket, identity: Identity, *, description: str = ""
) -> TicketHistory:
    """The creation (by the requester, at ``created_at``) and the conversations, oldest first."""
    created = TicketEvent(
        id=f"freshdesk:{ticket.id}:created",
        kind=EventKind.CREATED,
        time=ticket.created_at,
        actor=Actor(id=ticket.requester.id, role=ActorRole.CUSTOMER),
        ticket=ticket,
        body=description,
    )
    events = [conversation_event(c, ticket, identity) for c in conversations]
    events.sort(key=lambda e: e.time)
    complete = len(events) < HISTORY_LIMIT
    return TicketHistory(events=(created, *events[: HISTORY_LIMIT - 1]), complete=complete)


async def ticket_history(
    adapter: FreshdeskAdapter, account: str, ticket_id: str, *, identity: Identity
) -> TicketHistory:
    """``GET /api/v2/tickets/{id}`` (1 credit), then its conversations, every page. A 404 is
    ``TicketGone`` (the client's mapping)."""
    settings = adapter.checked(account)
    client = adapter.client(settings)
    number = actions.numeric_id(ticket_id, "ticket")
    raw = await client.get_ticket(number)
    ticket = convert.ticket_from_api(raw, account=settings.account, overrides=settings.custom_statuses)
    conversations: list[Conversation] = []
    async for conversation in client.list_conversations(number):
        conversations.append(conversation)
        if len(conversations) >= HISTORY_LIMIT:
            break
    return history_of(conversations, ticket, identity, description=raw.description_text or "")
