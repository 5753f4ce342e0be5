"""Targets follow the rules as they are now: the defects of issue 14, each a test that failed on
the engine before it (a stale escalation kept climbing; a breached target's pause was ignored; a
changed ladder kept its old timing; a far deadline or event raised out of decide)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from engine_support import MONDAY, event, hours

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import Agent, Roster, TargetStatus
from serviceflow.policy import load_policy_set

ROSTER = Roster(
    agents=(
        Agent(
            id="cat", name="Cat Jones", email="cat@shop.example", groups=("frontline", "triage"), lead="lee"
        ),
        Agent(id="lee", name="Lee Lead", groups=("leads",), lead="max"),
        Agent(id="max", name="Max Manager", groups=("managers",)),
    )
)
CONTEXT = Context(roster=ROSTER)

LADDER = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: t
defaults: {escalation: standard}
fallback: {owner: group:triage}
escalations:
  standard:
    levels:
      - notify: [owner.lead]
      - {after: 1h, notify: [owner.manager]}
      - {after: 1h, notify: [group:directors]}
"""

VIP = """\
apiVersion: serviceflow/v1
kind: Policy
name: vip
match: '"vip" in ticket.tags'
owner:
  - name: desk
    from: [group:frontline]
targets:
  - name: reply
    type: first_response
    within: 1h
  - name: callback
    start: event.kind == "created"
    stop: event.kind == "agent_reply"
    when: ticket.priority == "high"
    pause: ticket.status == "pending"
    within: 2h
"""


@pytest.fixture
def rules(write_policies: Callable[..., Path]) -> Rules:
    return _rules(write_policies)


def _rules(write_policies: Callable[..., Path], policy: str = VIP) -> Rules:
    return Rules(load_policy_set([write_policies({"set.yaml": LADDER, "vip.yaml": policy}, with_set=False)]))


def _breached(rules: Rules, **ticket: object):  # type: ignore[no-untyped-def]
    created = decide(
        None, EventInput(event=event("created", tags=("vip",), **ticket)), MONDAY, rules, CONTEXT
    )
    return decide(created.state, WakeUp(), MONDAY + hours(1), rules, CONTEXT)


def test_a_target_whose_policy_no_longer_matches_is_cancelled_and_climbs_no_further(rules: Rules) -> None:
    breached = _breached(rules)
    assert [a.escalation_level for a in breached.actions if a.type == "notify"][-1] == 1
    untagged = event("fields_changed", at=MONDAY + hours(1.5), tags=())
    later = decide(breached.state, EventInput(event=untagged), MONDAY + hours(1.5), rules, CONTEXT)
    reply = next(t for t in later.state.targets if t.name == "reply")
    assert reply.status is TargetStatus.CANCELLED
    assert reply.cancel_reason == "policy vip no longer matches the ticket"
    days_later = decide(later.state, WakeUp(), MONDAY + hours(72), rules, CONTEXT)
    assert not [a for a in days_later.actions if a.type == "notify"]  # no level 2, no level 3


def test_a_target_whose_when_no_longer_holds_is_cancelled(rules: Rules) -> None:
    created = decide(
        None, EventInput(event=event("created", tags=("vip",), priority="high")), MONDAY, rules, CONTEXT
    )
    assert {t.name for t in created.state.targets} == {"reply", "callback"}
    lowered = event("fields_changed", at=MONDAY + hours(0.5), tags=("vip",), priority="normal")
    later = decide(created.state, EventInput(event=lowered), MONDAY + hours(0.5), rules, CONTEXT)
    callback = next(t for t in later.state.targets if t.name == "callback")
    assert callback.status is TargetStatus.CANCELLED
    assert "its when no longer holds" in (callback.cancel_reason or "")
    assert next(t for t in later.state.targets if t.name == "reply").status is TargetStatus.RUNNING


def test_a_breached_target_whose_pause_holds_stops_climbing(rules: Rules) -> None:
    created = decide(
        None, EventInput(event=event("created", tags=("vip",), priority="high")), MONDAY, rules, CONTEXT
    )
    breached = decide(created.state, WakeUp(), MONDAY + hours(2), rules, CONTEXT)
    callback = next(t for t in breached.state.targets if t.name == "callback")
    assert callback.status is TargetStatus.BREACHED and callback.level == 1
    waiting = event(
        "status_changed", at=MONDAY + hours(2.25), tags=("vip",), priority="high", status="pending"
    )
    held = decide(breached.state, EventInput(event=waiting), MONDAY + hours(2.25), rules, CONTEXT)
    assert next(t for t in held.state.targets if t.name == "callback").ladder_held_at is not None
    much_later = decide(held.state, WakeUp(), MONDAY + hours(30), rules, CONTEXT)
    callback_notes = [a for a in much_later.actions if a.type == "notify" and a.rule == "callback"]
    assert callback_notes == []  # level 2 was due at 03:00 after the breach; held
    back = event("customer_message", at=MONDAY + hours(30), tags=("vip",), priority="high", status="open")
    resumed = decide(much_later.state, EventInput(event=back), MONDAY + hours(30), rules, CONTEXT)
    target = next(t for t in resumed.state.targets if t.name == "callback")
    assert target.ladder_held_at is None
    assert target.next_level_at == MONDAY + hours(30) + timedelta(minutes=45)  # what was left
    assert [(p.start, p.end) for p in target.pauses] == [(MONDAY + hours(2.25), MONDAY + hours(30))]


