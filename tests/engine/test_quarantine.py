"""Triage of quarantined mail (pure), and review cases in the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from engine_support import MONDAY, event

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.quarantine import arrival_event, departure_event, review_ticket, triage
from serviceflow.engine.rules import Rules
from serviceflow.errors import PolicySetError
from serviceflow.model import (
    Agent,
    AssignOwner,
    CaseState,
    LinkCase,
    Notify,
    QuarantinedMessage,
    Requester,
    Roster,
    TicketKind,
    TicketStatus,
)
from serviceflow.policy import load_policy_set

ROSTER = Roster(
    agents=(
        Agent(id="dan", groups=("triage",), lead="lee"),
        Agent(id="cat", groups=("frontline",), lead="lee"),
        Agent(id="lee", groups=("leads",)),
    )
)


def message(message_id: str = "435", **changes: object) -> QuarantinedMessage:
    data: dict[str, object] = {
        "id": message_id,
        "vendor": "demo",
        "account": "demo",
        "sender": Requester(id="c1", email="c1@customer.example"),
        "subject": "Third time I write about my refund",
        "excerpt": "Nobody answers me.",
        "cause": "Detected as spam",
        "recipient": "manager@shop.example",
        "received_at": MONDAY,
        "expires_at": MONDAY + timedelta(days=14),
    }
    data.update(changes)
    return QuarantinedMessage.model_validate(data)


def open_case_of_c1(rules: Rules) -> CaseState:
    return decide(None, EventInput(event=event("created")), MONDAY, rules, Context(roster=ROSTER)).state


def test_review_ticket_carries_the_message() -> None:
    ticket = review_ticket(message())
    assert ticket.kind is TicketKind.QUARANTINED
    assert ticket.key == "demo:demo:quarantine-435"
    assert ticket.requester.email == "c1@customer.example"
    assert ticket.recipient == "manager@shop.example"
    assert ticket.tags == ("quarantined",)
    assert ticket.custom_fields["cause"] == "Detected as spam"
    assert ticket.custom_fields["expires_at"].startswith("2026-03-16")


def test_known_customer_with_an_open_case_is_recovered(shipped_rules: Rules) -> None:
    verdict = triage(message(), shipped_rules, [open_case_of_c1(shipped_rules)], MONDAY)
    assert (verdict.verdict, verdict.policy, verdict.rule) == (
        "recover",
        "quarantine",
        "recover-known-customer",
    )


def test_a_stranger_is_reviewed_and_obvious_spam_ignored(shipped_rules: Rules) -> None:
    assert triage(message(), shipped_rules).verdict == "review"
    spam = message(subject="You have WON the lottery", sender=Requester(id="x@prize.example"))
    verdict = triage(spam, shipped_rules)
    assert (verdict.verdict, verdict.rule) == ("ignore", "ignore-obvious-spam")
    not_flagged_as_spam = spam.model_copy(update={"cause": "Received from a web form"})
    assert triage(not_flagged_as_spam, shipped_rules).verdict == "review"


POLICY = """apiVersion: serviceflow/v1
kind: Policy
name: q
applies_to: quarantined
quarantine:
{rules}
owner:
  - {{name: rota, pick: round_robin, from: [group:triage]}}
targets:
  - {{name: review, start: event.kind == "created", stop: ticket.status == "closed", within: 2h}}
