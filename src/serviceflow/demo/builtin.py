"""The built-in demo helpdesk's tickets for ``serviceflow dev --helpdesk builtin``: the refund
story's first contacts, signalled as events; actions land in ``SERVICEFLOW_DEMO_LOG``."""

from __future__ import annotations

from datetime import UTC, datetime

from serviceflow.durable.cases import deliver
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.model import Actor, ActorRole, Channel, EventKind, Priority, Requester, Ticket, TicketEvent

DEMO_TICKETS = [
    ("1042", "Charged twice for order 7781", ("billing",), "email"),
    ("1043", "Where is my parcel?", (), "web"),
    ("1044", "Site is down!", (), "chat"),
]


async def feed_demo_tickets(settings: Settings) -> list[str]:
    client = await connect(settings)
    now = datetime.now(UTC)
    sent = []
    for ticket_id, subject, tags, channel in DEMO_TICKETS:
        ticket = Ticket(
            id=ticket_id, vendor="demo", account="demo", subject=subject, tags=tags,
            channel=Channel(channel), priority=Priority.URGENT if "down" in subject else Priority.NORMAL,
            requester=Requester(id="dana", email="dana@customer.example", name="Dana Smith"),
            created_at=now, updated_at=now,
        )  # fmt: skip
        event = TicketEvent(
            id=f"demo-{ticket_id}-created-{now:%Y%m%d%H%M%S}", kind=EventKind.CREATED, time=now,
            actor=Actor(role=ActorRole.CUSTOMER, id="dana"), ticket=ticket, body=subject,
        )  # fmt: skip
        sent.append(await deliver(client, event, settings.task_queue))
    return sent
