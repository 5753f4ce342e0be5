"""The decide activity answers a workflow that keeps its state as JSON (``case-in-decide``,
durable/compact.py) with the same state it gives one that keeps models, and still takes the
old request (a case started before the change, deciding after an upgrade); and it carries out
the decision's actions where it may."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from durable_support import ROSTER, FakeHelpdesk, outcomes_in
from test_case_workflow import event

from serviceflow.durable import activities as activities_module
from serviceflow.durable.activities import CaseActivities, carried_here
from serviceflow.durable.compact import packed, unpacked, view_of, with_read
from serviceflow.durable.messages import DecideRequest
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.ui_text import current_details, timer_summary
from serviceflow.engine.inputs import EventInput
from serviceflow.model import CaseState, LinkCase, Notify
from serviceflow.model.case import ActionRecord

REPO = Path(__file__).resolve().parents[2]


def activities(outcomes: Path | None = None) -> CaseActivities:
    """The worker's activities; with the outcome store in ``outcomes``, if given."""
    found = CaseActivities(PolicyStore([REPO / "policies", REPO / "workflows"]), ROSTER)
    found.outcomes = outcomes_in(outcomes) if outcomes is not None else None
    return found


async def test_both_shapes_of_a_decision_give_the_same_state() -> None:
    decide = activities().decide
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j1"))
    old = await decide(DecideRequest(state=None, input=opened, now=now))
    new = await decide(DecideRequest(state=None, input=opened, now=now, compact=True, read_outcome="read"))
    assert new.state is None and new.state_json is not None and new.view is not None
    assert CaseState.model_validate_json(new.state_json) == with_read(old.case(), "read", ())
    assert new.actions == old.to_do() and new.decided and new.wake_at == old.wake_at
    assert new.view == view_of(with_read(old.case(), "read", ()), old.wake_at)
    assert new.view.details == current_details(old.case(), old.wake_at)
    assert old.wake_at is not None and new.view.wake_summary == timer_summary(old.case(), old.wake_at)

    # The next input: the workflow's action records go with the JSON, as _current() put them.
    done = ActionRecord(key=old.to_do()[0].key, type="assign_owner", outcome="done", at=now)
    later = EventInput(event=event("customer_message", now, "customer", "j2", body="Hello?"))
    state = old.case().model_copy(update={"actions_done": (done,)})
    old2 = await decide(DecideRequest(state=state, input=later, now=now))
    new2 = await decide(
        DecideRequest(
            state=None, input=later, now=now, compact=True, state_json=new.state_json, actions_done=[done]
        )
    )
    assert new2.state_json is not None
    assert json.loads(new2.state_json) == json.loads(
        with_read(old2.case(), "read", ()).model_dump_json()
    )  # the first read's note stays


async def test_a_packed_request_is_answered_with_the_same_state_packed() -> None:
    """``state-packed``: the state sent packed and answered packed, the same state as JSON gives;
    a request that is not packed is answered with JSON, as before (runs recorded before)."""
    decide = activities().decide
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j7"))
    plain = await decide(DecideRequest(state=None, input=opened, now=now, compact=True))
    small = await decide(DecideRequest(state=None, input=opened, now=now, compact=True, packed=True))
    assert plain.state_json is not None and plain.state_json.startswith("{")
    assert small.state_json is not None and unpacked(small.state_json) == plain.state_json
    assert len(small.state_json) < len(plain.state_json) / 2
    assert small.view == plain.view and small.actions == plain.actions
    later = EventInput(event=event("customer_message", now, "customer", "j8", body="Hello?"))
    plain2 = await decide(
        DecideRequest(state=None, input=later, now=now, compact=True, state_json=plain.state_json)
    )
    small2 = await decide(
        DecideRequest(
            state=None, input=later, now=now, compact=True, state_json=small.state_json, packed=True
        )
    )
    assert small2.state_json is not None and unpacked(small2.state_json) == plain2.state_json
    assert packed(unpacked(small2.state_json)) == small2.state_json  # the same text, packed again


