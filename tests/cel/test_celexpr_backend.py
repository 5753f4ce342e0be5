"""The cel-expr backend gives the same answers as cel-python, behind the same interface.

Where the two engines disagree by design (see KNOWN_DIFFERENCES) the disagreement is pinned, so
that an upgrade of either engine that changes it is noticed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

pytest.importorskip("cel_expr_python")
pytest.importorskip("google.protobuf")

from serviceflow.cel import CelEnvironment, backend_named  # noqa: E402
from serviceflow.cel.celpy_backend import CelpyBackend  # noqa: E402
from serviceflow.cel.functions import BUILTIN_FUNCTIONS, CelFunction  # noqa: E402
from serviceflow.cel.types import DURATION, DYN, INT, TIMESTAMP, map_of  # noqa: E402
from serviceflow.errors import CelEvaluationError, CelSyntaxError  # noqa: E402
from serviceflow.policy.samples import NOW, sample_case, sample_ticket  # noqa: E402
from serviceflow.policy.scopes import CASE  # noqa: E402

SLOW = CelEnvironment(backend=CelpyBackend())
FAST = CelEnvironment(backend=backend_named("cel-expr"))

VARIABLES = {"ticket": map_of(DYN), "now": TIMESTAMP, "n": INT, "limit": DURATION}
TICKET: dict[str, Any] = {
    "id": "1042",
    "subject": "Charged TWICE for order 7781",
    "status": "open",
    "priority": "high",
    "tags": ["billing", "refund"],
    "requester": {"email": "Dana@Customer.Example", "name": "Dana"},
    "created_at": NOW - timedelta(hours=3),
    "custom_fields": {
        "order_id": "7781",
        "amount": 49.5,
        "items": 3,
        "delivery": {"promised_at": NOW - timedelta(days=2), "carrier": "DHL"},
    },
    "comments": [
        {"public": True, "at": NOW - timedelta(hours=2)},
        {"public": False, "at": NOW - timedelta(minutes=10)},
    ],
}
VALUES = {"ticket": TICKET, "now": NOW, "n": 7, "limit": timedelta(hours=4)}

EXPRESSIONS = [
    # boolean logic and comparisons
    'ticket.priority == "high" && ticket.status != "closed"',
    '!(ticket.status == "closed") || ticket.priority == "low"',
    'ticket.priority in ["high", "urgent"]',
    '"refund" in ticket.tags && !("vip" in ticket.tags)',
    # strings
    'ticket.subject.startsWith("Charged") && ticket.subject.contains("7781")',
    'ticket.subject.matches("(?i)refund|charged")',
    'ticket.subject.endsWith("81") ? "order" : "other"',
    "size(ticket.subject)",
    # macros
    'ticket.tags.exists(t, t.startsWith("bill"))',
    "ticket.tags.all(t, size(t) > 3)",
    'ticket.tags.filter(t, t != "billing")',
    "ticket.tags.map(t, size(t))",
    "ticket.comments.filter(c, c.public).map(c, now - c.at)",
    'ticket.comments.exists_one(c, now - c.at < duration("1h"))',
    # timestamps and durations, nested in maps and lists
    "now - ticket.created_at",
    'now - ticket.created_at > duration("2h")',
    "now - ticket.created_at < limit",
    "ticket.created_at + hours(3) == now",
    "ticket.custom_fields.delivery.promised_at",
    "ticket.comments[1].at - ticket.comments[0].at",
    "ticket.created_at.getHours()",
    # has() on present and absent map keys
    "has(ticket.custom_fields.order_id) && !has(ticket.custom_fields.nope)",
    "has(ticket.assignee)",
    # custom functions
    "minutes(90) == hours(1) + minutes(30)",
    "days(2) == hours(48)",
    "hours(n)",
    "lower(ticket.subject)",
    "email_domain(ticket.requester.email)",
    'contains_any(ticket.tags, ["vip", "refund"])',
    'contains_any(ticket.tags, ["vip", "press"])',
    # ternaries returning durations
    'ticket.priority == "urgent" ? minutes(30) : days(1)',
    'ticket.priority == "high" ? duration("4h") : duration("8h")',
    # nested map access into custom fields
    'ticket.custom_fields.order_id == "7781"',
    'ticket.custom_fields["delivery"]["carrier"]',
    # int and double arithmetic
    "ticket.custom_fields.amount * 2.0 - 1.5",
    "ticket.custom_fields.amount > 40",
    "ticket.custom_fields.items * n + 1",
    "n / 2 + n % 3",
    "-n / 2",
    "double(ticket.custom_fields.items) / 4.0",
    "int(ticket.custom_fields.amount)",
    # whole values back
    "ticket.custom_fields",
    "[now, limit, n, 1.5, true, null]",
]


def both(source: str, variables: Any = VARIABLES, values: Any = VALUES) -> tuple[Any, Any]:
    slow = SLOW.compile(source, variables).evaluate(SLOW.activation(values))
    fast = FAST.compile(source, variables).evaluate(FAST.activation(values))
    return slow, fast


def same_plain(left: Any, right: Any) -> bool:
    """Equal, and of the same Python types all the way down (1 == 1.0 == True would hide bugs)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_plain(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_plain, left, right))
    return bool(left == right)


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_same_result_as_cel_python(source: str) -> None:
    slow, fast = both(source)
    assert same_plain(fast, slow), (slow, fast)


