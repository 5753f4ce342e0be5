"""An expression's activation holds only the fields it reads, and answers as the whole one does.

The evaluator converts, of a variable an expression reads by its fields, just those fields
(``event.kind`` and ``event.body``, not the whole event with its ticket). Each expression here is
evaluated both ways, with both backends, on a ticket with every field set and on one with most
fields absent (``has()`` and missing keys must see the same shape), and must give the same value
or fail alike, with the same message (an error is recorded in the decision).
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import event

from serviceflow.cel import CelEnvironment, backend_named
from serviceflow.engine.evaluation import Evaluator
from serviceflow.errors import CelEvaluationError
from serviceflow.model import TicketEvent
from serviceflow.policy.samples import NOW, sample_case, sample_ticket
from serviceflow.policy.scopes import CASE

SOURCES = [
    'event.kind == "internal_note" && event.body.startsWith("#promise")',
    "has(ticket.assignee)",
    "has(ticket.requester.name)",
    "has(ticket.organization.name)",
    'has(ticket.organization) && ticket.organization.fields.plan == "enterprise"',
    "ticket.organization.name",
    'ticket.requester.email.endsWith("example") || has(ticket.requester)',
    'ticket.requester.email == "x" || size(ticket.requester) > 1',
    '"billing" in ticket.tags || ticket.subject.matches("(?i)refund")',
    "ticket.custom_fields.amount > 40.0",
    "has(ticket.custom_fields.order_id)",
    'event.ticket.subject == ticket.subject && event.actor.role == "agent"',
    "size(ticket) > 3",
    'case.targets.exists(t, t.status == "running")',
    'now - ticket.created_at > duration("1h")',
    'event.changes.status == "open"',
    '"status" in event.changes',
    "event.ticket.priority",
]

FULL = sample_ticket()
NAMELESS = FULL.requester.model_copy(update={"name": None})
BARE = FULL.model_copy(update={"assignee": None, "organization": None, "requester": NAMELESS})


def _events() -> list[TicketEvent]:
    note = event("internal_note", body="#promise refund within 3 days")
    reply = event("agent_reply", body="done")
    return [
        note.model_copy(update={"ticket": FULL}),
        reply.model_copy(update={"ticket": BARE, "changes": {"status": "open"}}),
    ]


def _answer(run: Any) -> Any:
    try:
        return ("value", run())
    except CelEvaluationError as exc:
        return ("error", exc.message)


@pytest.mark.parametrize("backend", ["celpy", "cel-expr"])
@pytest.mark.parametrize("source", SOURCES)
def test_the_fields_an_expression_reads_answer_as_the_whole_variables(backend: str, source: str) -> None:
    try:
        environment = CelEnvironment(backend=backend_named(backend))
    except ImportError:
        pytest.skip("cel-expr-python is not installed")
    expression = environment.compile(source, CASE)
    for engine_event in [*_events(), None]:
        ticket = engine_event.ticket if engine_event is not None else FULL
        values = {"ticket": ticket, "event": engine_event, "case": sample_case(), "now": NOW}
        whole = _answer(lambda: expression.evaluate(environment.activation(values)))  # noqa: B023
        evaluator = Evaluator(environment, dict(values))
        assert _answer(lambda: evaluator.value(expression)) == whole, (source, engine_event)  # noqa: B023
