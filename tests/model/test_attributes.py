"""The domain models' plain attribute reads (model/attributes.py): the lookup is CPython's
generic one where that changes nothing, and reads, misses and pydantic's own attributes behave
as with pydantic's ``__getattr__``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

from serviceflow.engine.inputs import Context, EventInput
from serviceflow.model import CaseState, Requester, TargetState, Ticket, TicketEvent
from serviceflow.model.attributes import has_plain_reads, plain_reads, qualifies
from serviceflow.model.ticket import Model

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_engines_models_read_plainly() -> None:
    for cls in (TargetState, CaseState, Ticket, TicketEvent, EventInput, Context):
        assert has_plain_reads(cls), cls


def test_reads_and_misses_are_pydantics() -> None:
    ticket = Ticket(
        id="1", vendor="zendesk", account="a", subject="s", requester=Requester(id="c1"),
        created_at=AT, updated_at=AT,
    )  # fmt: skip
    assert ticket.subject == "s" and ticket.__dict__["subject"] == "s"
    assert ticket.model_fields_set >= {"id", "subject"}
    assert getattr(ticket, "nothing", 7) == 7 and not hasattr(ticket, "nothing")
    with pytest.raises(AttributeError, match="^'Ticket' object has no attribute 'nothing'$"):
        ticket.nothing  # noqa: B018
    assert Ticket.model_validate_json(ticket.model_dump_json()) == ticket
    assert ticket.model_copy(update={"subject": "t"}).subject == "t"


class _Private(BaseModel):
    model_config = ConfigDict(frozen=True)
    _note: str = PrivateAttr(default="kept")


class _Extra(BaseModel):
    model_config = ConfigDict(extra="allow")


def test_models_that_need_the_hook_keep_it() -> None:
    assert not qualifies(_Private) and not plain_reads(_Private) and not has_plain_reads(_Private)
    assert _Private()._note == "kept"
    assert not plain_reads(_Extra) and _Extra(colour="red").colour == "red"  # type: ignore[attr-defined]


def test_a_derived_model_with_private_attributes_keeps_the_hook() -> None:
    class Derived(TargetState):
        _seen: int = PrivateAttr(default=3)

    assert not has_plain_reads(Derived)
    derived = Derived(
        id="p/first_reply", name="first_reply", policy="p", kind="target", started_at=AT, total_seconds=60.0
    )
    assert derived._seen == 3 and derived.name == "first_reply"


def test_models_elsewhere_are_left_as_they_are() -> None:
    class Elsewhere(Model):
        x: int = 1

    assert Elsewhere.__module__ == __name__ and not has_plain_reads(Elsewhere)
    assert Elsewhere().x == 1
