"""Freshdesk's status history: the fake keeps ``include=stats`` as statuses change, the history
and the export turn those times into status changes at their own times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from serviceflow_freshdesk.export import EXPORT
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.history import status_steps

from serviceflow.backtest.formats import Record
from serviceflow.model import EventKind, Requester, Ticket, TicketStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_the_fake_keeps_the_stats_of_each_status_change() -> None:
    now = [T0]
    with FakeFreshdesk(webhook_retry_delays=(0.0,), clock=lambda: now[0]) as fake:
        ticket = fake.add_ticket("Wrong size", email="casey@example.com")
        for hours, status in ((1, 3), (2, 2), (3, 4), (4, 2)):  # pending, open, resolved, reopened
            now[0] = T0 + timedelta(hours=hours)
            fake.update_ticket(ticket["id"], {"status": status})
        fake.agent_reply(ticket["id"], "Sorted.")
        with httpx.Client(base_url=fake.base_url, auth=(fake.api_key, "X")) as http:
            stats = http.get(f"/api/v2/tickets/{ticket['id']}", params={"include": "stats"}).json()["stats"]
            plain = http.get(f"/api/v2/tickets/{ticket['id']}").json()
    assert "stats" not in plain
    assert stats == {
        "agent_responded_at": iso(T0 + timedelta(hours=4)),
        "requester_responded_at": None,
        "first_responded_at": iso(T0 + timedelta(hours=4)),
        "status_updated_at": iso(T0 + timedelta(hours=4)),
        "reopened_at": iso(T0 + timedelta(hours=4)),
        "resolved_at": None,  # a reopen empties it (Freshdesk's reset_tkt_states)
        "closed_at": None,
        "pending_since": iso(T0 + timedelta(hours=1)),  # nothing empties it
    }


def test_closing_sets_resolved_too_and_keeps_the_first_close() -> None:
    """Freshdesk's ``set_closed_at_state``: ``resolved_at`` too when empty, ``closed_at ||=``."""
    now = [T0]
    with FakeFreshdesk(webhook_retry_delays=(0.0,), clock=lambda: now[0]) as fake:
        ticket = fake.add_ticket("Wrong size", email="casey@example.com")
        for hours, status in ((1, 5), (2, 4), (3, 5)):  # closed, resolved, closed again
            now[0] = T0 + timedelta(hours=hours)
            fake.update_ticket(ticket["id"], {"status": status})
        with httpx.Client(base_url=fake.base_url, auth=(fake.api_key, "X")) as http:
            stats = http.get(f"/api/v2/tickets/{ticket['id']}", params={"include": "stats"}).json()["stats"]
    assert (stats["resolved_at"], stats["closed_at"]) == (
        iso(T0 + timedelta(hours=2)),
        iso(T0 + timedelta(hours=1)),
    )


def _ticket(status: TicketStatus, updated_hours: float) -> Ticket:
    return Ticket(
        id="7", vendor="freshdesk", account="acme", status=status, requester=Requester(id="c1"),
        created_at=T0, updated_at=T0 + timedelta(hours=updated_hours),
    )  # fmt: skip


