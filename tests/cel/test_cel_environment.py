"""The CEL layer: conversion of model values, custom functions, errors as serviceflow's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from serviceflow.cel import CelEnvironment
from serviceflow.cel.types import DYN, INT, TIMESTAMP, map_of
from serviceflow.errors import CelCheckError, CelEvaluationError, CelSyntaxError
from serviceflow.policy.samples import NOW, sample_ticket
from serviceflow.policy.scopes import CASE

env = CelEnvironment()
DYNAMIC = {"x": map_of(DYN), "now": TIMESTAMP}


def evaluate(source: str, **values: object) -> object:
    variables = {"ticket": CASE["ticket"], "now": TIMESTAMP, **dict.fromkeys(values, DYN)}
    expression = env.compile(source, variables)
    return expression.evaluate(env.activation({"ticket": sample_ticket(), "now": NOW, **values}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('ticket.priority == "high"', True),
        ('"refund" in ticket.tags', True),
        ("size(ticket.tags)", 2),
        ("ticket.requester.email", "dana@customer.example"),
        ("now - ticket.created_at", timedelta(hours=3)),
        ('now - ticket.created_at > duration("2h")', True),
        ("ticket.created_at + hours(3) == now", True),
        ('ticket.custom_fields.order_id == "7781"', True),
        ("ticket.custom_fields.amount > 40.0", True),
        ("has(ticket.assignee)", True),
        ("!has(ticket.assignee)", False),  # celpy 0.5 needed a fix for this one
        ("!has(ticket.custom_fields.nope) && has(ticket.custom_fields.order_id)", True),
        ("has(ticket.assignee) || false", True),
        ('ticket.tags.exists(t, t.startsWith("bill"))', True),
        ('ticket.tags.filter(t, t != "billing")', ["refund"]),
        ("ticket.created_at", NOW - timedelta(hours=3)),
        ('lower(ticket.subject).contains("charged twice")', True),
        ("email_domain(ticket.requester.email)", "customer.example"),
        ('contains_any(ticket.tags, ["vip", "refund"])', True),
        ("minutes(90) == hours(1) + minutes(30)", True),
        ("days(2) == hours(48)", True),
        ('ticket.priority == "urgent" ? hours(1) : hours(4)', timedelta(hours=4)),
    ],
)
def test_model_values_in_cel(source: str, expected: object) -> None:
    assert evaluate(source) == expected


def test_absent_optional_fields_are_absent_not_null() -> None:
    ticket = sample_ticket().model_copy(update={"assignee": None})
    expression = env.compile("has(ticket.assignee)", CASE)
    assert expression.evaluate(env.activation({"ticket": ticket})) is False


def test_timestamps_come_back_timezone_aware() -> None:
    value = evaluate("ticket.updated_at")
    assert isinstance(value, datetime) and value.tzinfo is not None
    assert value == NOW - timedelta(minutes=5)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        env.activation({"now": datetime(2026, 1, 1)})


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(CelSyntaxError) as caught:
        env.compile("x.a == 1 &&\n  x.b $ 2", DYNAMIC)
    assert (caught.value.line, caught.value.column) == (2, 7)
    assert caught.value.message == "syntax error: unexpected character '$'"


def test_unterminated_string() -> None:
    with pytest.raises(CelSyntaxError, match="unterminated string"):
        env.compile('x.a == "abc', DYNAMIC)


def test_check_error_is_raised_by_compile() -> None:
    with pytest.raises(CelCheckError) as caught:
        env.compile("ticket.priorty", CASE)
    assert caught.value.column == 8
    assert "did you mean 'priority'" in caught.value.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x.missing == 1", "no such member in mapping: 'missing'"),
        ("1 / (size(x) - size(x))", "divide by zero"),
        ("lower(x.n)", "lower(): "),
    ],
)
def test_runtime_errors_become_cel_evaluation_errors(source: str, message: str) -> None:
    expression = env.compile(source, DYNAMIC)
    with pytest.raises(CelEvaluationError) as caught:
        expression.evaluate(env.activation({"x": {"n": 3}, "now": datetime.now(UTC)}))
    assert message in caught.value.message
    assert caught.value.expression == source


def test_compiled_once_evaluated_many_times() -> None:
    expression = env.compile('x.status == "open"', DYNAMIC)
    results = [
        expression.evaluate(env.activation({"x": {"status": status}}))
        for status in ("open", "pending", "open")
    ]
    assert results == [True, False, True]


def test_references_name_what_an_expression_reads() -> None:
    expression = env.compile(
        '"vip" in ticket.tags && event.kind == "created" && now > case.opened_at'
        ' && ticket.requester.email != ""',
        CASE,
    )
    assert expression.references == {
        "ticket.tags",
        "event.kind",
        "now",
        "case.opened_at",
        "ticket.requester.email",
    }


def test_compiling_the_same_source_again_reuses_the_expression() -> None:
    """A reloaded policy set compiles only what changed: same source and variable types, same
    expression; other variable types, another one; errors are never kept."""
    fresh = CelEnvironment()
    first = fresh.compile("x.a == 1", DYNAMIC)
    assert fresh.compile("x.a == 1", dict(DYNAMIC)) is first
    assert fresh.compile("x.a == 1", {"x": map_of(INT), "now": TIMESTAMP}) is not first
    for _ in range(2):
        with pytest.raises(CelCheckError):
            fresh.compile("y == 1", DYNAMIC)


def test_check_results_are_the_callers_own() -> None:
    fresh = CelEnvironment()
    first = fresh.check("nope == 1", DYNAMIC)
    first.problems.clear()
    again = fresh.check("nope == 1", DYNAMIC)
    assert [p.message for p in again.problems] and again.problems is not first.problems


def test_the_compile_cache_is_bounded() -> None:
    fresh = CelEnvironment()
    fresh._compiled.size = 3
    oldest = fresh.compile("x.a == 0", DYNAMIC)
    for n in range(1, 5):
        fresh.compile(f"x.a == {n}", DYNAMIC)
    assert len(fresh._compiled) == 3
    assert fresh.compile("x.a == 0", DYNAMIC) is not oldest


def test_matches_compiles_each_pattern_once_and_still_reports_a_bad_one() -> None:
    """cel-python's matches() through the compiled-pattern cache: the same answers, a pattern
    compiled once however many tickets it runs on, and an invalid pattern from a field still a
    rule error (not a crash)."""
    import celpy.evaluation

    patterns = vars(celpy.evaluation)["re2"]._compiled
    assert evaluate("x.t.matches(x.p)", x={"t": "aab", "p": "^a+b$"}) is True
    compiled = patterns["^a+b$"]
    for text, expected in (("b", False), ("ab", True)):
        assert evaluate("x.t.matches(x.p)", x={"t": text, "p": "^a+b$"}) is expected
    assert patterns["^a+b$"] is compiled
    with pytest.raises(CelEvaluationError):
        evaluate("x.t.matches(x.p)", x={"t": "a", "p": "(unclosed"})
