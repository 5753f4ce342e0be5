"""The engine's Notify action as a channel's notification: people resolved through the roster
(names, emails, groups to members, strangers kept by id), kind and incident."""

from __future__ import annotations

from channel_support import LEE

from serviceflow.channels import NotificationKind, Recipient, notification_for, recipients_of
from serviceflow.channels.texts import plain, title
from serviceflow.model import Agent, Group, Notify, Roster

ROSTER = Roster(
    agents=(
        Agent(id="1001", name="Ada Agent", email="ada@shop.example", groups=("g-triage",)),
        Agent(id="1002", name="Lee Lead", email="lee@shop.example", groups=("g-triage",)),
    ),
    groups=(Group(id="g-triage", name="Triage"),),
)
WARN = Notify(
    key="zendesk:acme:1042/warn/standard/first-response#1", reason="at risk", policy="standard",
    rule="first-response", recipients=("1001",), subject="At risk: first-response on ticket 1042",
    body="first-response is due 14:00.",
)  # fmt: skip


def test_recipients_are_resolved_by_id_email_or_group_and_strangers_are_kept() -> None:
    people = recipients_of(("lee@shop.example", "group:Triage", "9999"), ROSTER)
    assert people == (
        Recipient(id="1002", name="Lee Lead", email="lee@shop.example"),
        Recipient(id="1001", name="Ada Agent", email="ada@shop.example"),
        Recipient(id="9999"),
    )
    assert recipients_of(("group:nobody",), ROSTER) == (Recipient(id="group:nobody"),)


def test_a_warning_and_a_breach_from_the_engines_actions() -> None:
    warning = notification_for("zendesk:acme:1042", WARN, ROSTER)
    assert warning.kind is NotificationKind.WARNING and warning.level is None
    assert warning.recipients[0].display == "Ada Agent" and warning.target == "first-response"
    assert warning.incident == "zendesk:acme:1042/first-response"
    assert title(warning) == "At risk: first-response on ticket 1042"
    escalation = WARN.model_copy(update={"escalation_level": 2, "subject": "Breached: first-response"})
    breach = notification_for("zendesk:acme:1042", escalation, recipients=(LEE,), target_id="standard/fr#1")
    assert breach.kind is NotificationKind.BREACH and breach.recipients == (LEE,)
    assert breach.incident == "zendesk:acme:1042/standard/fr#1"
    assert title(breach) == "Breached: first-response (escalation level 2)"
    resolved = breach.model_copy(update={"kind": NotificationKind.RESOLVE})
    assert title(resolved) == "Breached: first-response"  # the engine's subject says it is met
    assert "For: Lee Lead\n" in plain(breach) and "Case: zendesk:acme:1042" in plain(breach)
