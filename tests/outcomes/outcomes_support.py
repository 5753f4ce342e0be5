"""Helpers for the outcome tests: a ticket, an event, and a run of decisions with its rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EngineInput, EventInput
from serviceflow.engine.rules import Rules
from serviceflow.model import Actor, ActorRole, Agent, EventKind, Requester, Roster, Ticket, TicketEvent
from serviceflow.outcomes import Outcome, derive
from serviceflow.outcomes.recording import slim

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=AMS)
CONTEXT = Context(
    roster=Roster(
        agents=(
            Agent(id="cat", groups=("frontline", "triage"), lead="lee"),
            Agent(id="lee", groups=("leads",), lead="max"),
            Agent(id="max", groups=("managers",)),
        )
    )
)

#: First reply in 2 hours (elapsed), warned at 75 %, the standard ladder (the lead) on breach; a
#: refund promise recorded by a note that says "refund", kept by a reply that says "refunded".
POLICY = """\
apiVersion: serviceflow/v1
kind: Policy
name: simple
owner:
  - name: desk
    from: [group:frontline]
targets:
  - name: reply
    type: first_response
    within: 2h
promises:
  - name: refund
    recorded: event.kind == "internal_note" && event.body.contains("refund")
    kept: event.kind == "agent_reply" && event.body.contains("refunded")
    due: 1d
"""


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def ticket(at: datetime, **changes: object) -> Ticket:
    data: dict[str, object] = {
        "id": "1",
        "vendor": "demo",
        "account": "demo",
        "subject": "Help",
        "group": "frontline",
        "requester": Requester(id="c1", email="c1@customer.example"),
        "created_at": MONDAY,
        "updated_at": at,
        "channel": "email",
    }
    data.update(changes)
    return Ticket.model_validate(data)


def event(kind: str, at: datetime, *, body: str = "", **changes: object) -> EventInput:
    role = ActorRole.CUSTOMER if kind in ("created", "customer_message") else ActorRole.AGENT
    if kind != "created":
        changes.setdefault("assignee", "cat")  # the helpdesk shows the owner serviceflow assigned
    return EventInput(
        event=TicketEvent(
            id=f"{kind}@{at.isoformat()}",
            kind=EventKind(kind),
            time=at,
            actor=Actor(role=role, id="cat" if role is ActorRole.AGENT else "c1"),
            ticket=ticket(at, **changes),
            body=body,
        )
    )


def run(
    rules: Rules,
    steps: Sequence[tuple[EngineInput, datetime]],
    *,
    shadow: bool = False,
    slimmed: bool = False,
) -> list[Outcome]:
    """Decide each (input, now) in turn, as the case workflow does; the rows of every decision
    (``slimmed``: from the states as the workflow sends them to the activity)."""
    state = None
    rows: list[Outcome] = []
    for engine_input, now in steps:
        outcome = decide(state, engine_input, now, rules, CONTEXT)
        at = engine_input.event.time if isinstance(engine_input, EventInput) else None
        before, after = state, outcome.state
        if slimmed:
            before, after = (slim(before) if before else None), slim(after)
        rows.extend(derive(before, after, outcome.decision, at=at, shadow=shadow))
        state = outcome.state
    return rows
