"""A ticket's ``stats``, as ``GET /api/v2/tickets/{id}?include=stats`` shows them: when its
status last changed and when it last went pending, was resolved, closed or reopened, and when
it was first answered.

Sources: the Freshdesk API reference, View a Ticket: ``include=stats`` "Will return the
ticket's closed_at, resolved_at and first_responded_at time" (FD-docs line 950, ktsaou/
freshdesk_mcp ``FRESHDESK_API_DOCS.txt``); the eight fields by name from the Freshdesk SDK's
``Stats`` model (developers.freshworks.com/freshdesk-sdk/docs/Stats.html: ``agentRespondedAt,
requesterRespondedAt, resolvedAt, firstRespondedAt, closedAt, statusUpdatedAt, pendingSince,
reopenedAt``). How they move is Freshdesk's own code's (SECONDARY, stored copies, verify11
2026-12-04): ``Helpdesk::Ticket#update_ticket_states`` on a status change sets
``status_updated_at`` and, ``if reopened_now?`` (``active? && [RESOLVED, CLOSED].include?``
the status before), ``opened_at`` (the API's ``reopened_at``) and ``reset_tkt_states``, which
empties ``resolved_at`` and ``closed_at``; then ``pending_since`` on PENDING,
``set_resolved_at_state`` on RESOLVED, ``set_closed_at_state`` on closed, which sets
``resolved_at`` too when it is empty and keeps an earlier ``closed_at`` (``closed_at ||= time``)
(code-index ids 5888138195, 12035150927, 11988757823). So ``pending_since`` stays set when a
pending ticket is opened again, and nothing but a reopen empties a time. UNVERIFIED, the
fake's choice: that a custom status (6 and up) sets only ``status_updated_at``.
"""

from __future__ import annotations

from .records import Json

#: The fields, in the order the SDK's model lists them.
FIELDS = (
    "agent_responded_at",
    "requester_responded_at",
    "first_responded_at",
    "status_updated_at",
    "reopened_at",
    "resolved_at",
    "closed_at",
    "pending_since",
)
OPEN, PENDING, RESOLVED, CLOSED = 2, 3, 4, 5


def new_stats(created_at: str) -> Json:
    """A new ticket's: only ``status_updated_at`` (its status was set when it was made)."""
    return {**dict.fromkeys(FIELDS), "status_updated_at": created_at}


def on_status(stats: Json, before: int, after: int, now: str) -> None:
    """The ticket's status moved from ``before`` to ``after`` at ``now``."""
    if before == after:
        return
    stats["status_updated_at"] = now
    if before in (RESOLVED, CLOSED) and after not in (RESOLVED, CLOSED):
        stats["reopened_at"] = now
        stats["resolved_at"] = stats["closed_at"] = None  # reset_tkt_states
    if after == PENDING:
        stats["pending_since"] = now
    elif after == RESOLVED:
        stats["resolved_at"] = now
    elif after == CLOSED:
        stats["resolved_at"] = stats["resolved_at"] or now
        stats["closed_at"] = stats["closed_at"] or now


def on_conversation(stats: Json, *, incoming: bool, private: bool, now: str) -> None:
    """A reply or note at ``now``: the customer's sets ``requester_responded_at``, an agent's
    public reply ``agent_responded_at`` (and ``first_responded_at`` the first time)."""
    if incoming:
        stats["requester_responded_at"] = now
    elif not private:
        stats["agent_responded_at"] = now
        stats["first_responded_at"] = stats["first_responded_at"] or now
