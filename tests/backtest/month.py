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
    solved_at = plan.created + plan.solved
    paid_at = reply_at + timedelta(days=1)
    tags: tuple[str, ...] = ()
    ticket_id = plan.ticket_id
    events = [
        TicketEvent(
            id=f"{ticket_id}:created",
            kind=EventKind.CREATED,
            time=plan.created,
            actor=Actor(id=plan.customer, role=ActorRole.CUSTOMER),
            ticket=_ticket(plan, plan.created, TicketStatus.NEW, vendor=vendor),
            body="Where is my order?",
            public=True,
        ),
        TicketEvent(
            id=f"{ticket_id}:reply",
            kind=EventKind.AGENT_REPLY,
            time=reply_at,
            actor=agent,
            ticket=_ticket(plan, reply_at, TicketStatus.OPEN, vendor=vendor),
            body="We are on it.",
            public=True,
        ),
    ]
    if plan.promise:
        events.append(
            TicketEvent(
                id=f"{ticket_id}:promise",
                kind=EventKind.INTERNAL_NOTE,
                time=reply_at,
                actor=agent,
                ticket=_ticket(plan, reply_at, TicketStatus.OPEN, vendor=vendor),
                body="#promise refund within 3 days",
                public=False,
            )
        )
    if plan.paid:
        tags = ("refund_paid",)
        events.append(
            TicketEvent(
                id=f"{ticket_id}:paid",
                kind=EventKind.FIELDS_CHANGED,
                time=paid_at,
                actor=agent,
                ticket=_ticket(plan, paid_at, TicketStatus.OPEN, tags, vendor=vendor),
                changes={"tags": ""},
            )
        )
    events.append(
        TicketEvent(
            id=f"{ticket_id}:solved",
            kind=EventKind.STATUS_CHANGED,
            time=solved_at,
            actor=agent,
            ticket=_ticket(plan, solved_at, TicketStatus.SOLVED, tags, vendor=vendor),
            changes={"status": "open"},
        )
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


def zendesk_audits(plan: Plan) -> list[dict[str, Any]]:
    base = int(plan.ticket_id) * 100
    customer = _customer_id(plan)
    reply_at = plan.created + plan.first_reply
    audits: list[dict[str, Any]] = [
        {
            "id": base + 1,
            "ticket_id": int(plan.ticket_id),
            "created_at": _iso(plan.created),
            "author_id": customer,
            "via": {"channel": "email"},
            "metadata": {},
            "events": [
                {
                    "id": base * 10 + 1,
                    "type": "Comment",
                    "body": "Where is my order?",
                    "public": True,
                    "author_id": customer,
                },
                {"id": base * 10 + 2, "type": "Create", "field_name": "status", "value": "new"},
                {
                    "id": base * 10 + 3,
                    "type": "Create",
                    "field_name": "subject",
                    "value": f"Order {plan.number} is late",
                },
                {"id": base * 10 + 4, "type": "Create", "field_name": "requester_id", "value": str(customer)},
                {"id": base * 10 + 5, "type": "Notification", "subject": "Received", "body": "..."},
            ],
        },
        {
            "id": base + 2,
            "ticket_id": int(plan.ticket_id),
            "created_at": _iso(reply_at),
            "author_id": AGENT_ID,
            "via": {"channel": "web"},
            "events": [
                {
                    "id": base * 10 + 6,
                    "type": "Comment",
                    "body": "We are on it.",
                    "public": True,
                    "author_id": AGENT_ID,
                },
                {
                    "id": base * 10 + 7,
                    "type": "Change",
                    "field_name": "status",
                    "value": "open",
                    "previous_value": "new",
                },
                {
                    "id": base * 10 + 8,
                    "type": "Change",
                    "field_name": "assignee_id",
                    "value": str(AGENT_ID),
                    "previous_value": None,
                },
            ],
        },
    ]
    if plan.promise:
        audits.append(
            {
                "id": base + 3,
                "ticket_id": int(plan.ticket_id),
                "created_at": _iso(reply_at + timedelta(seconds=1)),
                "author_id": AGENT_ID,
                "via": {"channel": "web"},
                "events": [
                    {
                        "id": base * 10 + 9,
                        "type": "Comment",
                        "body": "#promise refund within 3 days",
                        "public": False,
                        "author_id": AGENT_ID,
                    }
                ],
            }
        )
    if plan.paid:
        audits.append(
            {
                "id": base + 4,
                "ticket_id": int(plan.ticket_id),
                "created_at": _iso(reply_at + timedelta(days=1)),
                "author_id": AGENT_ID,
                "via": {"channel": "web"},
                "events": [
                    {
                        "id": base * 10 + 10,
                        "type": "Change",
                        "field_name": "tags",
                        "value": ["refund_paid"],
                        "previous_value": [],
                    }
                ],
            }
        )
    audits.append(
        {
            "id": base + 5,
            "ticket_id": int(plan.ticket_id),
            "created_at": _iso(plan.created + plan.solved),
            "author_id": AGENT_ID,
            "via": {"channel": "web"},
            "events": [
                {
                    "id": base * 10 + 11,
                    "type": "Change",
                    "field_name": "status",
                    "value": "solved",
                    "previous_value": "open",
                }
            ],
        }
    )
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


def freshdesk_lines(plans: list[Plan]) -> Iterator[str]:
    for plan in plans:
        reply_at = plan.created + plan.first_reply
        conversations: list[dict[str, Any]] = [
            {
                "id": int(plan.ticket_id) * 10 + 1,
                "body_text": "We are on it.",
                "incoming": False,
                "private": False,
                "user_id": AGENT_ID,
                "source": 0,
                "created_at": _iso(reply_at),
            }
        ]
        if plan.promise:
            conversations.append(
                {
                    "id": int(plan.ticket_id) * 10 + 2,
                    "body_text": "#promise refund within 3 days",
                    "incoming": False,
                    "private": True,
                    "user_id": AGENT_ID,
                    "source": 2,
                    "created_at": _iso(reply_at + timedelta(seconds=1)),
                }
            )
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
