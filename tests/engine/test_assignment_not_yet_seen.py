"""serviceflow's own assignment is not yet in the tickets the helpdesk sent before it: a second
webhook of the same change, one that came late or again, or a sweep's older listing shows no
assignee, and that is not a ticket left without one. Only a newer ticket without an assignee
goes back to its owner."""

from __future__ import annotations

from datetime import timedelta

from engine_support import MONDAY, REPO, event

from serviceflow.durable.fallback import fall_back
from serviceflow.durable.messages import DecideRequest
from serviceflow.engine.decide import Outcome, decide
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.rules import Rules
from serviceflow.model import Agent, AssignedOn, CaseState, Roster
from serviceflow.policy import load_policy_set

CONTEXT = Context(roster=Roster(agents=(Agent(id="ann", groups=("frontline",)),)))
POLICY = """\
apiVersion: serviceflow/v1
kind: Policy
name: desk
owner:
  - name: desk
    from: [group:frontline]
targets:
  - name: reply
    type: first_response
    within: 2h
"""
SECOND = timedelta(seconds=1)


def assigned(rules: Rules) -> Outcome:
    outcome = decide(None, EventInput(event=event("created", event_id="e1")), MONDAY + SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == ["assign_owner"]
    assert outcome.state.owner == "ann"
    assert outcome.state.assigned_on == AssignedOn(updated_at=MONDAY)
    return outcome


def test_a_second_webhook_of_the_ticket_before_the_assignment_assigns_nothing(rules_from) -> None:  # type: ignore[no-untyped-def]
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    again = event("customer_message", event_id="e2")  # the same save: the same updated_at
    outcome = decide(first.state, EventInput(event=again), MONDAY + 2 * SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == []
    assert outcome.state.owner == "ann"


def test_an_older_listing_assigns_nothing(rules_from) -> None:  # type: ignore[no-untyped-def]
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    older = event("fields_changed", event_id="sweep:1", at=MONDAY - 5 * SECOND)
    outcome = decide(first.state, EventInput(event=older), MONDAY + 2 * SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == []


def test_a_newer_ticket_without_an_assignee_goes_back_to_its_owner(rules_from) -> None:  # type: ignore[no-untyped-def]
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    echo = event("assigned", event_id="e2", at=MONDAY + 2 * SECOND, assignee="ann")
    seen = decide(first.state, EventInput(event=echo), MONDAY + 3 * SECOND, rules, CONTEXT)
    assert [a.type for a in seen.actions] == []
    unassigned = event("assigned", event_id="e3", at=MONDAY + 60 * SECOND)  # an agent took Ann off
    outcome = decide(seen.state, EventInput(event=unassigned), MONDAY + 61 * SECOND, rules, CONTEXT)
    assert [(a.type, a.reason) for a in outcome.actions] == [
        ("assign_owner", "ticket was left without an assignee; back to its owner")
    ]
    assert outcome.state.assigned_on == AssignedOn(
        updated_at=MONDAY + 60 * SECOND
    )  # the ticket the write follows
    late = event("customer_message", event_id="e4", at=MONDAY + 60 * SECOND)  # that change's other webhook
    after = decide(outcome.state, EventInput(event=late), MONDAY + 62 * SECOND, rules, CONTEXT)
    assert [a.type for a in after.actions] == []


def test_a_case_recorded_before_the_field_reads_as_never_asked(rules_from) -> None:  # type: ignore[no-untyped-def]
    rules = rules_from({"desk.yaml": POLICY})
    recorded = assigned(rules).state.model_dump(mode="json")
    del recorded["assigned_on"]
    state = CaseState.model_validate(recorded)
    assert state.assigned_on is None
    again = event("customer_message", event_id="e2")
    outcome = decide(state, EventInput(event=again), MONDAY + 2 * SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == ["assign_owner"]  # as before: no record to go by


def test_an_auto_sort_in_the_same_second_goes_back_to_its_owner(rules_from) -> None:  # type: ignore[no-untyped-def]
    """Helpdesks stamp whole seconds: a rule filing the ticket away within the second of the
    assignment has the same updated_at, and is still news (review of 52081ef)."""
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    filed = event("fields_changed", event_id="e3", role="system", group="spam-review")  # MONDAY again
    outcome = decide(first.state, EventInput(event=filed), MONDAY + 2 * SECOND, rules, CONTEXT)
    assert [(a.type, a.reason) for a in outcome.actions] == [
        (
            "assign_owner",
            "ticket was left without an assignee (filed to group spam-review); back to its owner",
        )
    ]


def test_an_unassignment_after_the_echo_in_the_same_second_goes_back_to_its_owner(rules_from) -> None:  # type: ignore[no-untyped-def]
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    echo = event("assigned", event_id="e2", role="serviceflow", assignee="ann", group="frontline")
    seen = decide(first.state, EventInput(event=echo), MONDAY + 2 * SECOND, rules, CONTEXT)
    taken_off = event("assigned", event_id="e3", group="frontline")  # the same whole second
    outcome = decide(seen.state, EventInput(event=taken_off), MONDAY + 3 * SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == ["assign_owner"]


def test_the_workers_fallback_owner_is_not_assigned_again_by_a_second_webhook() -> None:
    """durable/fallback.py assigns the fallback owner after the engine failed three times: it
    keeps assigned_on as the engine does (review of 52081ef)."""
    rules = Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))
    roster = Roster(agents=(Agent(id="tia", groups=("triage",)), Agent(id="ann", groups=("frontline",))))
    request = DecideRequest(state=None, input=EventInput(event=event("created", event_id="e1")),
                            now=MONDAY + SECOND, failure="boom")  # fmt: skip
    result = fall_back(request, rules, roster)
    assert "assign_owner" in [a.type for a in result.actions]
    assert result.state.assigned_on == AssignedOn(updated_at=MONDAY)
    again = event("customer_message", event_id="e2")
    outcome = decide(
        result.state, EventInput(event=again), MONDAY + 2 * SECOND, rules, Context(roster=roster)
    )
    assert "assign_owner" not in [a.type for a in outcome.actions]


def test_a_copy_of_the_ticket_before_the_assignment_after_the_echo_of_that_second_changes_nothing(
    rules_from,
) -> None:  # type: ignore[no-untyped-def]
    """The echo lands in the creation's second; the creation's other webhook (or a sweep's listing
    from before the write) comes after it: it neither assigns again nor takes the case's ticket
    back to no assignee (review of 455b421)."""
    rules = rules_from({"desk.yaml": POLICY})
    first = assigned(rules)
    echo = event("assigned", event_id="e2", role="serviceflow", assignee="ann", group="frontline")
    seen = decide(first.state, EventInput(event=echo), MONDAY + 2 * SECOND, rules, CONTEXT)
    assert seen.state.ticket.assignee == "ann"
    stale = event("customer_message", event_id="e1-again")  # MONDAY, no assignee, as the creation
    outcome = decide(seen.state, EventInput(event=stale), MONDAY + 3 * SECOND, rules, CONTEXT)
    assert [a.type for a in outcome.actions] == []
    assert outcome.state.ticket.assignee == "ann"
