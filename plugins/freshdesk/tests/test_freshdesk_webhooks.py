"""Webhooks in: the shared secret (verify) and every body shape Freshdesk sends (parse).

Body shapes are those of Zulip's real Freshdesk fixtures (CONTRACTS.md §5: ticket created,
status changed to the custom status 6, priority changed, private and public notes, a body
without ``triggered_event``, an unknown event, inline images), with values of our own, plus what
the fake's automation rules send over real HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from freshdesk_testing import SECRET, Received, WebhookReceiver
from serviceflow_freshdesk import ADAPTER, RULE_EVENTS, TRIGGER_BODY_TEMPLATE, trigger_body
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.triggered import TriggeredEventError, parse

from serviceflow.adapters import Identity, WebhookRequest
from serviceflow.model import ActorRole, Channel, EventKind, Priority, TicketEvent, TicketStatus
from serviceflow.plugins.webhooks import WebhookRejected

ACCOUNT = "127.0.0.1"
#: Who the API key acts as in these tests: nobody the bodies name, unless a test says so.
NOBODY = Identity(vendor="freshdesk", account=ACCOUNT, id="0", name="serviceflow integration")


def verdict(headers: dict[str, str], method: str = "POST") -> Any:
    return ADAPTER.verify_webhook(WebhookRequest(method, headers, b"{}"))


def parse_hook(
    body: bytes | dict[str, Any], headers: dict[str, str] | None = None, identity: Identity = NOBODY
) -> list[TicketEvent]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ADAPTER.parse_webhook(
        WebhookRequest("POST", headers or {}, raw), account=ACCOUNT, identity=identity
    )


def zulip_shape(**fields: str) -> dict[str, Any]:
    """A body of Zulip's template (the fixtures' field set), values overridable."""
    body = {
        "triggered_event": "{ticket_action:created}",
        "ticket_id": "11",
        "ticket_url": "http://acme.freshdesk.com/helpdesk/tickets/11",
        "ticket_type": "Incident",
        "ticket_subject": "Printer on fire \u2603",
        "ticket_description": "<div>It is on fire \u2603.</div>",
        "ticket_status": "Pending",
        "ticket_priority": "High",
        "requester_name": "Requester \u2603 Bo",
        "requester_email": "bo@example.com",
    }
    body.update(fields)
    return {"freshdesk_webhook": body}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---------------------------------------------------------------------- verify


def test_verify_custom_header(freshdesk: FakeFreshdesk) -> None:
    good = verdict({"x-serviceflow-secret": SECRET})
    assert good.accepted and good.account == ACCOUNT
    assert verdict({"x-serviceflow-secret": SECRET + "x"}).reason == "bad_secret"
    assert verdict({"x-serviceflow-secret": ""}).reason == "bad_secret"
    assert verdict({}).reason == "missing_secret"
    assert verdict({"x-serviceflow-secret": SECRET}, method="GET").reason == "method_not_allowed"


def test_verify_basic_auth_password_or_username(freshdesk: FakeFreshdesk) -> None:
    assert verdict({"authorization": basic("serviceflow", SECRET)}).accepted
    assert verdict({"authorization": basic(SECRET, "X")}).accepted  # "API key" mode
    assert verdict({"authorization": basic("serviceflow", "guess")}).reason == "bad_secret"
    assert verdict({"authorization": "Basic %%%"}).reason == "malformed_authorization"
    assert verdict({"authorization": "Bearer " + SECRET}).reason == "missing_secret"


def test_verify_refuses_everything_without_a_secret(
    freshdesk: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET")
    refused = verdict({"x-serviceflow-secret": SECRET})
    assert (refused.accepted, refused.reason) == (False, "not_configured")
    assert SECRET not in refused.reason


def test_verify_custom_header_name(freshdesk: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_WEBHOOK_HEADER", "X-Helpdesk-Token")
    assert verdict({"x-helpdesk-token": SECRET}).accepted
    assert verdict({"x-serviceflow-secret": SECRET}).reason == "missing_secret"


def test_rules_of_the_fake_authenticate_both_ways(
    freshdesk: FakeFreshdesk, receiver: WebhookReceiver
) -> None:
    freshdesk.add_rule(receiver.url, "ticket_created", secret=SECRET)
    freshdesk.add_rule(receiver.url, "ticket_created", basic=("serviceflow", SECRET))
    freshdesk.add_rule(receiver.url, "ticket_created", secret="wrong")
    freshdesk.add_ticket("Hi", notify=True)
    deliveries = freshdesk.wait_for_deliveries(3)
    assert len(receiver.accepted()) == 2
    assert {r.reason for r in receiver.received if not r.accepted} == {"bad_secret"}
    # A refused call is retried three times (after 5, 30 and 60 minutes; zero in tests).
    assert sorted(len(d.attempts) for d in deliveries) == [1, 1, 4]
    assert all(a.status == 401 for d in deliveries if not d.ok for a in d.attempts)


# ---------------------------------------------------------------------- parse: Zulip's shapes


def test_ticket_created(freshdesk: FakeFreshdesk) -> None:
    (event,) = parse_hook(zulip_shape())
    assert event.kind is EventKind.CREATED
    assert (event.actor.role, event.actor.id) == (ActorRole.CUSTOMER, "bo@example.com")
    ticket = event.ticket
    assert (ticket.id, ticket.vendor, ticket.account) == ("11", "freshdesk", ACCOUNT)
    assert (ticket.status, ticket.priority) == (TicketStatus.PENDING, Priority.HIGH)
    assert ticket.subject == "Printer on fire \u2603" and event.body == "It is on fire \u2603."
    assert (ticket.requester.email, ticket.requester.name) == ("bo@example.com", "Requester \u2603 Bo")
    assert event.id.startswith("freshdesk:11:")


def test_status_changed_to_a_custom_status(freshdesk: FakeFreshdesk) -> None:
    body = zulip_shape(
        triggered_event="{status:{from:4,to:6}}", ticket_status="Waiting on Customer", ticket_priority="Low"
    )
    (event,) = parse_hook(body)
    assert event.kind is EventKind.STATUS_CHANGED
    assert event.changes == {"status": "solved"}
    assert event.ticket.status is TicketStatus.PENDING  # waiting on the customer pauses like pending
    assert event.ticket.custom_fields == {"freshdesk_status": "Waiting on Customer", "freshdesk_status_id": 6}
    assert event.ticket.priority is Priority.LOW


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Waiting on Third Party", TicketStatus.ON_HOLD),
        ("Awaiting customer confirmation", TicketStatus.PENDING),
        ("In Progress", TicketStatus.OPEN),
        ("Job Application", TicketStatus.ON_HOLD),
        ("Closed", TicketStatus.CLOSED),
        ("Resolved", TicketStatus.SOLVED),
    ],
)
def test_custom_status_names(freshdesk: FakeFreshdesk, name: str, expected: TicketStatus) -> None:
    (event,) = parse_hook(zulip_shape(triggered_event="{status:{from:2,to:7}}", ticket_status=name))
    assert event.ticket.status is expected


def test_custom_status_override(freshdesk: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES", '{"Job Application": "open", "7": "pending"}')
    (named,) = parse_hook(
        zulip_shape(triggered_event="{status:{from:2,to:8}}", ticket_status="Job Application")
    )
    (by_id,) = parse_hook(zulip_shape(triggered_event="{status:{from:7,to:2}}", ticket_status="Open"))
    assert named.ticket.status is TicketStatus.OPEN
    assert by_id.changes == {"status": "pending"}


def test_priority_changed(freshdesk: FakeFreshdesk) -> None:
    (event,) = parse_hook(zulip_shape(triggered_event="{priority:{from:3,to:1}}", ticket_priority="Low"))
    assert event.kind is EventKind.FIELDS_CHANGED
    assert event.changes == {"priority": "high"} and event.ticket.priority is Priority.LOW


def test_private_and_public_notes(freshdesk: FakeFreshdesk) -> None:
    (private,) = parse_hook(
        zulip_shape(triggered_event="{note_type:private}", latest_private_comment="#promise refund")
    )
    (public,) = parse_hook(zulip_shape(triggered_event="{note_type:public}", latest_public_comment="FYI"))
    assert (private.kind, private.public, private.body) == (EventKind.INTERNAL_NOTE, False, "#promise refund")
    assert (public.kind, public.public, public.body) == (EventKind.INTERNAL_NOTE, True, "FYI")
    assert private.actor.role is ActorRole.AGENT


def test_body_without_triggered_event_is_a_snapshot(freshdesk: FakeFreshdesk) -> None:
    body = zulip_shape(ticket_status="Waiting on Customer")
    del body["freshdesk_webhook"]["triggered_event"]
    (event,) = parse_hook(body)
    assert event.kind is EventKind.FIELDS_CHANGED and event.changes == {}
    assert event.ticket.status is TicketStatus.PENDING


def test_unknown_event_is_reported_as_a_field_change(freshdesk: FakeFreshdesk) -> None:
    (event,) = parse_hook(zulip_shape(triggered_event="{unknown_event:{from:3,to:1}}"))
    assert event.kind is EventKind.FIELDS_CHANGED and event.changes == {"unknown_event": "3"}


def test_inline_images_leave_readable_text(freshdesk: FakeFreshdesk) -> None:
    description = (
        "<div>Too many cats \u2603. Exhibit 1:</div>\n<div><br></div>\n<div></div>\n"
        '<div><img src="http://cdn.example/guinea_pig.png" class="inline-image"></div>\n<br>'
    )
    (event,) = parse_hook(zulip_shape(ticket_description=description, ticket_priority="Urgent"))
    assert event.body == "Too many cats \u2603. Exhibit 1:"
    assert event.ticket.priority is Priority.URGENT


@pytest.mark.parametrize(
    ("source", "channel", "role"),
    [
        ("Email", Channel.EMAIL, ActorRole.CUSTOMER),
        ("Portal", Channel.WEB, ActorRole.CUSTOMER),
        ("Phone", Channel.PHONE, ActorRole.CUSTOMER),
        ("Chat", Channel.CHAT, ActorRole.CUSTOMER),
        ("Feedback Widget", Channel.WEB, ActorRole.CUSTOMER),
        ("Outbound Email", Channel.EMAIL, ActorRole.AGENT),
        ("9", Channel.WEB, ActorRole.CUSTOMER),
        ("10", Channel.EMAIL, ActorRole.AGENT),
        ("Twitter", Channel.SOCIAL, ActorRole.CUSTOMER),
        ("Carrier pigeon", Channel.OTHER, ActorRole.CUSTOMER),
    ],
)
def test_every_source(freshdesk: FakeFreshdesk, source: str, channel: Channel, role: ActorRole) -> None:
    (event,) = parse_hook(zulip_shape(ticket_source=source))
    assert event.ticket.channel is channel and event.actor.role is role


def test_unrendered_placeholders_fall_back_on_emails(freshdesk: FakeFreshdesk) -> None:
    body = zulip_shape(
        requester_id="{{ticket.requester.id}}",
        agent_id="",
        agent_email="ada@shop.example",
        group_id="{{ticket.group.id}}",
        group_name="Billing",
        ticket_tags="billing, refund request",
    )
    (event,) = parse_hook(body)
    ticket = event.ticket
    assert (ticket.requester.id, ticket.assignee, ticket.group) == (
        "bo@example.com",
        "ada@shop.example",
        "Billing",
    )
    assert ticket.tags == ("billing", "refund request")


def test_rule_literal_decides_replies(freshdesk: FakeFreshdesk) -> None:
    customer = zulip_shape(
        serviceflow_event="customer_reply", triggered_event="", latest_public_comment="Still broken"
    )
    agent = zulip_shape(
        serviceflow_event="agent_reply", triggered_event="{reply_sent:sent}", latest_public_comment="Fixed?"
    )
    (message,) = parse_hook(customer)
    (reply,) = parse_hook(agent)
    assert (message.kind, message.actor.role, message.body) == (
        EventKind.CUSTOMER_MESSAGE,
        ActorRole.CUSTOMER,
        "Still broken",
    )
    assert (reply.kind, reply.actor.role, reply.public) == (EventKind.AGENT_REPLY, ActorRole.AGENT, True)


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        (b"not json", "not_json", "body"),
        (b"[1, 2]", "unknown_shape", "body"),
        (b'{"hello": "world"}', "unknown_shape", "ticket.id"),
        (b'{"freshdesk_webhook": [1]}', "unknown_shape", "freshdesk_webhook"),
        (b'{"freshdesk_webhook": {"id": 1}}', "unknown_shape", "ticket.id"),
        (json.dumps(zulip_shape(ticket_id="{{ticket.id}}")).encode(), "invalid_field", "ticket.id"),
        (json.dumps(zulip_shape(triggered_event="changed")).encode(), "invalid_field", "triggered_event"),
    ],
)  # fmt: skip
def test_bad_bodies_are_rejected_naming_the_field(
    freshdesk: FakeFreshdesk, body: bytes, reason: str, field: str
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_hook(body)
    assert (caught.value.reason, caught.value.status) == (reason, 400)
    assert getattr(caught.value, "field", None) == field


def test_triggered_event_grammar() -> None:
    assert parse("{ticket_action:created}").value == "created"
    change = parse("{status:{from:4,to:6}}")
    assert (change.key, change.old, change.new, change.is_change) == ("status", "4", "6", True)
    assert (parse("{responder_id:{from:,to:5}}").old, parse("{group_id:{from:null,to:7}}").old) == (
        None,
        None,
    )
    for bad in ("ticket_action:created", "{status:{from:4}}", "{}", "{status:{from:4,to:6}"):
        with pytest.raises(TriggeredEventError):
            parse(bad)


def test_template_is_json_once_rendered() -> None:
    assert set(RULE_EVENTS) == {"ticket_created", "ticket_updated", "agent_reply", "customer_reply"}
    for event in RULE_EVENTS:
        rendered = re.sub(r"\{\{[^}]*\}\}", "x", trigger_body(event))
        assert json.loads(rendered)["freshdesk_webhook"]["serviceflow_event"] == event
    assert "{{triggered_event}}" in TRIGGER_BODY_TEMPLATE
    with pytest.raises(ValueError, match="unknown rule event"):
        trigger_body("ticket_deleted")


# ---------------------------------------------------------------------- the fake's rules, over HTTP


def parsed(received: Received) -> list[TicketEvent]:
    """A delivery the receiver got, parsed as serviceflow's receiver would (its receipt time too)."""
    return ADAPTER.parse_webhook(received.request(), account=ACCOUNT, identity=NOBODY)


