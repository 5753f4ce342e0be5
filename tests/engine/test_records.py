"""Records built without validation are the ones validation builds (serviceflow.engine.records).

Every record a decision makes is built both ways and compared (``==``, ``model_dump_json()``
byte for byte, the type of each field and of each tuple item) over the shipped scenarios and
the engine benchmark's workload; whole decisions are also made in both modes and their states,
actions and decisions compared byte for byte. tests/engine/conftest.py checks every other
engine test likewise.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from engine_support import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.engine import records, timers
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.records import record
from serviceflow.engine.rules import Rules
from serviceflow.model import CaseState, Pause, TargetKind, TargetState
from serviceflow.policy import load_policy_set
from serviceflow.scenarios.suite import load_scenarios, run_suite

BENCHMARKS = REPO / "benchmarks"


def shipped_rules() -> Rules:
    """A fresh copy (its own result cache) of the shipped policy set."""
    return Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))


def _bench_engine() -> Any:
    sys.path.insert(0, str(BENCHMARKS))  # bench_engine imports its neighbours by name
    try:
        spec = importlib.util.spec_from_file_location(
            "serviceflow_bench_engine", BENCHMARKS / "bench_engine.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture
def checking() -> Iterator[None]:
    before = records.mode
    records.mode = "check"
    records.differences.clear()
    records.compared[0] = 0
    yield
    records.mode = before
    records.differences.clear()  # what a test here made on purpose


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the wrong records, on purpose
def test_the_check_finds_what_validation_would_convert(checking: None) -> None:
    """What the check is for: an int where validation makes a float, a str for an enum."""
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    fields: dict[str, Any] = {"id": "p/r#1", "name": "r", "policy": "p", "started_at": now}
    record(TargetState, kind=TargetKind.TARGET, total_seconds=14400, **fields)
    record(TargetState, kind="target", total_seconds=14400.0, **fields)
    record(Pause, start=now.isoformat())
    assert len(records.differences) == 3, records.differences
    assert "total_seconds: <class 'int'> where validation makes <class 'float'>" in records.differences[0]
    assert "kind: <class 'str'> where validation makes <enum 'TargetKind'>" in records.differences[1]
    records.differences.clear()
    record(TargetState, kind=TargetKind.TARGET, total_seconds=14400.0, **fields)
    assert records.differences == []


def test_every_shipped_scenario_records_as_validation_would(checking: None) -> None:
    scenarios, problems = load_scenarios([REPO / "policies"])
    assert not problems
    suite = run_suite(scenarios, shipped_rules())
    assert suite.failed == 0 and len(suite.results) == len(scenarios) > 0
    assert records.differences == []
    assert records.compared[0] > 300  # targets, pauses, actions, decisions: all compared


def test_the_engine_benchmark_records_as_validation_would(checking: None) -> None:
    bench = _bench_engine()
    states: dict[str, Any] = {}
    rules, context = shipped_rules(), Context(roster=bench.ROSTER)
    for ticket_id, engine_input, now in bench.workload(60):
        state = states.get(ticket_id)
        if state is None and not isinstance(engine_input, EventInput):
            continue
        states[ticket_id] = decide(state, engine_input, now, rules, context).state
    assert records.differences == []
    assert records.compared[0] > 1_000


def test_decisions_are_byte_for_byte_those_made_with_validation() -> None:
    """The benchmark's workload decided twice, records validated and not: every state, action
    and decision serializes to the same bytes."""
    bench = _bench_engine()
    inputs = bench.workload(60)

    def decided(mode: str) -> list[str]:
        records.mode = mode  # type: ignore[assignment]
        try:
            rules, context, states, out = shipped_rules(), Context(roster=bench.ROSTER), {}, []
            for ticket_id, engine_input, now in inputs:
                state = states.get(ticket_id)
                if state is None and not isinstance(engine_input, EventInput):
                    continue
                outcome = decide(state, engine_input, now, rules, context)
                states[ticket_id] = outcome.state
                out.append(outcome.state.model_dump_json())
                out.extend(a.model_dump_json() for a in outcome.actions)
                out.append(outcome.decision.model_dump_json() if outcome.decision else "-")
            return out
        finally:
            records.mode = "fast"

    fast, validated = decided("fast"), decided("validate")
    assert len(fast) == len(validated) > 1_000
    assert fast == validated


ELAPSED = BusinessCalendar.always_open()  # elapsed time: what started() needs of a calendar


@settings(max_examples=200, deadline=None)
@given(
    total=st.one_of(st.integers(1, 10**8), st.floats(1.0, 1e8)),
    at_risk=st.one_of(st.none(), st.integers(0, 1), st.floats(0.0, 1.0)),
    cycle=st.integers(1, 50),
    minutes=st.integers(0, 10**6),
    calendar_name=st.one_of(st.none(), st.text(max_size=8)),
    detail=st.text(max_size=20),
)
def test_a_started_target_is_the_validated_one(
    total: float, at_risk: float | None, cycle: int, minutes: int, calendar_name: str | None, detail: str
) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(minutes=minutes)
    fields: dict[str, Any] = {
        "id": f"p/r#{cycle}",
        "name": "r",
        "policy": "p",
        "kind": TargetKind.TARGET,
        "start": start,
        "due": start + timedelta(seconds=total),
        "total": total,
        "calendar_name": calendar_name,
        "calendar": ELAPSED,
        "at_risk": at_risk,
        "escalation": None,
        "detail": detail,
        "cycle": cycle,
    }
    built = timers.started(**fields)
    validated = TargetState(
        id=fields["id"],
        name="r",
        policy="p",
        kind=TargetKind.TARGET,
        calendar=calendar_name,
        started_at=start,
        total_seconds=total,
        due_at=fields["due"],
        at_risk=at_risk,
        warn_at=built.warn_at,
        detail=detail,
        cycle=cycle,
        assignee=None,
        escalation=None,
    )
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert TargetState.model_validate_json(built.model_dump_json()) == built


def test_every_record_the_shipped_scenarios_make_is_built_directly() -> None:
    scenarios, problems = load_scenarios([REPO / "policies" / "scenarios"])
    assert scenarios and not problems
    run_suite(scenarios, shipped_rules())
    built = list(records._TEMPLATES)
    assert len(built) >= 5 and all(records.direct(cls) for cls in built), [
        cls.__name__ for cls in built if not records.direct(cls)
    ]


def test_a_class_validation_could_make_otherwise_is_validated() -> None:
    """A validator, a default factory or private attributes added to a record class later: the
    class is validated, never built around them (and never an error inside a decision)."""
    from pydantic import BaseModel, Field, PrivateAttr, field_validator

    class Upper(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def upper(cls, value: str) -> str:
            return value.upper()

    class Listed(BaseModel):
        names: list[str] = Field(default_factory=list)

    class Private(BaseModel):
        name: str
        _seen: int = PrivateAttr(default=0)

    assert record(Upper, name="ann").name == "ANN"
    assert record(Listed).names == [] and record(Listed).names is not record(Listed).names
    assert record(Private, name="ann")._seen == 0
    assert not any(records.direct(cls) for cls in (Upper, Listed, Private))


def test_an_update_of_fields_set_already_shares_the_set_and_no_copy_changes_it() -> None:
    """``updated`` keeps the fields-set of its model when the changes are of fields set already
    (no new set per copy); pydantic's own copies copy the set before they add to it."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    target = timers.started(
        id="p/r#1", name="r", policy="p", kind=TargetKind.TARGET, start=start,
        due=start + timedelta(hours=4), total=14400.0, calendar_name=None, calendar=ELAPSED,
        at_risk=None, escalation=None,
    )  # fmt: skip
    again = records.updated(target, {"due_at": start + timedelta(hours=5)})
    assert again.model_fields_set == target.model_fields_set
    more = records.updated(again, {"warned": True})
    copied = again.model_copy(update={"level": 2})
    assert "warned" in more.model_fields_set and "level" in copied.model_fields_set
    assert "warned" not in again.model_fields_set and "level" not in again.model_fields_set
    assert target.model_fields_set == again.model_fields_set


