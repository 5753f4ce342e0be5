"""The static checker: what it refuses, where it points, and what it infers."""

from __future__ import annotations

import pytest

from serviceflow.cel import CelEnvironment
from serviceflow.policy.scopes import SCOPES

env = CelEnvironment()


def problems(source: str, scope: str = "case") -> list[tuple[int, int, str]]:
    result = env.check(source, SCOPES[scope])
    return [(p.line, p.column, p.message) for p in result.problems]


def inferred(source: str, scope: str = "case") -> str:
    result = env.check(source, SCOPES[scope])
    assert not result.problems, result.problems
    return result.type.name


@pytest.mark.parametrize(
    ("source", "type_name"),
    [
        ('ticket.status == "open"', "bool"),
        ("now - ticket.created_at", "duration"),
        ("ticket.created_at + hours(1)", "timestamp"),
        ("ticket.subject", "string"),
        ("size(ticket.tags)", "int"),
        ("ticket.tags", "list(string)"),
        ('ticket.tags.exists(t, t == "vip")', "bool"),
        ("ticket.custom_fields.order_id", "dyn"),
        ('ticket.priority == "high" ? hours(1) : hours(2)', "duration"),
        ("!has(ticket.assignee)", "bool"),
        ("agent.open_cases < 10", "bool"),
    ],
)
def test_inferred_types(source: str, type_name: str) -> None:
    assert inferred(source, "agent") == type_name


def test_macro_variables_are_in_scope_and_typed() -> None:
    assert problems('ticket.tags.all(tag, tag.startsWith("x"))') == []
    assert problems('case.targets.exists(t, t.staus == "breached")') == [
        (
            1,
            26,
            "unknown field 'staus' of TargetView (did you mean 'status'?); "
            "fields: name, kind, status, due_at",
        )
    ]


def test_unknown_function_and_method() -> None:
    assert problems("lowr(ticket.subject)")[0][:2] == (1, 1)
    assert "unknown function 'lowr' (did you mean 'lower'?)" in problems("lowr(ticket.subject)")[0][2]
    assert problems("ticket.subject.lower()") == [(1, 16, "unknown method 'lower'; call it as lower(x, ...)")]


def test_wrong_argument_count_and_type() -> None:
    assert problems("hours()") == [(1, 1, "hours() takes 1 argument(s), got 0: hours(4): a duration")]
    assert problems('hours("4")') == [(1, 7, "argument 1 of hours() must be int, not string")]


def test_variables_depend_on_the_scope() -> None:
    assert problems("agent.out_of_office", "case")[0][2].startswith("unknown name 'agent'")
    assert problems("other.owner == case.owner", "same_case")[0][2].startswith("unknown name 'case'")
    assert problems('remedy.kind == "refund" && remedy.amount < 50.0', "remedy") == []


def test_lists_have_no_contains() -> None:
    assert problems('ticket.tags.contains("vip")') == [(1, 13, "lists have no contains(); write 'x in list'")]


def test_selecting_a_field_of_a_scalar() -> None:
    assert problems("ticket.subject.length") == [(1, 16, "cannot select field 'length' of a string")]


def test_has_needs_a_field_selection() -> None:
    assert problems("has(ticket)") == [(1, 1, "has() takes a field selection, e.g. has(ticket.assignee)")]
    assert problems("has(ticket.asignee)")[0][2].startswith("unknown field 'asignee'")


@pytest.mark.parametrize(
    "source",
    [
        'ticket == other_ticket && ticket.subject != ""',  # the whole ticket read first
        'ticket.subject != "" && ticket == other_ticket',  # and last
    ],
)
def test_a_variable_read_whole_and_by_field_stays_a_whole_reference(source: str) -> None:
    """The engine keys its result cache on the references: an expression that reads `ticket`
    whole depends on all of it, not only on the field it also selects."""
    references = env.check(source, SCOPES["same_case"]).references
    assert "ticket" in references and "ticket.subject" in references, references


def test_a_field_path_references_only_its_leaf() -> None:
    references = env.check('ticket.requester.email == "a@b.c"', SCOPES["case"]).references
    assert references == {"ticket.requester.email"}
