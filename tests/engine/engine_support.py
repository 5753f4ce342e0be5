from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from serviceflow.engine.rules import Rules
from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent
from serviceflow.policy import load_policy_set

REPO = Path(__file__).resolve().parents[2]
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=AMS)


@pytest.fixture(scope="session")
def shipped_rules() -> Rules:
    return Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))


@pytest.fixture
def rules_from(write_policies: Callable[..., Path]) -> Callable[[dict[str, str]], Rules]:
    def build(files: dict[str, str]) -> Rules:
        return Rules(load_policy_set([write_policies(files)]))

    return build


def ticket(ticket_id: str = "1", *, at: datetime = MONDAY, **changes: object) -> Ticket:
    data: dict[str, object] = {
        "id": ticket_id,
        "vendor": "demo",
        "account": "demo",
        "subject": "Help",
        "requester": Requester(id="c1", email="c1@customer.example"),
        "created_at": MONDAY,
        "updated_at": at,
        "channel": "email",
    }
    data.update(changes)
    return Ticket.model_validate(data)


def event(
    kind: str,
    *,
    at: datetime = MONDAY,
    role: str | None = None,
    event_id: str | None = None,
    body: str = "",
    **ticket_changes: object,
) -> TicketEvent:
    kind_enum = EventKind(kind)
    default_role = "customer" if kind in ("created", "customer_message") else "agent"
    return TicketEvent(
        id=event_id or f"{kind}@{at.isoformat()}",
        kind=kind_enum,
        time=at,
        actor=Actor(role=ActorRole(role or default_role), id="someone"),
        ticket=ticket(at=at, **ticket_changes),
        body=body,
    )


def MINIMAL_SET_WITH(second_level: str) -> str:  # noqa: N802 - reads like a constant
    """A policy set whose standard ladder has a second level notifying ``second_level``."""
    return (
        "apiVersion: serviceflow/v1\nkind: PolicySet\nname: t\n"
        "defaults: {escalation: standard}\nfallback: {owner: group:triage}\n"
        "escalations:\n  standard:\n    levels:\n      - notify: [owner.lead]\n"
        f"      - {{after: 1h, notify: [{second_level}]}}\n"
    )


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
