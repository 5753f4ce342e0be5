"""The engine, input by input: each behaviour the policies drive, and what it must never do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from engine_support import MONDAY, event, hours

from serviceflow.engine.decide import decide, next_wake_up
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import Agent, Roster, TargetStatus, TicketEvent
from serviceflow.policy import load_policy_set

ROSTER = Roster(
    agents=(
        Agent(id="cat", groups=("frontline", "triage"), lead="lee"),
        Agent(id="lee", groups=("leads",), lead="max"),
        Agent(id="max", groups=("managers",)),
    )
)
CONTEXT = Context(roster=ROSTER)

SIMPLE = """\
apiVersion: serviceflow/v1
kind: Policy
name: simple
owner:
  - name: desk
    from: [group:frontline]
targets:
  - name: reply
    type: first_response
    within: 2h
"""


def feed(rules: Rules, *inputs, state=None, context: Context = CONTEXT):
    """Decide on each (input, now) pair in turn; return the last outcome and all actions."""
    actions = []
    outcome = None
    for engine_input, now in inputs:
        outcome = decide(state, engine_input, now, rules, context)
        state = outcome.state
        actions.extend(outcome.actions)
    return outcome, actions


def test_every_action_says_which_rule_and_why(shipped_rules: Rules) -> None:
    outcome, actions = feed(shipped_rules, (EventInput(event=event("created", tags=("billing",))), MONDAY))
    assert actions, "a new ticket gets an owner"
    for action in actions:
        assert action.reason and action.policy and action.rule and action.key
    assert outcome.decision is not None
    assert outcome.decision.policy_version == shipped_rules.version


def test_deciding_is_deterministic(shipped_rules: Rules) -> None:
    inputs = [
        (EventInput(event=event("created")), MONDAY),
        (WakeUp(), MONDAY + hours(30)),
    ]
    first, _ = feed(shipped_rules, *inputs)
    second, _ = feed(shipped_rules, *inputs)
    assert first.state == second.state
    assert first.actions == second.actions


def test_a_repeated_event_is_ignored(rules_from: Callable[..., Rules]) -> None:
    rules = rules_from({"p.yaml": SIMPLE})
    created = EventInput(event=event("created"))
    outcome, actions = feed(rules, (created, MONDAY), (created, MONDAY + hours(0.1)))
    assert [a.type for a in actions] == ["assign_owner"]
    assert outcome.decision is None  # nothing was decided the second time


def test_an_action_is_issued_once_even_if_decided_again(rules_from: Callable[..., Rules]) -> None:
    rules = rules_from({"p.yaml": SIMPLE})
    start, _ = feed(rules, (EventInput(event=event("created")), MONDAY))
    late = MONDAY + hours(3)
    once = decide(start.state, WakeUp(), late, rules, CONTEXT)
    again = decide(once.state, WakeUp(), late, rules, CONTEXT)
    assert [a.type for a in once.actions] == ["notify", "notify"]  # at risk, then the breach
    assert again.actions == ()


def test_breach_happens_at_the_deadline_not_before(rules_from: Callable[..., Rules]) -> None:
    rules = rules_from({"p.yaml": SIMPLE})
    start, _ = feed(rules, (EventInput(event=event("created")), MONDAY))
    assert next_wake_up(start.state) == MONDAY + hours(1.5)  # the 75 % warning
    before = decide(start.state, WakeUp(), MONDAY + hours(2) - timedelta(seconds=1), rules, CONTEXT)
    assert [a.rule for a in before.actions] == ["reply"]
    assert before.actions[0].recipients == ("cat",)  # only the owner is warned
    assert before.state.targets[0].status is TargetStatus.RUNNING
    at_due = decide(before.state, WakeUp(), MONDAY + hours(2), rules, CONTEXT)
    assert at_due.state.targets[0].status is TargetStatus.BREACHED
    assert [(a.recipients, a.escalation_level) for a in at_due.actions] == [(("lee",), 1)]


def test_rule_error_falls_back_and_the_case_goes_on(rules_from: Callable[..., Rules]) -> None:
    broken = SIMPLE.replace(
        "    from: [group:frontline]",
        '    when: ticket.custom_fields.language == "de"\n    from: [group:frontline]',
    )
    rules = rules_from({"p.yaml": broken})
    outcome, actions = feed(rules, (EventInput(event=event("created")), MONDAY))
    decision = outcome.decision
    assert decision is not None and len(decision.errors) == 1
    assert "simple/desk: no such member in mapping: 'language'" in decision.errors[0]
    assert outcome.state.owner == "cat"  # from the fallback pool (group:triage)
    assert [a.type for a in actions] == ["assign_owner", "add_internal_note"]
    assert actions[0].policy == "fallback"
    assert "could not apply a policy rule" in actions[1].body
    # The same rule works on a ticket that has the field: one ticket's error is its own.
    other = event("created", custom_fields={"language": "de"}, event_id="other")
    fine, _ = feed(
        rules,
        (
            EventInput(
                event=other.model_copy(update={"ticket": other.ticket.model_copy(update={"id": "2"})})
            ),
            MONDAY,
        ),
    )
    assert fine.decision is not None and fine.decision.errors == ()
    # And the broken case keeps deciding: its target still breaches on time.
    later = decide(outcome.state, WakeUp(), MONDAY + hours(2), rules, CONTEXT)
    assert later.state.targets[0].status is TargetStatus.BREACHED


def test_a_removed_rule_stops_its_targets_and_escalations(
    rules_from: Callable[..., Rules],
) -> None:
    before = rules_from({"p.yaml": SIMPLE})
    start, _ = feed(before, (EventInput(event=event("created")), MONDAY))
    without = rules_from({"p.yaml": SIMPLE.split("targets:")[0]})
    assert without.version != before.version
    later = decide(start.state, WakeUp(), MONDAY + hours(5), without, CONTEXT)
    assert later.actions == ()  # no stale warning, no stale escalation
    assert later.state.targets[0].status is TargetStatus.CANCELLED
    assert next_wake_up(later.state) is None
    assert later.decision is not None and "not in policy set version" in later.decision.notes[0]


def test_a_changed_ladder_applies_to_levels_not_yet_fired(
    write_policies: Callable[..., Path],
) -> None:
    from engine_support import MINIMAL_SET_WITH

    def rules_with(second_level: str) -> Rules:
        folder = write_policies(
            {"set.yaml": MINIMAL_SET_WITH(second_level), "p.yaml": SIMPLE}, with_set=False
        )
        return Rules(load_policy_set([folder]))

    first = rules_with("agent:max")
    start, _ = feed(first, (EventInput(event=event("created")), MONDAY))
    breached = decide(start.state, WakeUp(), MONDAY + hours(2), first, CONTEXT)
    assert [a.escalation_level for a in breached.actions] == [None, 1]  # warning, level 1
    changed = rules_with("group:directors")
    second = decide(breached.state, WakeUp(), MONDAY + hours(3), changed, CONTEXT)
    assert [(a.recipients, a.escalation_level) for a in second.actions] == [(("group:directors",), 2)]
    assert second.decision is not None and second.decision.policy_version == changed.version


def test_escalation_levels_fire_once_each(shipped_rules: Rules) -> None:
    state = feed(shipped_rules, (EventInput(event=event("created")), MONDAY))[0].state
    levels = []
    now = MONDAY
    for _ in range(200):  # many wake-ups, some at the same instant: one notification per level
        outcome = decide(state, WakeUp(), now, shipped_rules, CONTEXT)
        state = outcome.state
        levels += [(a.rule, a.escalation_level) for a in outcome.actions if a.type == "notify"]
        now += timedelta(minutes=30)
    escalations = [lv for lv in levels if lv[1]]
    assert sorted(escalations) == sorted(set(escalations))
    assert ("first-response", 1) in escalations and ("first-response", 3) in escalations


def test_an_agent_reply_stops_the_ladder(shipped_rules: Rules) -> None:
    state = feed(shipped_rules, (EventInput(event=event("created")), MONDAY))[0].state
    breached = decide(state, WakeUp(), MONDAY + hours(5.5), shipped_rules, CONTEXT).state
    reply = EventInput(event=event("agent_reply", at=MONDAY + hours(5.6)))
    met = decide(breached, reply, MONDAY + hours(5.6), shipped_rules, CONTEXT)
    target = next(t for t in met.state.targets if t.name == "first-response")
    assert target.status is TargetStatus.MET and target.breached_at is not None
    quiet = decide(met.state, WakeUp(), MONDAY + timedelta(days=5), shipped_rules, CONTEXT)
    assert [a for a in quiet.actions if a.rule == "first-response"] == []


def test_an_event_delivered_late_counts_at_its_own_time(rules_from: Callable[..., Rules]) -> None:
    rules = rules_from({"p.yaml": SIMPLE})
    start, _ = feed(rules, (EventInput(event=event("created")), MONDAY))
    reply = EventInput(event=event("agent_reply", at=MONDAY + hours(1)))
    # Delivered three hours late: the reply was on time, so nothing breached.
    late = decide(start.state, reply, MONDAY + hours(4), rules, CONTEXT)
    assert late.state.targets[0].status is TargetStatus.MET
    assert all(a.type != "notify" or a.escalation_level is None for a in late.actions)


def test_case_closes_when_ticket_closed_and_targets_settled(
    rules_from: Callable[..., Rules],
) -> None:
    rules = rules_from({"p.yaml": SIMPLE})
    start, _ = feed(rules, (EventInput(event=event("created")), MONDAY))
    reply = EventInput(event=event("agent_reply", at=MONDAY + hours(1)))
    closing = EventInput(event=event("status_changed", at=MONDAY + hours(2), status="closed"))
    done, _ = feed(rules, (reply, MONDAY + hours(1)), (closing, MONDAY + hours(2)), state=start.state)
    assert done.state.finished and done.state.closed_at == MONDAY + hours(2)


def test_deferred_notification_waits_for_business_hours(shipped_rules: Rules) -> None:
    friday_evening = MONDAY + timedelta(days=4, hours=8)  # Friday 17:00
    created = EventInput(event=event("created", at=friday_evening, priority="urgent"))
    state = decide(None, created, friday_evening, shipped_rules, CONTEXT).state
    saturday = decide(state, WakeUp(), friday_evening + hours(2), shipped_rules, CONTEXT)
    assert saturday.state.deferred, "the lead's level waits for Monday"
    assert next_wake_up(saturday.state) == MONDAY + timedelta(days=7)
    monday = decide(saturday.state, WakeUp(), MONDAY + timedelta(days=7), shipped_rules, CONTEXT)
    assert [(a.recipients, a.escalation_level) for a in monday.actions] == [(("lee",), 2)]


def test_timeline_and_summary_tell_the_story(shipped_rules: Rules) -> None:
    from serviceflow.engine.summary import case_summary

    inputs = [
        (EventInput(event=event("created", tags=("billing",))), MONDAY),
        (
            EventInput(event=event("agent_reply", at=MONDAY + hours(1), body="Sorry, refunding.")),
            MONDAY + hours(1),
        ),
    ]
    state = feed(shipped_rules, *inputs)[0].state
    summary = case_summary(state)
    assert "Sorry, refunding." in summary
    assert f"Owner: {state.owner}" in summary


def test_repeat_contact_joins_and_merges_when_the_rule_says_so(
    rules_from: Callable[..., Rules],
) -> None:
    same_case = SIMPLE + (
        "same_case:\n  when: other_ticket.requester.id == ticket.requester.id\n  merge: true\n"
    )
    rules = rules_from({"p.yaml": same_case})
    first = feed(rules, (EventInput(event=event("created")), MONDAY))[0].state
    second_event = event("created", at=MONDAY + hours(1), event_id="second")
    second_event = second_event.model_copy(
        update={"ticket": second_event.ticket.model_copy(update={"id": "2"})}
    )
    context = Context(roster=ROSTER, open_cases=(first,))
    joined = decide(None, EventInput(event=second_event), MONDAY + hours(1), rules, context)
    assert joined.state.owner == first.owner
    assert [a.type for a in joined.actions] == [
        "assign_owner",
        "add_internal_note",
        "link_case",
        "merge_tickets",
    ]
    assert joined.actions[3].into_ticket == "1"
    assert joined.actions[1].body.startswith("Case summary for demo:demo:1")


def test_a_third_contact_joins_the_customers_first_case(rules_from: Callable[..., Rules]) -> None:
    """The second contact joined the first case; the third joins that first case too, not the
    second ticket's, whatever order the open cases come in."""
    rules = rules_from(
        {"p.yaml": SIMPLE + "same_case:\n  when: other_ticket.requester.id == ticket.requester.id\n"}
    )

    def contact(n: int) -> TicketEvent:
        created = event("created", at=MONDAY + hours(n), event_id=f"c{n}")
        return created.model_copy(update={"ticket": created.ticket.model_copy(update={"id": str(n + 1)})})

    first = decide(None, EventInput(event=contact(0)), MONDAY, rules, CONTEXT).state
    second = decide(
        None,
        EventInput(event=contact(1)),
        MONDAY + hours(1),
        rules,
        Context(roster=ROSTER, open_cases=(first,)),
    ).state
    third = decide(
        None,
        EventInput(event=contact(2)),
        MONDAY + hours(2),
        rules,
        Context(roster=ROSTER, open_cases=(second, first)),  # newest first, as Temporal lists them
    )
    links = [a for a in third.actions if a.type == "link_case"]
    assert [a.case_id for a in links] == ["demo:demo:1"]