def test_an_update_that_sets_more_fields_gets_the_shared_union_as_model_copy_does() -> None:
    """An update of fields not set yet gets the shared set of the union (found once for that
    set and those fields, then remembered), equal to what ``model_copy`` gives; a set that is
    not one of the shared ones is never remembered by its id."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    target = timers.started(
        id="p/r#2", name="r", policy="p", kind=TargetKind.TARGET, start=start,
        due=start + timedelta(hours=4), total=14400.0, calendar_name=None, calendar=ELAPSED,
        at_risk=None, escalation=None,
    )  # fmt: skip
    changes = {"warned": True, "level": 1}
    first, second = records.updated(target, changes), records.updated(target, dict(changes))
    assert first.model_fields_set is second.model_fields_set  # one shared set, remembered
    assert first.model_fields_set == target.model_copy(update=changes).model_fields_set
    assert "warned" not in target.model_fields_set  # the model's own set is not changed
    more = {"warned": True, "escalation": "x"}
    assert records.updated(target, more).model_fields_set == target.model_copy(update=more).model_fields_set
    # A model with a set of its own (validated, not built here): its id is not a key.
    validated = TargetState.model_validate(target.model_dump())
    assert (
        records.updated(validated, changes).model_fields_set
        == validated.model_copy(update=changes).model_fields_set
    )
    own = id(validated.model_fields_set)
    assert not any(key[0] == own for key in records._UNIONS)


def test_a_new_case_built_past_its_validators_is_the_validated_one(checking: None) -> None:
    """CaseState's validators only bring older stored forms up to date, so a new case (a
    validated ticket and time, a version) built directly is the validated one: equal, the same
    JSON, fields set and field types (the check); a class with private attributes or default
    factories is still validated."""
    from pydantic import BaseModel, Field, PrivateAttr

    bench = _bench_engine()
    for _, engine_input, _ in bench.workload(5)[:12]:
        if not isinstance(engine_input, EventInput):
            continue
        event = engine_input.event
        fields = {"case_id": event.ticket.key, "ticket": event.ticket, "opened_at": event.time}
        for version in ("v-1", None):
            built = records.record_past_validators(CaseState, **fields, policy_version=version)
            assert built == CaseState(**fields, policy_version=version)
    assert records.compared[0] > 0 and records.differences == []

    class Listed(BaseModel):
        names: list[str] = Field(default_factory=list)

    class Private(BaseModel):
        name: str
        _seen: int = PrivateAttr(default=0)

    listed = records.record_past_validators(Listed)
    assert listed.names == [] and listed.names is not records.record_past_validators(Listed).names
    assert records.record_past_validators(Private, name="ann")._seen == 0