def test_status_steps_from_stats() -> None:
    stats = {"status_updated_at": iso(T0 + timedelta(hours=4)), "pending_since": iso(T0 + timedelta(hours=1))}
    assert status_steps(stats, _ticket(TicketStatus.OPEN, 5)) == [
        (T0 + timedelta(hours=1), TicketStatus.OPEN, TicketStatus.PENDING),
        (T0 + timedelta(hours=4), TicketStatus.PENDING, TicketStatus.OPEN),
    ]
    # Still pending: one change, at pending_since (== status_updated_at).
    pending = {
        "status_updated_at": iso(T0 + timedelta(hours=1)),
        "pending_since": iso(T0 + timedelta(hours=1)),
    }
    assert status_steps(pending, _ticket(TicketStatus.PENDING, 2)) == [
        (T0 + timedelta(hours=1), TicketStatus.OPEN, TicketStatus.PENDING)
    ]
    # Pending, open again when the customer wrote (12:00), solved two days later: the pause ends
    # at the conversation, not at the resolution (stats keeps only pending_since and resolved_at).
    waited = {
        "status_updated_at": iso(T0 + timedelta(hours=51)),
        "pending_since": iso(T0 + timedelta(hours=1)),
        "resolved_at": iso(T0 + timedelta(hours=51)),
    }
    replied = [T0 + timedelta(minutes=30), T0 + timedelta(hours=3), T0 + timedelta(hours=20)]
    assert status_steps(waited, _ticket(TicketStatus.SOLVED, 52), replied) == [
        (T0 + timedelta(hours=1), TicketStatus.OPEN, TicketStatus.PENDING),
        (T0 + timedelta(hours=3), TicketStatus.PENDING, TicketStatus.OPEN),
        (T0 + timedelta(hours=51), TicketStatus.OPEN, TicketStatus.SOLVED),
    ]
    # No conversation inside the pause: pending until it was solved.
    assert status_steps(waited, _ticket(TicketStatus.SOLVED, 52), replied[:1]) == [
        (T0 + timedelta(hours=1), TicketStatus.OPEN, TicketStatus.PENDING),
        (T0 + timedelta(hours=51), TicketStatus.PENDING, TicketStatus.SOLVED),
    ]
    # Nothing to go by: no steps (not a guess).
    assert status_steps(None, _ticket(TicketStatus.PENDING, 2)) == []
    assert status_steps({"status_updated_at": 12}, _ticket(TicketStatus.PENDING, 2)) == []
    assert status_steps({"pending_since": iso(T0)}, _ticket(TicketStatus.PENDING, 2)) == []
    assert status_steps({"status_updated_at": "yesterday"}, _ticket(TicketStatus.PENDING, 2)) == []
    # A time before the ticket was created is not its own.
    before = {"status_updated_at": iso(T0 + timedelta(hours=1)), "pending_since": iso(T0 - timedelta(days=1))}
    assert status_steps(before, _ticket(TicketStatus.OPEN, 2)) == []


def test_an_exported_ticket_with_stats_shows_its_pause() -> None:
    line = {
        "id": 7, "subject": "Wrong size", "status": 2, "requester_id": 11, "responder_id": 5,
        "created_at": iso(T0), "updated_at": iso(T0 + timedelta(hours=9)),
        "stats": {"status_updated_at": iso(T0 + timedelta(hours=8)),
                  "pending_since": iso(T0 + timedelta(hours=1))},
        "conversations": [
            {"id": 1, "body_text": "Which size?", "incoming": False, "private": False, "user_id": 5,
             "created_at": iso(T0 + timedelta(minutes=50))},
            {"id": 2, "body_text": "M", "incoming": True, "private": False, "user_id": 11,
             "created_at": iso(T0 + timedelta(hours=7))},
            {"id": 3, "body_text": "Sent", "incoming": False, "private": False, "user_id": 5,
             "created_at": iso(T0 + timedelta(hours=9))},
        ],
    }  # fmt: skip
    events = list(EXPORT.read([Record(line=1, data=line)], account="acme"))
    assert [(e.kind, e.ticket.status, e.time - T0) for e in events] == [
        (EventKind.CREATED, TicketStatus.OPEN, timedelta(0)),
        (EventKind.AGENT_REPLY, TicketStatus.OPEN, timedelta(minutes=50)),
        (EventKind.STATUS_CHANGED, TicketStatus.PENDING, timedelta(hours=1)),
        (EventKind.CUSTOMER_MESSAGE, TicketStatus.PENDING, timedelta(hours=7)),
        (EventKind.STATUS_CHANGED, TicketStatus.OPEN, timedelta(hours=8)),
        (EventKind.AGENT_REPLY, TicketStatus.OPEN, timedelta(hours=9)),
    ]
    assert events[2].id == f"status:7:pending:{(T0 + timedelta(hours=1)).isoformat()}"
    assert events[2].changes == {"status": "open"} and events[4].changes == {"status": "pending"}
    without = {k: v for k, v in line.items() if k != "stats"}  # as before: open all along
    assert {e.ticket.status for e in EXPORT.read([Record(line=1, data=without)], account="acme")} == {
        TicketStatus.OPEN
    }