def test_cooldown_keeps_one_person_from_hearing_twice(write_policies: Callable[..., Path]) -> None:
    ladder = (
        "apiVersion: serviceflow/v1\nkind: PolicySet\nname: t\n"
        "defaults: {escalation: standard}\nfallback: {owner: group:triage}\n"
        "escalations:\n  standard:\n    cooldown: 2h\n    levels:\n"
        "      - notify: [owner.lead]\n"
        "      - {after: 1h, notify: [owner.lead, owner.manager]}\n"
        "      - {after: 2h, notify: [owner.lead]}\n"
    )
    folder = write_policies({"set.yaml": ladder, "p.yaml": SIMPLE}, with_set=False)
    rules = Rules(load_policy_set([folder]))
    state = feed(rules, (EventInput(event=event("created")), MONDAY))[0].state
    later = decide(state, WakeUp(), MONDAY + hours(6), rules, CONTEXT)
    escalations = [(a.escalation_level, a.recipients) for a in later.actions if a.escalation_level]
    # Level 2 comes an hour after level 1: lee is inside the cooldown, only max hears of it.
    # Level 3 comes two hours after level 2 and three after lee's last notice: lee again.
    assert escalations == [(1, ("lee",)), (2, ("max",)), (3, ("lee",))]


def test_an_assignee_named_by_email_is_the_same_owner(rules_from: Callable[..., Rules]) -> None:
    """Some webhooks name the assignee by email: that is the owner, not a reassignment."""
    roster = Roster(agents=(Agent(id="80002", email="cat@shop.example", groups=("frontline",)),))
    context = Context(roster=roster)
    rules = rules_from({"p.yaml": SIMPLE})
    first = decide(None, EventInput(event=event("created")), MONDAY, rules, context)
    assert first.state.owner == "80002"
    assigned = event("assigned", at=MONDAY + hours(1), event_id="as", assignee="cat@shop.example")
    later = decide(first.state, EventInput(event=assigned), MONDAY + hours(1), rules, context)
    assert later.state.owner == "80002" and len(later.state.ownership) == 1
    assert [a.type for a in later.actions] == []
