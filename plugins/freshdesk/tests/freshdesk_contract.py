"""The fake Freshdesk driven for serviceflow's conformance suite (:mod:`serviceflow.testing`).

Every move is the fake's own API, as a person in Freshdesk (or Freshdesk itself) would make it.
The documented webhook shapes are the bodies of the README's automation rules as the fake renders
them, and the shapes of Zulip's real Freshdesk fixtures (CONTRACTS.md §5), each carrying the
shared secret the way a rule's "Trigger webhook" action does (§2.6).
"""

from __future__ import annotations

import json
from typing import Any

from freshdesk_testing import SECRET
from serviceflow_freshdesk import text
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.fake.webhooks import render
from serviceflow_freshdesk.settings import DEFAULT_WEBHOOK_HEADER
from serviceflow_freshdesk.webhooks import RULE_EVENTS, trigger_body

from serviceflow.adapters import WebhookRequest
from serviceflow.testing import Tampering

#: The rule renderings of the README's four rules, by rule (``{{triggered_event}}`` as the fake
#: renders it for each).
_FIRED = {
    "ticket_created": "{ticket_action:created}",
    "ticket_updated": "{status:{from:2,to:3}}",
    "agent_reply": "{reply_sent:sent}",
    "customer_reply": "{customer_reply:received}",
}


class FreshdeskDesk:
    """:class:`serviceflow.testing.ContractDesk` over a :class:`FakeFreshdesk`."""

    def __init__(self, fake: FakeFreshdesk, secret: str = SECRET) -> None:
        self.fake = fake
        self.secret = secret

    def authentic(self, body: bytes) -> WebhookRequest:
        """A rule's call as the README configures it: the secret in the custom header."""
        return WebhookRequest(
            "POST", {"content-type": "application/json", DEFAULT_WEBHOOK_HEADER: self.secret}, body
        )

    # ------------------------------------------------------------------ the desk

    def send_webhooks_to(self, url: str) -> None:
        self.fake.add_serviceflow_rules(url, secret=self.secret)

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def add_agent(self, name: str, email: str) -> str:
        return str(self.fake.add_agent(name, email=email)["id"])

    def open_ticket(self, subject: str, body: str, *, requester_name: str, requester_email: str) -> str:
        contact = self.fake.add_contact(requester_name, email=requester_email)
        ticket = self.fake.add_ticket(
            subject, description=text.to_html(body), requester_id=contact["id"], notify=True
        )
        return str(ticket["id"])

    def customer_writes(self, ticket_id: str, body: str) -> None:
        self.fake.customer_reply(int(ticket_id), body)

    def agent_notes(self, ticket_id: str, agent_id: str, body: str) -> None:
        self.fake.add_note(int(ticket_id), body, actor_id=int(agent_id))

    def texts(self, ticket_id: str) -> list[str]:
        return [c["body_text"] for c in self.fake.conversations(int(ticket_id))]

    def assignee(self, ticket_id: str) -> str | None:
        value = self.fake.ticket(int(ticket_id))["responder_id"]
        return None if value is None else str(value)

    def tags(self, ticket_id: str) -> list[str]:
        return list(self.fake.ticket(int(ticket_id))["tags"])

    def fail_next(self, n: int, *, status: int, retry_after: float | None = None) -> None:
        self.fake.fail_next(n, status=status, retry_after=retry_after)

    def fail_next_write(self, ticket_id: str, action_type: str, *, status: int, after_write: bool) -> None:
        """Notes (and notifications) are POSTs to ``notes``, replies to ``reply``; every field
        change, tags included, is a ticket PUT (CONTRACTS.md §2.3)."""
        method, path = {
            "add_internal_note": ("POST", f"/api/v2/tickets/{ticket_id}/notes"),
            "notify": ("POST", f"/api/v2/tickets/{ticket_id}/notes"),
            "add_public_reply": ("POST", f"/api/v2/tickets/{ticket_id}/reply"),
        }.get(action_type, ("PUT", f"/api/v2/tickets/{ticket_id}"))
        self.fake.fail_next(
            1, status=status, retry_after=None, method=method, path=path, after_write=after_write
        )

    def quarantine(self, sender_email: str, subject: str, body: str) -> str | None:
        """Freshdesk files such mail as a ticket flagged spam."""
        return str(
            self.fake.add_ticket(subject, description=text.to_html(body), email=sender_email, spam=True)["id"]
        )

    def documented_webhooks(self, ticket_id: str) -> list[tuple[str, WebhookRequest]]:
        ticket = self.fake.ticket(int(ticket_id))
        shapes: list[tuple[str, WebhookRequest]] = []
        for rule in RULE_EVENTS:
            body = render(
                trigger_body(rule),
                ticket,
                state=self.fake.state,
                fired=_FIRED[rule],
                base_url=self.fake.base_url,
            )
            shapes.append((f"the README's {rule} rule", self.authentic(body.encode())))
        for fired in ("{ticket_action:created}", "{status:{from:4,to:6}}", "{priority:{from:3,to:1}}",
                      "{note_type:private}", "{note_type:public}", ""):  # fmt: skip
            shapes.append(
                (
                    f"Zulip's template, {fired or 'no triggered event'}",
                    self.authentic(_zulip(ticket_id, fired)),
                )
            )
        simple = {
            "freshdesk_webhook": {
                "ticket_id": ticket_id,
                "ticket_subject": ticket["subject"],
                "ticket_status": "Open",
            }
        }
        shapes.append(('the "Simple" content mode', self.authentic(json.dumps(simple).encode())))
        return shapes

    def tamperings(self, delivery: WebhookRequest) -> list[Tampering]:
        """Freshdesk signs nothing (CONTRACTS.md §2.6): a shared secret authenticates a call, so
        a changed body is undetectable and not among these. A wrong or missing secret, broken
        Basic credentials, and a method no rule uses are refused."""
        body = delivery.body
        plain = {"content-type": "application/json"}
        return [
            Tampering(
                "a wrong secret",
                WebhookRequest("POST", {**plain, DEFAULT_WEBHOOK_HEADER: "guess"}, body),
                "bad_secret",
            ),
            Tampering("no secret", WebhookRequest("POST", plain, body), "missing_secret"),
            Tampering(
                "Basic credentials that are not base64",
                WebhookRequest("POST", {**plain, "authorization": "Basic !!!"}, body),
                "malformed_authorization",
            ),
            Tampering("a GET", WebhookRequest("GET", dict(delivery.headers), b""), "method_not_allowed"),
        ]


def _zulip(ticket_id: str, fired: str) -> bytes:
    """A body of Zulip's Freshdesk template (its fixtures' field set, CONTRACTS.md §5)."""
    body: dict[str, Any] = {
        "triggered_event": fired,
        "ticket_id": ticket_id,
        "ticket_url": f"http://acme.freshdesk.com/helpdesk/tickets/{ticket_id}",
        "ticket_type": "Incident",
        "ticket_subject": "Printer on fire \\u2603",
        "ticket_description": "<div>It is on fire \\u2603.</div>",
        "ticket_status": "Pending",
        "ticket_priority": "High",
        "requester_name": "Requester \\u2603 Bo",
        "requester_email": "bo@example.com",
    }
    if not fired:
        del body["triggered_event"]
    return json.dumps({"freshdesk_webhook": body}).encode()