async def test_a_decision_without_the_ticket_read_says_so_in_its_notes() -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j3"))
    request = DecideRequest(
        state=None, input=opened, now=now, compact=True,
        read_outcome="failed: 503", read_missing=["recipient"],
    )  # fmt: skip
    result = await activities().decide(request)
    assert result.state_json is not None and result.view is not None
    state = CaseState.model_validate_json(result.state_json)
    assert state.ticket_read == "failed: 503" and result.view.ticket_read == "failed: 503"
    assert "recipient unknown" in state.decisions[-1].notes[-1]


async def test_the_decide_activity_carries_out_the_decisions_actions_once(
    helpdesk: FakeHelpdesk, tmp_path: Path
) -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j4"))
    request = DecideRequest(state=None, input=opened, now=now, compact=True, act=True, record=True)
    result = await activities(tmp_path).decide(request)
    assert result.recorded and [a.type for a in result.actions] == ["assign_owner"]
    assert [d.outcome for d in result.done] == ["done"]
    assert [a.key for a in helpdesk.applied] == [result.actions[0].key]


async def test_a_decision_the_store_did_not_take_leaves_its_actions_to_the_workflow(
    helpdesk: FakeHelpdesk,
) -> None:
    """The workflow records it (record_outcomes) before it carries them out, as before."""
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j6"))
    request = DecideRequest(state=None, input=opened, now=now, compact=True, act=True, record=True)
    result = await activities().decide(request)  # no outcome store on this worker
    assert not result.recorded and result.done == [] and helpdesk.applied == []


async def test_an_action_that_fails_in_the_decide_activity_is_left_to_the_workflow(
    helpdesk: FakeHelpdesk, tmp_path: Path
) -> None:
    helpdesk.fail_first_attempt_after_writing = True
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j5"))
    request = DecideRequest(state=None, input=opened, now=now, compact=True, act=True, record=True)
    result = await activities(tmp_path).decide(request)
    assert result.done == [] and [a.type for a in result.actions] == ["assign_owner"]  # carry_out's


async def test_a_write_started_in_the_decide_activity_runs_to_its_end_past_the_budget(
    helpdesk: FakeHelpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget says when an action may still start there; one started is never cancelled in
    flight for its sake (a cancelled write may reach the helpdesk and be written again)."""
    monkeypatch.setattr(activities_module, "ACT_IN_DECIDE_SECONDS", 0.5)
    helpdesk.slow = 1.0  # the write runs past the budget
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j7"))
    request = DecideRequest(state=None, input=opened, now=now, compact=True, act=True, record=True)
    worker = activities(tmp_path)
    # Loaded (and compiled) as the worker starts, not within the budget: run first or alone, the
    # load took the whole budget and the write was never started here.
    worker.store.current()
    result = await worker.decide(request)
    assert [d.outcome for d in result.done] == ["done"] and len(helpdesk.applied) == 1


async def test_an_action_due_to_start_past_the_budget_is_left_to_the_workflow(
    helpdesk: FakeHelpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activities_module, "ACT_IN_DECIDE_SECONDS", 0.0)
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    opened = EventInput(event=event("created", now, "customer", "j8"))
    request = DecideRequest(state=None, input=opened, now=now, compact=True, act=True, record=True)
    result = await activities(tmp_path).decide(request)
    assert result.recorded and result.done == [] and helpdesk.applied == []
    assert [a.type for a in result.actions] == ["assign_owner"]  # carry_out's


def test_what_the_decide_activity_may_carry_out() -> None:
    notify = Notify(key="n", reason="w", policy="p", rule="r", recipients=("owner",), subject="s", body="b")
    assert carried_here(notify)
    assert carried_here(notify.model_copy(update={"channels": ("helpdesk", "slack:leads")}))
    assert not carried_here(notify.model_copy(update={"channels": ("slack:leads",)}))
    assert not carried_here(
        LinkCase(key="l", reason="w", policy="p", rule="r", case_id="demo:demo:1", ticket_key="k")
    )
