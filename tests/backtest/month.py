"""A generated month of tickets, deterministic, in every history format the backtest reads.

The plan is arithmetic on the ticket's number ``i`` (no randomness), so what policy set A
(``policies-a``: first response within 4 h, resolution within 48 h, refunds within 72 h,
warnings at 75 %) and B (first response within 6 h) would have done can be counted by hand
from the plan alone (see ``test_month.py``):

- ``TICKETS_PER_DAY`` tickets a day for ``DAYS`` days from ``START``, half an hour apart from
  08:00 UTC; each by its own customer, except every 50th (``i % 50 == 49``): the customer of
  ticket ``i - 1`` writes again 20 minutes after it (a repeat contact, answered in 1 h);
- the first reply comes ``FIRST_REPLY_HOURS[i % 7]`` hours after creation: 0.5 ... 6.5;
- the ticket is solved 20 hours after creation, or 50.5 hours when ``i % 10 == 0``;
- a refund is promised in a note with the first reply when ``i % 25 == 0``, and paid (the tag
  ``refund_paid``) a day later when ``i % 50 == 0``; never when ``i % 50 == 25``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent, TicketStatus

START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 30
TICKETS_PER_DAY = 20
FIRST_REPLY_HOURS = (0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5)
AGENT = "a1"
ACCOUNT = "acme"


@dataclass(frozen=True)
class Plan:
    number: int
    created: datetime
    customer: str
    first_reply: timedelta
    solved: timedelta
    promise: bool
    paid: bool
    repeat_of: int | None

    @property
    def ticket_id(self) -> str:
        return str(1000 + self.number)


def plan_month(days: int = DAYS, per_day: int = TICKETS_PER_DAY) -> list[Plan]:
    plans: list[Plan] = []
    for i in range(days * per_day):
        day, slot = divmod(i, per_day)
        repeat = i % 50 == 49 and i > 0
        if repeat:
            before = plans[i - 1]
            created, customer = before.created + timedelta(minutes=20), before.customer
        else:
            created = START + timedelta(days=day, hours=8) + timedelta(minutes=30 * slot)
            customer = f"c{i}"
        plans.append(
            Plan(
                number=i,
                created=created,
                customer=customer,
                first_reply=timedelta(hours=1 if repeat else FIRST_REPLY_HOURS[i % 7]),
                solved=timedelta(hours=50.5 if i % 10 == 0 else 20),
                promise=i % 25 == 0,
                paid=i % 50 == 0,
                repeat_of=i - 1 if repeat else None,
            )
        )
    return plans


# -- serviceflow's own events ----------------------------------------------------------------------


def _ticket(
    plan: Plan, at: datetime, status: TicketStatus, tags: tuple[str, ...] = (), vendor: str = "demo"
) -> Ticket:
    return Ticket(
        id=plan.ticket_id,
        vendor=vendor,
        account=ACCOUNT,
        subject=f"Order {plan.number} is late",
        status=status,
        channel="email",
        requester=Requester(id=plan.customer, email=f"{plan.customer}@customer.example"),
        assignee=AGENT if status is not TicketStatus.NEW else None,
        tags=tags,
        created_at=plan.created,
        updated_at=at,
    )


def ticket_events(plan: Plan, vendor: str = "demo") -> list[TicketEvent]:
    """One ticket's history: created, replied (and a promise note), paid, solved."""
    agent = Actor(id=AGENT, role=ActorRole.AGENT)
    reply_at = plan.created + plan.first_reply
    tags: tuple[str, ...] = ()

    def event(what: str, kind: EventKind, at: datetime, status: TicketStatus, **fields: Any) -> TicketEvent:
        actor = Actor(id=plan.customer, role=ActorRole.CUSTOMER) if kind is EventKind.CREATED else agent
        ticket = _ticket(plan, at, status, tags, vendor=vendor)
        return TicketEvent(
            id=f"{plan.ticket_id}:{what}", kind=kind, time=at, actor=actor, ticket=ticket, **fields
        )

    events = [
        event(
            "created",
            EventKind.CREATED,
            plan.created,
            TicketStatus.NEW,
            body="Where is my order?",
            public=True,
        ),
        event("reply", EventKind.AGENT_REPLY, reply_at, TicketStatus.OPEN, body="We are on it.", public=True),
    ]
    if plan.promise:
        note = "#promise refund within 3 days"
        events.append(
            event("promise", EventKind.INTERNAL_NOTE, reply_at, TicketStatus.OPEN, body=note, public=False)
        )
    if plan.paid:
        tags = ("refund_paid",)
        paid_at = reply_at + timedelta(days=1)
        events.append(
            event("paid", EventKind.FIELDS_CHANGED, paid_at, TicketStatus.OPEN, changes={"tags": ""})
        )
    solved_at = plan.created + plan.solved
    events.append(
        event("solved", EventKind.STATUS_CHANGED, solved_at, TicketStatus.SOLVED, changes={"status": "open"})
    )
    return events


def neutral_events(plans: list[Plan], vendor: str = "demo") -> list[TicketEvent]:
    return [event for plan in plans for event in ticket_events(plan, vendor)]


def neutral_lines(plans: list[Plan]) -> Iterator[str]:
    for event in neutral_events(plans):
        yield event.model_dump_json()


# -- Zendesk: incremental export pages and audits pages ------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _customer_id(plan: Plan) -> int:
    return 500_000 + int(plan.customer[1:])


AGENT_ID = 9001


