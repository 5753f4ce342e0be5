"""The cel-expr backend gives the same answers as cel-python, behind the same interface."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("cel_expr_python")

from serviceflow.cel import CelEnvironment, backend_named  # noqa: E402
from serviceflow.cel.celpy_backend import CelpyBackend  # noqa: E402
from serviceflow.errors import CelEvaluationError, CelSyntaxError  # noqa: E402
from serviceflow.policy.samples import NOW, sample_case, sample_ticket  # noqa: E402
from serviceflow.policy.scopes import CASE  # noqa: E402

SLOW = CelEnvironment(backend=CelpyBackend())
FAST = CelEnvironment(backend=backend_named("cel-expr"))
VALUES = {"ticket": sample_ticket(), "case": sample_case(), "now": NOW}

EXPRESSIONS = [
    'ticket.priority == "high" && ticket.status != "closed"',
    '"refund" in ticket.tags',
    'ticket.channel in ["email", "web"]',
    "size(ticket.tags) == 2",
    'ticket.subject.startsWith("Charged") && ticket.subject.contains("twice")',
    'ticket.subject.matches("(?i)refund|charged")',
    'ticket.tags.exists(t, t == "billing")',
    'ticket.tags.all(t, size(t) > 3)',
    'ticket.tags.filter(t, t != "billing")',
    "ticket.tags.map(t, size(t))",
    "now - ticket.created_at",
    'now - ticket.created_at > duration("2h")',
    "ticket.created_at + hours(3)",
    "has(ticket.assignee) && !has(ticket.custom_fields.nope)",
    'ticket.custom_fields.order_id == "7781"',
    "ticket.custom_fields.amount * 2.0",
    'ticket.priority == "urgent" ? minutes(30) : days(1)',
    "lower(ticket.subject)",
    "email_domain(ticket.requester.email)",
    'contains_any(ticket.tags, ["vip", "refund"])',
    "case.targets.exists(t, t.due_at > now)",
    "case.contacts + 1",
    "ticket.requester",
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_same_result_as_cel_python(source: str) -> None:
    slow = SLOW.compile(source, CASE).evaluate(SLOW.activation(VALUES))
    fast = FAST.compile(source, CASE).evaluate(FAST.activation(VALUES))
    assert fast == slow
    assert type(fast) is type(slow)


def test_durations_and_timestamps_come_back_as_python_values() -> None:
    value = FAST.compile("now - ticket.created_at", CASE).evaluate(FAST.activation(VALUES))
    assert value == timedelta(hours=3)


@pytest.mark.parametrize(
    "source", ["ticket.custom_fields.missing == 1", "1 / (size(ticket.tags) - 2)"]
)
def test_runtime_errors_are_serviceflow_errors(source: str) -> None:
    expression = FAST.compile(source, CASE)
    with pytest.raises(CelEvaluationError):
        expression.evaluate(FAST.activation(VALUES))


def test_syntax_errors_are_serviceflow_errors() -> None:
    backend = backend_named("cel-expr")
    with pytest.raises(CelSyntaxError) as caught:
        backend.program("ticket.status ==", [])
    assert caught.value.line == 1


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown CEL backend"):
        backend_named("nope")