def test_a_removed_rule_cancels_its_breached_target(
    rules: Rules, write_policies: Callable[..., Path]
) -> None:
    breached = _breached(rules)
    without = _rules(
        write_policies, VIP.split("  - name: callback")[0].replace("  - name: reply\n", "  - name: answer\n")
    )
    later = decide(breached.state, WakeUp(), MONDAY + hours(2.5), without, CONTEXT)
    reply = next(t for t in later.state.targets if t.name == "reply")
    assert reply.status is TargetStatus.CANCELLED
    assert reply.cancel_reason is not None and "not in policy set version" in reply.cancel_reason
    assert [a for a in later.actions if a.type == "notify" and a.rule == "reply"] == []


def test_escalations_name_people_and_carry_their_channel_data(rules: Rules) -> None:
    breached = _breached(rules)
    warning, level = [a for a in breached.actions if a.type == "notify"]
    assert warning.purpose == "at_risk" and warning.people[0].name == "Cat Jones"
    assert warning.people[0].email == "cat@shop.example"
    assert level.purpose == "breached" and level.channels == ("helpdesk",)
    assert level.people[0].name == "Lee Lead" and level.target == "reply" and level.escalation_level == 1


@pytest.mark.parametrize(
    "when",
    [datetime(9999, 12, 31, 23, 30, tzinfo=UTC), datetime(1, 1, 1, 0, 30, tzinfo=UTC)],
    ids=["year-9999", "year-1"],
)
def test_decide_never_raises_on_a_far_time(shipped_rules: Rules, rules: Rules, when: datetime) -> None:
    # The domain model refuses such times at parse (serviceflow.model.bounds); the engine must not
    # raise even on a state that holds one (an old history, a bug elsewhere), so the event is
    # built past validation.
    near = event("created", tags=("vip",))
    ticket = near.ticket.model_copy(update={"created_at": when, "updated_at": when})
    far = near.model_copy(update={"time": when, "ticket": ticket})
    outcome = decide(None, EventInput(event=far), when, shipped_rules, CONTEXT)
    assert outcome.decision is not None and any("decision failed" in e for e in outcome.decision.errors)
    outcome = decide(None, EventInput(event=far), when, rules, CONTEXT)
    assert outcome.decision is not None
    assert any("decision failed" in e for e in outcome.decision.errors) or outcome.state.targets
    assert outcome.state.owner is not None  # the fallback owns it at least
    again = decide(outcome.state, EventInput(event=far), when, rules, CONTEXT)
    assert again.actions == ()  # recorded as seen: a retry does not loop


def test_a_far_rule_duration_is_a_rule_error_not_an_overflow(write_policies: Callable[..., Path]) -> None:
    far = VIP.replace("within: 1h", 'within: duration("87600h") * 100', 1)
    rules = _rules(write_policies, far)
    outcome = decide(None, EventInput(event=event("created", tags=("vip",))), MONDAY, rules, CONTEXT)
    assert outcome.decision is not None
    assert any("longer than 10 years" in e for e in outcome.decision.errors)
    assert any(a.type == "add_internal_note" and a.rule == "fallback" for a in outcome.actions)


PAGED = LADDER.replace(
    "      - notify: [owner.lead]\n", "      - {notify: [owner.lead], via: [helpdesk, 'pagerduty:on-call']}\n"
)


def test_a_breach_told_through_an_incident_channel_is_resolved_there(
    write_policies: Callable[..., Path],
) -> None:
    folder = write_policies({"set.yaml": PAGED, "vip.yaml": VIP}, with_set=False)
    rules = Rules(load_policy_set([folder]))
    breached = _breached(rules)
    level = next(a for a in breached.actions if a.type == "notify" and a.escalation_level == 1)
    assert level.channels == ("helpdesk", "pagerduty:on-call")
    reply = event("agent_reply", at=MONDAY + hours(1.5), tags=("vip",))
    met = decide(breached.state, EventInput(event=reply), MONDAY + hours(1.5), rules, CONTEXT)
    resolved = [a for a in met.actions if a.type == "notify"]
    assert [(a.purpose, a.channels, a.target) for a in resolved] == [
        ("resolved", ("pagerduty:on-call",), "reply")
    ]


def test_a_channel_name_is_checked(write_policies: Callable[..., Path]) -> None:
    from serviceflow.policy import validate

    bad = LADDER.replace(
        "      - notify: [owner.lead]\n", "      - {notify: [owner.lead], via: [Slack Leads]}\n"
    )
    report = validate([write_policies({"set.yaml": bad, "vip.yaml": VIP}, with_set=False)])
    assert any("via" in p.message and "Slack Leads" in p.message for p in report.problems), report.problems


def test_cycles_are_available_to_metrics_and_reports(rules: Rules) -> None:
    from serviceflow.engine.cycles import cycles, settled

    breached = _breached(rules)
    reply = event("agent_reply", at=MONDAY + hours(1.5), tags=("vip",))
    met = decide(breached.state, EventInput(event=reply), MONDAY + hours(1.5), rules, CONTEXT)
    done = settled(breached.state, met.state)
    assert [(c.target, c.cycle, c.outcome.value) for c in done] == [("reply", 1, "met_late")]
    assert settled(met.state, met.state) == []
    assert [c.outcome.value for c in cycles(met.state, MONDAY + hours(2))] == ["met_late"]
