"""Conditions made of comparisons of fields are answered without CEL: always as CEL answers.

``event.kind == "created"``, ``ticket.status in ["pending", "on_hold"]``, ``ticket.channel !=
"api"``, ``"vip" in ticket.tags``, ``!agent.out_of_office``, ``event.body.startsWith("#promise")``
(``endsWith``, ``contains``, ``matches``), with ``&&``, ``||``, ``!`` and ``true``, are most of a policy set's
conditions; the engine's evaluator answers them from the
fields (see serviceflow.cel.analysis.decided), and an ``||`` or ``&&`` that one side settles
without running the other. Each answer here is held to CEL's own on the same values, including
values of other kinds (CEL decides them) and other sides that fail.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from serviceflow.cel import CelEnvironment, backend_named, regex_problem
from serviceflow.cel.analysis import decided
from serviceflow.cel.types import DYN, map_of
from serviceflow.engine.evaluation import Evaluator
from serviceflow.errors import CelError, CelEvaluationError

env = CelEnvironment()
VARIABLES = {"x": map_of(DYN), "y": map_of(DYN)}

CONDITIONS = [
    'x.kind == "created"',
    '"created" == x.kind',
    'x.status in ["pending", "on_hold"]',
    'x.channel != "api"',
    'x.kind == "created" && y.channel == "phone"',
    'x.kind == "created" && y.channel != "api" && x.status in ["new", "open"]',
    'x.kind == "created" && true',
    "true",
    'x.kind == "a" && x.kind == "b"',
    "x.status in []",
    'x.kind == "a" || x.kind == "b"',
    '!(x.kind == "a")',
    '"a" in x.tags',
    '"a" in x.tags || x.kind.matches("^cr")',
    'x.kind.startsWith("c") && x.channel != "api"',
    'x.kind.startsWith("cr")',
    'x.kind.endsWith("ed") || x.flag',
    '!x.status.contains("n") && y.kind == "a"',
    'x.kind == "created" && y.channel.contains("") && !y.kind.endsWith("b")',
    "!x.flag",
    'x.flag || y.flag && !(y.kind in ["a", "b"])',
    '!!x.flag && "created" in y.tags',
    # paths past a field of another kind: CEL says what they are (an error), never Python
    'x.kind.title == "Created"',
    'x.kind.title != "Created"',
    "x.tags.count",
    '"a" in x.kind.split',
    'x.kind.__doc__ != "x"',
    'x.o.kind == "a" && x.flag',
    'x.kind.matches("^cr") && x.channel != "api"',
    'size(x.kind) > 1 && x.kind.matches("(?i)CREATED|api")',
]

SCALARS = st.one_of(
    st.sampled_from(["created", "api", "phone", "pending", "on_hold", "open", "new", "a", "b", ""]),
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.lists(st.one_of(st.sampled_from(["a", "created"]), st.integers(0, 1)), max_size=3),
)
NAMES = st.sampled_from(["kind", "status", "channel", "tags", "flag", "o"])
VALUES = st.one_of(SCALARS, st.dictionaries(NAMES, SCALARS, max_size=3))  # a map one level down
FIELDS = st.dictionaries(NAMES, VALUES, max_size=5)


def cel_says(environment: CelEnvironment, expression: Any, values: dict[str, Any]) -> bool | str:
    try:
        result = expression.evaluate(environment.activation(values))
    except CelEvaluationError:
        return "error"
    return result if isinstance(result, bool) else "not bool"


@pytest.mark.parametrize("source", CONDITIONS)
def test_the_shapes_are_decided(source: str) -> None:
    assert env.compile(source, VARIABLES).decided_by is not None


RUN = ["x.kind == y.kind", "size(x.kind) > 1 && x.k.matches(y.k)", "x.kind.matches(y.kind) || size(x) > 1"]


@pytest.mark.parametrize("source", [*RUN, "false", 'x.tags[0] == "a"'])
def test_other_shapes_run(source: str) -> None:
    assert env.compile(source, VARIABLES).decided_by is None
    assert decided(env.backend.parse(source)) is None  # type: ignore[attr-defined]


ENVIRONMENTS: dict[str, CelEnvironment] = {"celpy": env}


def _environment(backend: str) -> CelEnvironment:
    if backend not in ENVIRONMENTS:
        try:
            ENVIRONMENTS[backend] = CelEnvironment(backend=backend_named(backend))
        except ImportError:
            pytest.skip("cel-expr-python is not installed")
    return ENVIRONMENTS[backend]


@pytest.mark.parametrize("backend", ["celpy", "cel-expr"])
@settings(max_examples=400, deadline=None)
@given(source=st.sampled_from(CONDITIONS), x=FIELDS, y=FIELDS)
def test_a_decided_condition_answers_as_cel_does(
    backend: str, source: str, x: dict[str, Any], y: dict[str, Any]
) -> None:
    environment = _environment(backend)
    expression = environment.compile(source, VARIABLES)
    values = {"x": x, "y": y}
    expected = cel_says(environment, expression, values)
    evaluator = Evaluator(environment, dict(values))
    got = evaluator.test(expression, policy="p", rule="r", default=False)
    if expected == "error" and backend == "celpy":
        # cel-python's && and || do not absorb an error of a field read on a string, nor one
        # raised inside a function given another kind (``startsWith`` on a bool); CEL's do
        # (``error && false`` is false), as cel-expr-python's: the engine may answer as they do
        spec = _environment("cel-expr")
        answer = cel_says(spec, spec.compile(source, VARIABLES), values)
        assert (got is answer and not evaluator.errors) or (got is False and evaluator.errors)
    elif expected in ("error", "not bool"):
        assert got is False and evaluator.errors  # CEL ran, and its error was recorded
    else:
        assert got is expected and not evaluator.errors


@pytest.mark.parametrize(
    "source",
    [
        'ticket.custom_fields.product.title != "Pro"',
        "ticket.custom_fields.product.title",
        '"x" in ticket.custom_fields.product.split',
        'ticket.custom_fields.plan.__doc__ != "x"',
    ],
)
def test_a_path_through_a_custom_field_string_is_a_rule_error(source: str) -> None:
    """Not a Python attribute of the string (a TypeError took the whole decision to the fallback)."""
    from serviceflow.policy.samples import NOW, sample_case, sample_ticket
    from serviceflow.policy.scopes import CASE

    ticket = sample_ticket().model_copy(update={"custom_fields": {"plan": "enterprise", "product": "pro"}})
    values = {"ticket": ticket, "event": None, "case": sample_case(), "now": NOW}
    evaluator = Evaluator(env, dict(values))
    assert evaluator.test(env.compile(source, CASE), policy="p", rule="r", default=False) is False
    assert len(evaluator.errors) == 1


#: Text of any code points (NUL, combining marks, astral ones), some with a lone surrogate
#: (which cel-expr-python cannot take: CEL must say), and values of other kinds.
TEXT = st.text(st.characters(), max_size=8)
BODIES = st.one_of(
    TEXT,
    st.sampled_from(["#promise refund", "#promise refund now", "e\u0301t\u00e9", "\U0001f600x", "a\x00b"]),
    st.tuples(TEXT, st.sampled_from(["\ud800", "\udfff"]), TEXT).map("".join),
    st.none(),
    st.integers(-2, 2),
    st.booleans(),
    st.lists(TEXT, max_size=2),
    st.dictionaries(st.sampled_from(["a", "#"]), TEXT, max_size=2),
)


@pytest.mark.parametrize("backend", ["celpy", "cel-expr"])
@settings(max_examples=500, deadline=None)
@given(method=st.sampled_from(["startsWith", "endsWith", "contains"]), body=BODIES, data=st.data())
def test_a_string_test_of_a_literal_answers_as_cel_does(
    backend: str, method: str, body: Any, data: st.DataObject
) -> None:
    """``x.body.startsWith("...")`` (``endsWith``, ``contains``) runs no CEL on a string, and
    answers as CEL; on anything else CEL runs as before, its error recorded with its own text."""
    if isinstance(body, str) and data.draw(st.booleans()):  # a piece of the body, to match often
        start = data.draw(st.integers(0, len(body)))
        literal = body[start : data.draw(st.integers(start, len(body)))]
    else:
        literal = data.draw(st.one_of(TEXT, st.sampled_from(["#promise", "\u0301", "\U0001f600"])))
    assume(not any(char in literal for char in '"\\\n\r'))  # written as it is, without escapes
    evaluator = _answered_as_cel(backend, f'x.body.{method}("{literal}")', body)
    if type(body) is str and _whole(body) and _whole(literal):
        assert evaluator.counter[0] == 0  # decided without CEL


#: Patterns in RE2's syntax as a policy writes them (no escapes), a few RE2 refuses ("(", a
#: repeat over 1,000, a backreference-like group), and pieces of the body drawn below.
PATTERNS = st.sampled_from(
    ["(?i)refund|charged|invoice", "^#promise", "refund$", "^.$", ".{2}", "[^a]", "(?i)ÉtÉ",
     "[[:alpha:]]+", "(?s)a.b", "a.b", "^$", "", "(?i)😀", "é", "x*", "(", "a{1001}",
     "(?P<n>a)(?P=n)", "[z-a]", "(?i)ss", "ß"]
)  # fmt: skip


@pytest.mark.parametrize("backend", ["celpy", "cel-expr"])
@settings(max_examples=500, deadline=None)
@given(body=BODIES, data=st.data())
def test_a_match_of_a_literal_pattern_answers_as_cel_does(
    backend: str, body: Any, data: st.DataObject
) -> None:
    """``x.body.matches("...")`` runs no CEL on a whole string (RE2's search, the pattern compiled
    once), and answers as CEL; on anything else, or a pattern RE2 refuses, CEL runs as before."""
    if isinstance(body, str) and data.draw(st.booleans()):  # a piece of the body, to match often
        start = data.draw(st.integers(0, len(body)))
        pattern = body[start : data.draw(st.integers(start, len(body)))]
    else:
        pattern = data.draw(PATTERNS)
    assume(not any(char in pattern for char in '"\\\n\r'))  # written as it is, without escapes
    evaluator = _answered_as_cel(backend, f'x.body.matches("{pattern}")', body)
    if type(body) is str and _whole(body) and _whole(pattern) and regex_problem(pattern) is None:
        assert evaluator.counter[0] == 0  # decided without CEL


def _unplaced(message: str) -> str:
    """An error's text without the objects' addresses (``<... object at 0x7f...>``)."""
    return re.sub(r"0x[0-9a-f]+", "0x", message)


def _whole(text: str) -> bool:
    """cel-expr-python reads a string up to its first NUL, and fails on a lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _answered_as_cel(backend: str, source: str, body: Any) -> Evaluator:
    """Compile ``source`` (a source this backend's parser refuses, e.g. a lone surrogate or a bad
    pattern, is no policy: the example is dropped), evaluate it with CEL, and check that the
    engine's Evaluator answers the same: the same boolean, or False with CEL's own error recorded
    (cel-python's messages name objects, so compared without their places). Returns the evaluator."""
    environment = _environment(backend)
    try:
        expression = environment.compile(source, VARIABLES)
    except (CelError, TypeError):  # cel-expr-python: TypeError for a lone surrogate in the source
        assume(False)
        raise
    values: dict[str, Any] = {"x": {} if body is None else {"body": body}, "y": {}}
    try:
        expected: Any = expression.evaluate(environment.activation(values))
    except CelEvaluationError as exc:
        expected = exc.message
    evaluator = Evaluator(environment, dict(values))
    got = evaluator.test(expression, policy="p", rule="r", default=False)
    if isinstance(expected, bool):
        assert got is expected and not evaluator.errors
    else:  # CEL ran, as before, and its error is what was recorded
        assert got is False and [_unplaced(e.message) for e in evaluator.errors] == [_unplaced(expected)]
    return evaluator
