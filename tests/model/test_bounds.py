"""The domain model refuses at parse what no case can hold: ids that alias or break a case id or a
visibility query, times outside the fixed window, custom fields nested without end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.model import Actor, ActorRole, EventKind, Requester, Ticket, TicketEvent
from serviceflow.model.bounds import EARLIEST, LATEST, MAX_FIELD_DEPTH

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
BOUNDED = settings(max_examples=200, deadline=None)


def ticket(**changes: Any) -> Ticket:
    data: dict[str, Any] = {
        "id": "1042", "vendor": "zendesk", "account": "acme", "requester": {"id": "77"},
        "created_at": NOW, "updated_at": NOW, **changes,
    }  # fmt: skip
    return Ticket.model_validate(data)


def field_of(error: pydantic.ValidationError) -> str:
    return ".".join(str(part) for part in error.errors()[0]["loc"])


@pytest.mark.parametrize(
    "bad",
    ["", "٤", "4\x00", "4\n", "a/b", "..", "../etc", "a\\b", "4:5", " 4", "🎫", "x" * 129, "-4", "4 5"],
)
def test_ticket_ids_outside_the_safe_set_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        ticket(id=bad)
    assert field_of(caught.value) == "id"


@pytest.mark.parametrize("good", ["4", "04", "1042", "quarantine-17", "recovered-x", "a.b_c~d-e", "x" * 128])
def test_ticket_ids_in_the_safe_set_are_kept_as_given(good: str) -> None:
    assert ticket(id=good).id == good


@given(st.text(max_size=140))
@BOUNDED
def test_a_ticket_id_is_accepted_exactly_when_it_is_unreserved_ascii(text: str) -> None:
    expected = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}", text) is not None
    try:
        built = ticket(id=text)
    except pydantic.ValidationError:
        assert not expected
    else:
        assert expected and built.key == f"zendesk:acme:{text}" and built.key.count(":") == 2


@pytest.mark.parametrize(
    "bad", ['x" OR WorkflowType = "Case', "a b", "it's", "a\\b", "", "\n", "é", "x" * 255]
)
def test_requester_ids_that_could_break_a_query_are_refused(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Requester(id=bad)
    assert field_of(caught.value) == "id"


def test_an_email_is_a_requester_id() -> None:
    assert Requester(id="dana+orders@customer.example").id == "dana+orders@customer.example"


@pytest.mark.parametrize(("name", "value"), [("account", "a:b"), ("account", ""), ("vendor", "Zen desk")])
def test_accounts_and_vendors_are_bounded(name: str, value: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        ticket(**{name: value})
    assert field_of(caught.value) == name


@pytest.mark.parametrize(
    "when",
    [datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), LATEST, EARLIEST - timedelta(seconds=1),
     datetime(1, 1, 1, tzinfo=UTC)],
)  # fmt: skip
@pytest.mark.parametrize("name", ["created_at", "updated_at"])
def test_ticket_times_outside_the_window_are_refused(name: str, when: datetime) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        ticket(**{name: when})
    assert field_of(caught.value) == name


def test_an_event_time_outside_the_window_is_refused_and_inside_is_kept() -> None:
    common: dict[str, Any] = {
        "id": "e1", "kind": EventKind.CREATED, "actor": Actor(role=ActorRole.CUSTOMER), "ticket": ticket(),
    }  # fmt: skip
    assert TicketEvent(time=EARLIEST, **common).time == EARLIEST
    with pytest.raises(pydantic.ValidationError) as caught:
        TicketEvent(time="9999-12-31T23:59:59Z", **common)
    assert field_of(caught.value) == "time"


@pytest.mark.parametrize("bad", ["", "e\x00", "e\n1", "x" * 513, "\ud800"])
def test_event_ids_are_bounded(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        TicketEvent(
            id=bad, kind=EventKind.CREATED, time=NOW, actor=Actor(role=ActorRole.AGENT), ticket=ticket()
        )
    assert field_of(caught.value) == "id"


def test_custom_fields_nest_only_so_deep() -> None:
    nested: Any = "leaf"
    for _ in range(MAX_FIELD_DEPTH):
        nested = [nested]
    assert ticket(custom_fields={"f": nested[0]}).custom_fields["f"] == nested[0]
    with pytest.raises(pydantic.ValidationError) as caught:
        ticket(custom_fields={"f": [nested]})
    assert field_of(caught.value) == "custom_fields"