def events_of(receiver: WebhookReceiver) -> list[TicketEvent]:
    return [e for r in receiver.accepted() for e in parsed(r)]


def test_every_rule_of_the_readme_parses(freshdesk: FakeFreshdesk, receiver: WebhookReceiver) -> None:
    billing = freshdesk.add_group("Billing")
    ada = freshdesk.add_agent("Ada", email="ada@shop.example", groups=[billing["id"]])
    freshdesk.add_serviceflow_rules(receiver.url, secret=SECRET)
    casey = freshdesk.add_contact("Casey", email="casey@example.com")
    ticket = freshdesk.add_ticket(
        "Charged twice", requester_id=casey["id"], priority=3, tags=["billing"], notify=True
    )
    tid = ticket["id"]
    freshdesk.wait_for_deliveries(1)
    freshdesk.update_ticket(tid, {"responder_id": ada["id"], "group_id": billing["id"]})
    freshdesk.wait_for_deliveries(2)
    freshdesk.customer_reply(tid, "Any news?")
    freshdesk.wait_for_deliveries(3)
    freshdesk.agent_reply(tid, "Refund is on its way.", actor_id=ada["id"])
    freshdesk.wait_for_deliveries(4)
    freshdesk.add_note(tid, "#promise refund by Friday", actor_id=ada["id"])
    freshdesk.wait_for_deliveries(5)
    freshdesk.update_ticket(tid, {"status": 6})
    freshdesk.wait_for_deliveries(6)
    events = events_of(receiver)
    assert [e.kind for e in events] == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.AGENT_REPLY,
        EventKind.INTERNAL_NOTE,
        EventKind.STATUS_CHANGED,
    ]
    created, assigned, message, reply, note, status = events
    assert created.ticket.requester.id == str(casey["id"]) and created.ticket.priority is Priority.HIGH
    assert (assigned.ticket.assignee, assigned.ticket.group, assigned.changes) == (
        str(ada["id"]),
        str(billing["id"]),
        {"assignee": None},
    )
    assert message.body == "Any news?" and message.actor.id == str(casey["id"])
    assert reply.body == "Refund is on its way."
    assert note.body == "#promise refund by Friday" and note.public is False
    assert status.ticket.status is TicketStatus.PENDING and status.changes == {"status": "open"}
    assert len({e.id for e in events}) == 6


def test_a_redelivery_has_the_same_event_id(freshdesk: FakeFreshdesk, receiver: WebhookReceiver) -> None:
    freshdesk.add_rule(receiver.url, "ticket_created", secret=SECRET)
    receiver.respond_next(503)  # the first call fails; Freshdesk calls again later
    freshdesk.add_ticket("Hi", notify=True)
    (delivery,) = freshdesk.wait_for_deliveries(1)
    assert [a.status for a in delivery.attempts] == [503, 200]
    first, second = receiver.received
    assert first.body == second.body
    assert [e.id for e in parsed(first)] == [e.id for e in parsed(second)]
