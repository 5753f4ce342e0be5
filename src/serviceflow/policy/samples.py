"""Realistic sample values for every policy variable, used to type-check expressions by running
them once at load time, and by benchmarks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from serviceflow.cel.types import CelType
from serviceflow.model import (
    Actor,
    ActorRole,
    Agent,
    CaseView,
    Channel,
    EventKind,
    Priority,
    QuarantinedMessage,
    Remedy,
    Requester,
    TargetStatus,
    TargetView,
    Ticket,
    TicketEvent,
    TicketOrganization,
    TicketStatus,
)

NOW = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)  # a Tuesday morning


def sample_ticket(ticket_id: str = "1042") -> Ticket:
    return Ticket(
        id=ticket_id,
        vendor="zendesk",
        account="example",
        subject="Charged twice for order 7781",
        status=TicketStatus.OPEN,
        priority=Priority.HIGH,
        channel=Channel.EMAIL,
        requester=Requester(id="u-77", email="dana@customer.example", name="Dana Smith"),
        recipient="support@shop.example",
        assignee="a-1",
        group="frontline",
        tags=("billing", "refund"),
        custom_fields={"order_id": "7781", "amount": 49.5},
        organization=TicketOrganization(
            id="o-5",
            name="Customer Inc",
            domains=("customer.example",),
            tags=("vip",),
            fields={"plan": "enterprise"},
        ),  # fmt: skip
        created_at=NOW - timedelta(hours=3),
        updated_at=NOW - timedelta(minutes=5),
    )


def sample_case(case_id: str = "zendesk:example:1042") -> CaseView:
    return CaseView(
        id=case_id,
        owner="a-1",
        opened_at=NOW - timedelta(hours=3),
        human_replied=True,
        contacts=2,
        targets=(
            TargetView(
                name="first-response",
                kind="target",
                status=TargetStatus.RUNNING,
                due_at=NOW + timedelta(hours=1),
            ),
        ),
    )


def sample_values(variables: Mapping[str, CelType]) -> dict[str, Any]:
    """A value for every variable in ``variables`` (names from serviceflow.policy.scopes)."""
    ticket = sample_ticket()
    event = TicketEvent(
        id="evt-1",
        kind=EventKind.CUSTOMER_MESSAGE,
        time=NOW,
        actor=Actor(id="u-77", role=ActorRole.CUSTOMER, name="Dana Smith"),
        ticket=ticket,
        body="Any news on my refund?",
        public=True,
    )
    everything: dict[str, Any] = {
        "ticket": ticket,
        "event": event,
        "case": sample_case(),
        "now": NOW,
        "agent": Agent(
            id="a-2",
            name="Ann Lee",
            email="ann@shop.example",
            groups=("frontline",),
            lead="a-9",
            skills=("billing", "de"),
            open_cases=4,
        ),
        "other": sample_case("zendesk:example:998"),
        "other_ticket": sample_ticket("998"),
        "remedy": Remedy(kind="refund", amount=49.5, currency="EUR"),
        "message": sample_message(),
        "open_cases": [sample_case("zendesk:example:998")],
    }
    return {name: everything[name] for name in variables if name in everything}


def sample_message() -> QuarantinedMessage:
    """A suspended email from a customer, as a quarantine rule sees it."""
    return QuarantinedMessage(
        id="435",
        vendor="zendesk",
        account="example",
        sender=Requester(id="u-77", email="dana@example.com", name="Dana Smith"),
        subject="Still no refund",
        excerpt="This is the third time I am writing about my refund.",
        cause="Detected as spam",
        recipient="manager@shop.example",
        received_at=NOW,
        expires_at=NOW + timedelta(days=14),
    )