"""


def test_a_failing_rule_never_lets_a_later_one_drop_the_message(
    rules_from: Callable[[dict[str, str]], Rules],
) -> None:
    rules = rules_from(
        {
            "q.yaml": POLICY.format(
                rules="  - {name: broken, when: 'message.excerpt.size() / 0 > 1', do: review}\n"
                "  - {name: drop-it, do: dismiss}"
            ),
        }
    )
    verdict = triage(message(), rules)
    assert verdict.verdict == "review"
    assert verdict.rule == "drop-it"
    assert len(verdict.errors) == 1 and "q/broken" in verdict.errors[0]


def test_with_no_quarantine_rules_everything_is_reviewed(
    rules_from: Callable[[dict[str, str]], Rules],
) -> None:
    rules = rules_from({"p.yaml": POLICY.format(rules="  []").replace("quarantine:\n", "quarantine:")})
    verdict = triage(message(), rules)
    assert (verdict.verdict, verdict.rule) == ("review", "default")


def test_quarantine_rules_need_a_policy_for_quarantined_mail(
    write_policies: Callable[..., Path],
) -> None:
    text = POLICY.format(rules="  - {name: r, do: review}").replace("applies_to: quarantined\n", "")
    folder = write_policies({"q.yaml": text})
    with pytest.raises(PolicySetError) as caught:
        load_policy_set([folder])
    assert "q.yaml:" in str(caught.value)
    assert "applies_to: quarantined" in str(caught.value)


def test_a_review_case_gets_an_owner_and_its_own_targets_only(shipped_rules: Rules) -> None:
    """The ticket policies (first response, acknowledgement...) never run on a review case."""
    outcome = decide(
        None, EventInput(event=arrival_event(message())), MONDAY, shipped_rules, Context(roster=ROSTER)
    )
    assert outcome.state.owner == "dan"
    assert [a for a in outcome.actions if isinstance(a, AssignOwner)][0].rule == "triage-rota"
    assert sorted(t.name for t in outcome.state.targets) == ["last-chance", "review"]
    assert {t.policy for t in outcome.state.targets} == {"quarantine"}


def test_leaving_the_queue_meets_the_targets_and_closes_the_case(shipped_rules: Rules) -> None:
    context = Context(roster=ROSTER)
    first = decide(None, EventInput(event=arrival_event(message())), MONDAY, shipped_rules, context)
    later = MONDAY + timedelta(hours=1)
    gone = departure_event(message(), later, "deleted by a person")
    assert gone.ticket.status is TicketStatus.CLOSED
    outcome = decide(first.state, EventInput(event=gone), later, shipped_rules, context)
    assert {t.status.value for t in outcome.state.targets} == {"met"}
    assert outcome.state.closed_at == later
    assert not [a for a in outcome.actions if isinstance(a, AssignOwner | Notify)]


def test_a_review_case_is_never_joined_to_a_customer_case(shipped_rules: Rules) -> None:
    """The sender's real ticket must not link to (or inherit from) a review case."""
    context = Context(roster=ROSTER)
    review = decide(None, EventInput(event=arrival_event(message())), MONDAY, shipped_rules, context)
    outcome = decide(
        None,
        EventInput(event=event("created", event_id="real")),
        MONDAY,
        shipped_rules,
        Context(roster=ROSTER, open_cases=(review.state,)),
    )
    assert "same_case" not in {change.rule for change in outcome.state.ownership}
    assert not [a for a in outcome.actions if isinstance(a, LinkCase)]


def test_the_senders_other_quarantined_mail_does_not_make_them_a_known_customer(
    shipped_rules: Rules,
) -> None:
    first = message("500", sender=Requester(id="x@else.example"), cause="Received from a web form")
    review = decide(
        None, EventInput(event=arrival_event(first)), MONDAY, shipped_rules, Context(roster=ROSTER)
    ).state
    second = first.model_copy(update={"id": "501"})
    assert triage(second, shipped_rules, [review], MONDAY).verdict == "review"


def test_a_review_cases_notifications_name_the_review_case_not_a_ticket(shipped_rules: Rules) -> None:
    """A person looks for it in the review queue: ``on review case quarantine-435``."""
    context = Context(roster=ROSTER)
    state = decide(None, EventInput(event=arrival_event(message())), MONDAY, shipped_rules, context).state
    subjects: list[str] = []
    for days in (1, 3, 7, 14):  # past the review target's warning and breach, and the last chance
        outcome = decide(state, WakeUp(), MONDAY + timedelta(days=days), shipped_rules, context)
        state = outcome.state
        subjects += [a.subject for a in outcome.actions if isinstance(a, Notify)]
    assert any(s.startswith("At risk: ") for s in subjects), subjects
    assert any(s.startswith("Breached: ") for s in subjects), subjects
    assert all(" on review case quarantine-435" in s for s in subjects), subjects
    assert not [s for s in subjects if " on ticket " in s]
