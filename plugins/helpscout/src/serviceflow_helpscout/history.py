"""A Help Scout conversation's history, for the reconcile sweep and the backfill: its threads as
vendor-neutral events, with the very ids its webhooks give them (so a case that had a webhook
takes the history's copy as a repeat).

``GET /v2/conversations/{id}/threads`` (Help Scout Mailbox API 2.0, "List Threads": "Threads
are by default sorted by createdAt (from newest to oldest)"; HAL ``_embedded.threads``, each
with ``id``, ``type``, ``state``, ``body``, ``customer``, ``createdBy``, ``createdAt``;
developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/), read with the
client's page-following, then put oldest first. The opening thread is the creation
(``helpscout:{id}:created``); later ``customer``, ``message`` and ``note`` threads are the
customer's messages, agents' replies and notes (``helpscout:{id}:thread:{thread}``), as
:mod:`.webhooks` tells them; ``lineitem`` threads (status and assignment changes) are left to
the sweep, which works them out from the conversation's fields. Only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from serviceflow.adapters import Identity, TicketHistory
from serviceflow.adapters.records import HISTORY_LIMIT
from serviceflow.model import Ticket

from . import actions, convert, webhooks
from .models import Conversation, Thread
from .quarantine import recipient_of

if TYPE_CHECKING:
    from .adapter import HelpScoutAdapter

#: The thread types that are a message, a reply or a note.
KINDS = ("customer", "message", "note")


def history_of(
    conversation: Conversation, ticket: Ticket, threads: Sequence[Thread], identity: Identity
) -> TicketHistory:
    ordered = sorted(threads, key=lambda t: (t.createdAt, int(t.id)))
    events = [webhooks._created(conversation, ticket, ordered, identity)]
    for thread in ordered[1:]:
        if thread.type in KINDS and thread.state not in ("draft", "hidden"):
            events.append(webhooks._thread_event(thread.type, thread, ticket, identity, conversation))
    complete = len(events) <= HISTORY_LIMIT
    return TicketHistory(events=tuple(events[:HISTORY_LIMIT]), complete=complete)


async def ticket_history(
    adapter: HelpScoutAdapter, account: str, ticket_id: str, *, identity: Identity
) -> TicketHistory:
    """``GET /v2/conversations/{id}``, then its threads, every page; a 404 is the client's
    ``ConversationGone`` (a ``TicketGone``)."""
    settings = adapter.checked(account)
    client = adapter.client(settings)
    number = actions.conversation_number(ticket_id)
    conversation = await client.conversation(number)
    ticket = convert.ticket_from_conversation(
        conversation,
        account=settings.account,
        priority_prefix=settings.priority_tag_prefix,
        recipient=await recipient_of(client, conversation),
    )
    threads: list[Thread] = []
    async for thread in client.threads(number):
        threads.append(thread)
        if len(threads) > HISTORY_LIMIT:
            break
    return history_of(conversation, ticket, threads, identity)