def zendesk_ticket(plan: Plan) -> dict[str, Any]:
    last = plan.created + plan.solved
    return {
        "id": int(plan.ticket_id),
        "url": f"https://{ACCOUNT}.zendesk.com/api/v2/tickets/{plan.ticket_id}.json",
        "subject": f"Order {plan.number} is late",
        "status": "solved",
        "priority": None,
        "requester_id": _customer_id(plan),
        "assignee_id": AGENT_ID,
        "group_id": None,
        "tags": ["refund_paid"] if plan.paid else [],
        "custom_fields": [],
        "via": {"channel": "email"},
        "created_at": _iso(plan.created),
        "updated_at": _iso(last),
        "generated_timestamp": int(last.timestamp()),
    }


def _comment(event_id: int, body: str, public: bool, author: int) -> dict[str, Any]:
    return {"id": event_id, "type": "Comment", "body": body, "public": public, "author_id": author}


def _change(event_id: int, field: str, value: Any, previous: Any) -> dict[str, Any]:
    return {"id": event_id, "type": "Change", "field_name": field, "value": value, "previous_value": previous}


def _agent_audit(plan: Plan, number: int, at: datetime, events: list[dict[str, Any]]) -> dict[str, Any]:
    """An audit by the agent through the web: ``number`` (1 to 5) says which of the ticket's."""
    return {
        "id": int(plan.ticket_id) * 100 + number,
        "ticket_id": int(plan.ticket_id),
        "created_at": _iso(at),
        "author_id": AGENT_ID,
        "via": {"channel": "web"},
        "events": events,
    }


def zendesk_audits(plan: Plan) -> list[dict[str, Any]]:
    base = int(plan.ticket_id) * 100
    customer = _customer_id(plan)
    reply_at = plan.created + plan.first_reply
    event = base * 10  # the ids of the audits' events: event + 1 ...
    subject = f"Order {plan.number} is late"
    audits: list[dict[str, Any]] = [
        {
            "id": base + 1,
            "ticket_id": int(plan.ticket_id),
            "created_at": _iso(plan.created),
            "author_id": customer,
            "via": {"channel": "email"},
            "metadata": {},
            "events": [
                _comment(event + 1, "Where is my order?", True, customer),
                {"id": event + 2, "type": "Create", "field_name": "status", "value": "new"},
                {"id": event + 3, "type": "Create", "field_name": "subject", "value": subject},
                {"id": event + 4, "type": "Create", "field_name": "requester_id", "value": str(customer)},
                {"id": event + 5, "type": "Notification", "subject": "Received", "body": "..."},
            ],
        },
        _agent_audit(plan, 2, reply_at, [
            _comment(event + 6, "We are on it.", True, AGENT_ID),
            _change(event + 7, "status", "open", "new"),
            _change(event + 8, "assignee_id", str(AGENT_ID), None),
        ]),
    ]  # fmt: skip
    if plan.promise:
        promise = _comment(event + 9, "#promise refund within 3 days", False, AGENT_ID)
        audits.append(_agent_audit(plan, 3, reply_at + timedelta(seconds=1), [promise]))
    if plan.paid:
        paid = _change(event + 10, "tags", ["refund_paid"], [])
        audits.append(_agent_audit(plan, 4, reply_at + timedelta(days=1), [paid]))
    solved = _change(event + 11, "status", "solved", "open")
    audits.append(_agent_audit(plan, 5, plan.created + plan.solved, [solved]))
    return audits


def zendesk_lines(plans: list[Plan], page_size: int = 100) -> Iterator[str]:
    """Export pages of ``page_size`` tickets (the last with ``end_of_stream``), then one audits
    page per ticket, as the API answers them."""
    for start in range(0, len(plans), page_size):
        chunk = plans[start : start + page_size]
        last = start + page_size >= len(plans)
        cursor = f"cursor-{start + page_size}"
        users = [{"id": AGENT_ID, "name": "Ada", "role": "agent"}] + [
            {"id": _customer_id(p), "name": p.customer, "role": "end-user"} for p in chunk
        ]
        yield json.dumps(
            {
                "tickets": [zendesk_ticket(p) for p in chunk],
                "users": users,
                "after_cursor": cursor,
                "after_url": f"https://{ACCOUNT}.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
                "before_cursor": None,
                "before_url": None,
                "end_of_stream": last,
            }
        )
    for plan in plans:
        audits = zendesk_audits(plan)
        yield json.dumps({"audits": audits, "next_page": None, "previous_page": None, "count": len(audits)})


# -- Freshdesk: tickets with their conversations -------------------------------------------------


def _conversation(plan: Plan, number: int, body: str, private: bool, at: datetime) -> dict[str, Any]:
    """The agent's reply (source 0, an email) or private note (source 2) on a Freshdesk ticket."""
    return {
        "id": int(plan.ticket_id) * 10 + number,
        "body_text": body,
        "incoming": False,
        "private": private,
        "user_id": AGENT_ID,
        "source": 2 if private else 0,
        "created_at": _iso(at),
    }


def freshdesk_lines(plans: list[Plan]) -> Iterator[str]:
    for plan in plans:
        reply_at = plan.created + plan.first_reply
        conversations = [_conversation(plan, 1, "We are on it.", False, reply_at)]
        if plan.promise:
            promised = reply_at + timedelta(seconds=1)
            conversations.append(_conversation(plan, 2, "#promise refund within 3 days", True, promised))
        yield json.dumps(
            {
                "id": int(plan.ticket_id),
                "subject": f"Order {plan.number} is late",
                "description_text": "Where is my order?",
                "status": 4,
                "priority": 2,
                "source": 1,
                "requester_id": _customer_id(plan),
                "responder_id": AGENT_ID,
                "tags": ["refund_paid"] if plan.paid else [],
                "custom_fields": {},
                "created_at": _iso(plan.created),
                "updated_at": _iso(plan.created + plan.solved),
                "conversations": conversations,
            }
        )