@pytest.mark.parametrize(
    "source",
    [
        'ticket.priority == "high" && ticket.status != "closed"',
        'ticket.channel in ["email", "web"]',
        "now - ticket.created_at",
        "has(ticket.assignee) && !has(ticket.custom_fields.nope)",
        "case.targets.exists(t, t.due_at > now)",
        "case.contacts + 1",
        "ticket.requester",
        "ticket",
    ],
)
def test_same_result_on_domain_models(source: str) -> None:
    values = {"ticket": sample_ticket(), "case": sample_case(), "now": NOW}
    slow, fast = both(source, CASE, values)
    assert same_plain(fast, slow), (slow, fast)


def test_timestamps_and_durations_come_back_as_aware_python_values() -> None:
    stamp = FAST.compile("ticket.custom_fields.delivery.promised_at", VARIABLES)
    value = stamp.evaluate(FAST.activation(VALUES))
    assert value == NOW - timedelta(days=2)
    assert value.utcoffset() == timedelta(0)
    span = FAST.compile("now - ticket.created_at", VARIABLES).evaluate(FAST.activation(VALUES))
    assert span == timedelta(hours=3)


def test_other_time_zones_become_utc() -> None:
    local = datetime(2026, 3, 3, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    activation = FAST.activation({"ticket": {"at": local}})
    value = FAST.compile("ticket.at", VARIABLES).evaluate(activation)
    assert value == local and value.utcoffset() == timedelta(0)


def test_merged_activations_evaluate_like_built_ones() -> None:
    """Callers may merge activations as dicts: ``{**activation, **more}``."""
    merged = {**FAST.activation({"ticket": TICKET}), **FAST.activation({"now": NOW})}
    expression = FAST.compile("now - ticket.created_at", VARIABLES)
    assert expression.evaluate(merged) == timedelta(hours=3)
    assert expression.evaluate(FAST.activation(VALUES)) == timedelta(hours=3)


def test_sliced_activations_never_serve_stale_values() -> None:
    """The engine passes each expression a new dict of just the converted variables it reads; the
    backend reuses cel-expr Activations by the identity of those values, never across values."""
    first = FAST.activation({"ticket": TICKET, "now": NOW})
    second = FAST.activation({"ticket": {**TICKET, "priority": "low"}, "now": NOW})
    priority = FAST.compile("ticket.priority", VARIABLES)
    age = FAST.compile("now - ticket.created_at", VARIABLES)
    for _ in range(2):
        assert priority.evaluate({"ticket": first["ticket"]}) == "high"
        assert priority.evaluate({"ticket": second["ticket"]}) == "low"
        assert age.evaluate({"ticket": first["ticket"], "now": first["now"]}) == timedelta(hours=3)
        with pytest.raises(CelEvaluationError, match="now"):
            age.evaluate({"ticket": first["ticket"]})


def test_an_out_of_range_int_spoils_only_itself() -> None:
    """cel-expr converts a variable whole: an int beyond int64 in one custom field must not fail
    every expression that reads the ticket (it becomes a double)."""
    ticket = {**TICKET, "custom_fields": {**TICKET["custom_fields"], "external_id": 2**70}}
    activation = FAST.activation({**VALUES, "ticket": ticket})
    assert FAST.compile('"refund" in ticket.tags', VARIABLES).evaluate(activation) is True
    assert FAST.compile("ticket.custom_fields.external_id", VARIABLES).evaluate(activation) == 2.0**70


def test_dyn_parameters_accept_any_value() -> None:
    """A ``dyn`` parameter is declared as google.protobuf.Any: cel-expr's DYN matches nothing."""
    kind = CelFunction("kind", (DYN,), DYN, lambda v: type(v).__name__, "kind(x)")
    env = CelEnvironment(functions=(*BUILTIN_FUNCTIONS, kind), backend=backend_named("cel-expr"))
    activation = env.activation(VALUES)
    for source, expected in [
        ("kind(n)", "int"),
        ("kind(ticket.tags)", "list"),
        ("kind(ticket.custom_fields)", "dict"),
        ("kind(ticket.created_at)", "datetime"),
        ("kind(limit)", "timedelta"),
    ]:
        assert env.compile(source, VARIABLES).evaluate(activation) == expected


def test_function_failures_are_evaluation_errors_naming_the_function() -> None:
    explode = CelFunction("explode", (INT,), INT, lambda n: 1 // (n - n), "explode(1)")
    env = CelEnvironment(functions=(explode,), backend=backend_named("cel-expr"))
    with pytest.raises(CelEvaluationError, match=r"explode\(\): integer division"):
        env.compile("explode(n)", VARIABLES).evaluate(env.activation(VALUES))


@pytest.mark.parametrize(
    "source",
    [
        "ticket.custom_fields.missing == 1",
        "ticket.nope.deeper",
        "1 / (size(ticket.tags) - 2)",
        "n % 0",
        "ticket.tags[5]",
        'lower(ticket.custom_fields.items) == "3"',
        "undeclared_at_run_time > 1",
    ],
)
def test_runtime_errors_are_serviceflow_errors(source: str) -> None:
    variables = {**VARIABLES, "undeclared_at_run_time": INT}
    expression = FAST.compile(source, variables)
    with pytest.raises(CelEvaluationError) as caught:
        expression.evaluate(FAST.activation(VALUES))
    assert caught.value.expression == source
    assert not caught.value.message.startswith(("NOT_FOUND", "INVALID_ARGUMENT", "UNKNOWN"))


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("ticket.a == 1 &&\n  ticket.b $ 2", 2, 12, "syntax error: unexpected character '$'"),
        ('ticket.a == "abc', 1, 13, "syntax error: unterminated string"),
        ("ticket.status ==", 1, 17, "syntax error: the expression ends too early"),
        ("(ticket.a", 1, 10, "syntax error: the expression ends too early"),
        ("[1, 2", 1, 6, "syntax error: the expression ends too early"),
        ("ticket.a ticket.b", 1, 10, "syntax error: unexpected 'ticket'"),
    ],
)
def test_syntax_errors_read_as_with_cel_python(source: str, line: int, column: int, message: str) -> None:
    for backend in (CelpyBackend(), backend_named("cel-expr")):
        with pytest.raises(CelSyntaxError) as caught:
            backend.program(source, BUILTIN_FUNCTIONS)
        error = caught.value
        assert (error.line, error.column, error.message) == (line, column, message), backend.name
        assert error.expression == source


