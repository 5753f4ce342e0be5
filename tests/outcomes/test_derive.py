"""derive(): the rows of each decision, found in what the engine's state says, once each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outcomes_support import CONTEXT, MONDAY, POLICY, event, hours, run, ticket

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import EngineInput, EventInput, LinkContact, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import (
    CaseState,
    Decision,
    LinkCase,
    TargetKind,
    TargetState,
    TargetStatus,
    TicketKind,
)
from serviceflow.outcomes import OutcomeKind, derive, tally
from serviceflow.policy import load_policy_set

K = OutcomeKind


def story() -> list[tuple[EngineInput, datetime]]:
    """Opened 09:00; warned 10:30; breached 11:00 (level 1); a refund promised 11:30; the reply,
    with the refund, 12:00; solved 13:00."""
    return [
        (event("created", MONDAY), MONDAY),
        (WakeUp(), MONDAY + hours(1.5)),
        (WakeUp(), MONDAY + hours(2)),
        (event("internal_note", MONDAY + hours(2.5), body="refund by tomorrow"), MONDAY + hours(2.5)),
        (event("agent_reply", MONDAY + hours(3), body="refunded"), MONDAY + hours(3)),
        (event("status_changed", MONDAY + hours(4), status="solved"), MONDAY + hours(4)),
    ]


def test_a_case_story_gives_one_row_per_fact_at_its_time(rules: Rules) -> None:
    rows = run(rules, story())
    got = [(r.kind, (r.at - MONDAY) / hours(1), r.seconds, r.level) for r in rows]
    assert got == [
        (K.ACTION_DONE, 0.0, None, None),  # the owner assigned
        (K.WARNING_SENT, 1.5, 5400.0, None),
        (K.ACTION_DONE, 1.5, None, None),  # the warning itself
        (K.TARGET_BREACHED, 2.0, 7200.0, None),
        (K.ESCALATION, 2.0, 7200.0, 1),
        (K.ACTION_DONE, 2.0, None, 1),  # the escalation's notification
        (K.TARGET_MET_LATE, 3.0, 10800.0, None),
        (K.PROMISE_KEPT, 3.0, 1800.0, None),
        (K.FIRST_RESPONSE, 3.0, 10800.0, None),
        (K.RESOLVED, 4.0, 14400.0, None),
    ]
    assert {r.team for r in rows} == {"frontline"} and {r.agent for r in rows} == {"cat"}
    assert [r.detail for r in rows if r.kind is K.ACTION_DONE] == ["assign_owner", "notify", "notify"]
    target_rows = [r for r in rows if r.target == "reply"]
    assert {(r.policy, r.target_id) for r in target_rows} == {("simple", "simple/reply#1")}
    assert len({r.key for r in rows}) == len(rows)
    assert not any(r.would_have for r in rows)


def test_shadow_mode_marks_every_row_would_have(rules: Rules) -> None:
    rows = run(rules, story(), shadow=True)
    assert rows and all(r.would_have for r in rows)
    assert {r.kind for r in rows} & {K.ACTION_DONE, K.ACTION_WOULD_HAVE} == {K.ACTION_WOULD_HAVE}
    live = run(rules, story())
    assert [r.key for r in rows] == [r.key for r in live]  # the same facts, under the same keys


def test_deriving_a_decision_again_gives_the_same_rows(rules: Rules) -> None:
    first = decide(None, story()[0][0], MONDAY, rules, CONTEXT)
    later = decide(first.state, WakeUp(), MONDAY + hours(2), rules, CONTEXT)
    once = derive(first.state, later.state, later.decision)
    assert once == derive(first.state, later.state, later.decision)
    assert derive(later.state, later.state, None) == ()


def test_a_promise_not_kept_in_time_is_missed_not_kept_later(rules: Rules) -> None:
    steps = [
        *story()[:4],
        (WakeUp(), MONDAY + timedelta(days=1, hours=3)),  # a day after the promise: missed
        (
            event("agent_reply", MONDAY + timedelta(days=1, hours=4), body="refunded"),
            MONDAY + timedelta(days=1, hours=4),
        ),
    ]
    kinds = [r.kind for r in run(rules, steps) if r.target == "refund"]
    assert K.PROMISE_MISSED in kinds and K.PROMISE_KEPT not in kinds


def test_a_repeat_contact_joining_is_one_row(rules: Rules) -> None:
    opened = decide(None, story()[0][0], MONDAY, rules, CONTEXT)
    link = LinkContact(ticket_key="demo:demo:2", time=MONDAY + hours(1))
    joined = decide(opened.state, link, MONDAY + hours(1), rules, CONTEXT)
    rows = derive(opened.state, joined.state, joined.decision)
    assert [(r.kind, r.detail) for r in rows] == [(K.REPEAT_CONTACT, "demo:demo:2")]
    again = decide(joined.state, link, MONDAY + hours(1), rules, CONTEXT)
    assert derive(joined.state, again.state, again.decision) == ()


def test_a_repeat_contact_is_one_fact_in_both_cases_it_links(write_policies: Callable[..., Path]) -> None:
    """The second ticket's case links to the first (same_case) and the first takes it in
    (LinkContact): both find the link, and both name it with one key, so it counts once."""
    linking = POLICY + "same_case:\n  when: other_ticket.requester.id == ticket.requester.id\n"
    same = Rules(load_policy_set([write_policies({"simple.yaml": linking})]))
    first = decide(None, story()[0][0], MONDAY, same, CONTEXT)
    second_ticket = ticket(MONDAY + hours(1), id="2", created_at=MONDAY + hours(1))
    created = EventInput(event=story()[0][0].event.model_copy(  # type: ignore[attr-defined]
        update={"id": "created-2", "time": MONDAY + hours(1), "ticket": second_ticket}
    ))  # fmt: skip
    context = CONTEXT.model_copy(update={"open_cases": (first.state,)})
    second = decide(None, created, MONDAY + hours(1), same, context)
    (link,) = [a for a in second.actions if isinstance(a, LinkCase)]
    assert second.state.linked_tickets == (first.state.case_id,)
    contact = LinkContact(ticket_key=link.ticket_key, time=MONDAY + hours(1))
    joined = decide(first.state, contact, MONDAY + hours(1), same, CONTEXT)
    rows = [
        *derive(None, second.state, second.decision),
        *derive(first.state, joined.state, joined.decision),
    ]
    repeats = [r for r in rows if r.kind is K.REPEAT_CONTACT]
    assert len(repeats) == 2  # each case found it ...
    assert {r.key for r in repeats} == {f"{first.state.case_id}|repeat|{second.state.case_id}"}
    assert tally(rows).repeat_contacts == 1  # ... and it is one repeat contact


def _review(
    status: TargetStatus, *, breached: bool, met: bool, name: str = "review", met_hours: float = 3
) -> TargetState:
    return TargetState(
        id=f"quarantine/{name}#1",
        name=name,
        policy="quarantine",
        kind=TargetKind.TARGET,
        status=status,
        started_at=MONDAY,
        total_seconds=4 * 3600,
        due_at=MONDAY + hours(4),
        breached_at=MONDAY + hours(4) if breached else None,
        met_at=MONDAY + hours(met_hours) if met else None,
    )


def _review_case(*targets: TargetState) -> CaseState:
    return CaseState(
        case_id="demo:demo:quarantine-9",
        ticket=ticket(MONDAY, id="quarantine-9", kind=TicketKind.QUARANTINED),
        opened_at=MONDAY,
        targets=targets,
    )


def _decision(at: datetime) -> Decision:
    return Decision(time=at, input="wake-up", policy_version="v1")


def test_quarantined_mail_reviewed_in_time_or_late_is_one_row_per_case() -> None:
    waiting = _review_case(_review(TargetStatus.RUNNING, breached=False, met=False))
    in_time = _review_case(_review(TargetStatus.MET, breached=False, met=True))
    rows = derive(waiting, in_time, _decision(MONDAY + hours(3)))
    assert [r.kind for r in rows] == [K.TARGET_MET, K.QUARANTINE_REVIEWED]
    late_before = _review_case(_review(TargetStatus.BREACHED, breached=True, met=False))
    late = _review_case(
        _review(TargetStatus.MET, breached=True, met=True, met_hours=5),
        _review(TargetStatus.MET, breached=False, met=True, name="last-chance", met_hours=5),
    )
    rows = derive(late_before, late, _decision(MONDAY + hours(5)))
    assert [r.kind for r in rows if r.kind.value.startswith("quarantine")] == [K.QUARANTINE_REVIEWED_LATE]
    assert derive(late, late, _decision(MONDAY + hours(6))) == ()


KINDS = ("customer_message", "agent_reply", "internal_note", "status_changed", "wake")


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[EngineInput, datetime]]:
    steps: list[tuple[EngineInput, datetime]] = [(event("created", MONDAY), MONDAY)]
    at = MONDAY
    for _ in range(draw(st.integers(0, 8))):
        at += timedelta(minutes=draw(st.integers(1, 600)))
        kind = draw(st.sampled_from(KINDS))
        if kind == "wake":
            steps.append((WakeUp(), at))
        elif kind == "status_changed":
            status = draw(st.sampled_from(["open", "pending", "solved"]))
            steps.append((event(kind, at, status=status), at))
        else:
            body = draw(st.sampled_from(["", "refund", "refunded"]))
            steps.append((event(kind, at, body=body), at))
    return steps


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_every_history_gives_each_target_fact_once(
    rules: Rules, steps: list[tuple[EngineInput, datetime]]
) -> None:
    rows = run(rules, steps)
    assert rows == run(rules, steps)  # deterministic
    assert rows == run(rules, steps, slimmed=True)  # what the workflow leaves out, derive does not read
    once = [r.key for r in rows if r.kind not in (K.RESOLVED,)]  # a reopened ticket resolves again
    assert len(once) == len(set(once))
    state = None
    for engine_input, now in steps:
        state = decide(state, engine_input, now, rules, CONTEXT).state
    assert state is not None
    breached = {t.id for t in state.targets if t.breached_at is not None}
    assert {r.target_id for r in rows if r.kind in (K.TARGET_BREACHED, K.PROMISE_MISSED)} == breached
    met = {t.id for t in state.targets if t.met_at is not None and t.kind is not TargetKind.PROMISE}
    assert {r.target_id for r in rows if r.kind in (K.TARGET_MET, K.TARGET_MET_LATE)} == met
    assert all(r.seconds is None or r.seconds >= 0 for r in rows)
