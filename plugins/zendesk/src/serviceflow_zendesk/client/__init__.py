"""An async client for the parts of the Zendesk Support API serviceflow uses.

What it promises its callers (the plugin's hooks, Temporal activities):

- **Rate limits are honoured, before and after a 429.** Requests are paced by Zendesk's
  rate-limit headers once the minute's budget runs low (:mod:`.rest`); a 429 waits exactly the
  ``Retry-After`` Zendesk sent, up to a bound (``max_retry_after``); a longer wait is not slept
  through but raised as :class:`RateLimited` with ``retry_after``, so a durable caller can come
  back later instead of holding a worker.
- **Server errors are retried** with bounded, jittered exponential backoff, but only for calls
  that may be repeated: a 5xx on a comment may come after the comment was written, so it is
  raised (the caller re-reads for its marker first). Connection failures where the request
  cannot have reached Zendesk are always retried. Every sleep goes through an injectable
  ``sleep``, so tests never wait in real time. The transport is serviceflow's
  (:class:`serviceflow.plugins.http.RestTransport`), shared by every helpdesk plugin.
- **Edits never overwrite someone else's.** :meth:`ZendeskClient.update_ticket` sends
  ``safe_update`` with the ``updated_at`` it read; on 409 it re-reads and re-applies the change to
  the fresh ticket (a function of the ticket, or a dict), a bounded number of times.
- **Tags are merged, not replaced**, through the Tags endpoints; comments go in as
  ``ticket.comment`` (``public: false`` is an internal note).
- **Errors are typed** (:mod:`.errors`): 404 on a ticket is :class:`TicketGone`, on a suspended
  ticket :class:`SuspendedTicketGone`, and every error carries Zendesk's
  ``error``/``description``/``details``.
- **Suspended tickets are recovered keeping their author as requester**, through
  ``recover_many`` with the one id (the single-ticket endpoint makes the API user the requester).

Requests use the OAS path templates without the ``.json`` suffix and always send
``Accept: application/json`` (CONTRACTS.md §1.2).

The calls are grouped by what they touch, one module each: :mod:`.session` (the transport and
the request helpers), :mod:`.tickets`, :mod:`.tags`, :mod:`.people` and :mod:`.suspended`.
"""

from __future__ import annotations

from serviceflow.plugins.http import backoff_delay as backoff_delay  # re-exported
from serviceflow.plugins.http import parse_retry_after as parse_retry_after  # re-exported

from .people import SHOW_MANY_LIMIT, PeopleCalls
from .session import TRANSPORT, Params, ZendeskSession
from .suspended import SuspendedCalls, SuspendedSort
from .tags import TagCalls
from .tickets import TICKET_SIDELOADS, Changes

__all__ = [
    "SHOW_MANY_LIMIT",
    "TICKET_SIDELOADS",
    "TRANSPORT",
    "Changes",
    "Params",
    "SuspendedSort",
    "ZendeskClient",
    "ZendeskSession",
    "backoff_delay",
    "parse_retry_after",
]


class ZendeskClient(TagCalls, PeopleCalls, SuspendedCalls):
    """Async Zendesk Support API client over one pooled ``httpx.AsyncClient``.

    Use as ``async with ZendeskClient(...) as zd:`` or call :meth:`aclose` when done. The
    constructor is :class:`~.session.ZendeskSession`'s; the calls are those of
    :class:`~.tickets.TicketCalls`, :class:`~.tags.TagCalls`, :class:`~.people.PeopleCalls` and
    :class:`~.suspended.SuspendedCalls`.
    """