def test_a_lone_surrogate_is_a_syntax_error_where_it_stands() -> None:
    """YAML's "\\ud800" is a lone surrogate: cel-expr-python's compile raised a bare TypeError."""
    source = 'ticket.subject == "a"\n  || ticket.subject == "\ud800"'
    with pytest.raises(CelSyntaxError) as caught:
        backend_named("cel-expr").program(source, BUILTIN_FUNCTIONS)
    error = caught.value
    assert (error.line, error.column) == (2, 25)  # 1-based, as cel-expr counts
    assert error.message.startswith("syntax error: U+D800 is half of a surrogate pair")


def test_macro_misuse_is_a_syntax_error() -> None:
    with pytest.raises(CelSyntaxError, match="has\\(\\) argument must be a field selection"):
        backend_named("cel-expr").program("has(1)", BUILTIN_FUNCTIONS)


# (source, celpy's outcome, cel-expr's outcome); an exception class means it raises that.
KNOWN_DIFFERENCES: list[tuple[str, Any, Any]] = [
    # cel-cpp compares numbers across int/double (the current CEL spec); cel-python refuses,
    # except for ordering a double against an int (amount > 40 is True on both).
    ("ticket.custom_fields.items == 3.0", CelEvaluationError, True),
    ("ticket.custom_fields.items < 50.0", CelEvaluationError, True),
    ("3.0 in [1, 2, 3]", CelEvaluationError, True),
    # Mixed int/double arithmetic has no overload in the spec; cel-python computes something.
    ("ticket.custom_fields.amount * n", 346.5, CelEvaluationError),
    ("n / 2.0", 3, CelEvaluationError),
    ("1 + 1u", 2, CelEvaluationError),
    ('duration("1h") * 2', timedelta(hours=2), CelEvaluationError),
    # has() through a missing map key: cel-python says false, cel-cpp reports the missing key.
    ("has(ticket.nope.deeper)", False, CelEvaluationError),
    # Only h, m, s, ms, us and ns are duration units in the spec.
    ('duration("1d")', timedelta(days=1), CelEvaluationError),
    # Python-isms in cel-python: negative indexes, indexing strings, str(True).
    ("ticket.tags[-1]", "refund", CelEvaluationError),
    ("ticket.subject[0]", "C", CelEvaluationError),
    ("string(true)", "True", "true"),
    ("string(1e10)", "10000000000.0", "1e+10"),
    # Typed overloads: cel-expr checks argument types at run time, celpy leaves it to Python.
    ("hours(ticket.custom_fields.amount)", timedelta(hours=49.5), CelEvaluationError),
    # The three-argument map() is map-with-filter; cel-python maps the filter instead.
    ("[1, 2, 3].map(i, i > 1, i * 10)", [False, True, True], [20, 30]),
]


@pytest.mark.parametrize(("source", "celpy", "celexpr"), KNOWN_DIFFERENCES)
def test_known_differences(source: str, celpy: Any, celexpr: Any) -> None:
    for env, expected in ((SLOW, celpy), (FAST, celexpr)):
        expression = env.compile(source, VARIABLES)
        if isinstance(expected, type) and issubclass(expected, Exception):
            with pytest.raises(expected):
                expression.evaluate(env.activation(VALUES))
        else:
            assert expression.evaluate(env.activation(VALUES)) == expected


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown CEL backend"):
        backend_named("nope")
