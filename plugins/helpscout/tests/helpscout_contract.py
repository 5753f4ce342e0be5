"""The fake Help Scout driven for serviceflow's conformance suite (:mod:`serviceflow.testing`).

Every move is the fake's own API, as a customer, a person in Help Scout, or Help Scout itself
would make it. The documented webhook shapes are every event of the official table (CONTRACTS.md
§8.3) about the ticket: the bare v2 conversation (as the fake sends it), the same with its threads
embedded (the other reading of the documentation, §8.4), ``{"id"}`` for ``convo.deleted``, and
the events no case reacts to; each signed as Help Scout signs (§8.5).
"""

from __future__ import annotations

import json

from helpscout_testing import SECRET, delivery
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_helpscout.fake.webhooks import CONVERSATION_EVENTS, encode
from serviceflow_helpscout.signature import sign

from serviceflow.adapters import WebhookRequest
from serviceflow.testing import Tampering


class HelpScoutDesk:
    """:class:`serviceflow.testing.ContractDesk` over a :class:`FakeHelpScout`."""

    def __init__(self, fake: FakeHelpScout, secret: str = SECRET) -> None:
        self.fake = fake
        self.secret = secret

    def send_webhooks_to(self, url: str) -> None:
        self.fake.add_webhook(url, secret=self.secret)

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def add_agent(self, name: str, email: str) -> str:
        return str(self.fake.add_user(name, email)["id"])

    def open_ticket(self, subject: str, body: str, *, requester_name: str, requester_email: str) -> str:
        customer = self.fake.add_customer(requester_name, requester_email)
        return str(self.fake.open_conversation(customer["id"], subject, body)["id"])

    def customer_writes(self, ticket_id: str, body: str) -> None:
        self.fake.customer_writes(int(ticket_id), body)

    def agent_notes(self, ticket_id: str, agent_id: str, body: str) -> None:
        self.fake.user_note(int(ticket_id), int(agent_id), body)

    def texts(self, ticket_id: str) -> list[str]:
        return self.fake.texts(int(ticket_id))

    def assignee(self, ticket_id: str) -> str | None:
        assignee = self.fake.conversation(int(ticket_id)).get("assignee")
        return None if assignee is None else str(assignee["id"])

    def tags(self, ticket_id: str) -> list[str]:
        return [t["tag"] for t in self.fake.conversation(int(ticket_id))["tags"]]

    def fail_next(self, n: int, *, status: int, retry_after: float | None = None) -> None:
        self.fake.fail_next(n, status=status, retry_after=retry_after)

    def fail_next_write(self, ticket_id: str, action_type: str, *, status: int, after_write: bool) -> None:
        """Notes (and notifications) are POSTs to ``notes``, replies to ``reply``, tags (and the
        priority tag) a PUT of ``tags``, assignment and status a PATCH of the conversation."""
        base = f"/v2/conversations/{ticket_id}"
        method, path = {
            "add_internal_note": ("POST", f"{base}/notes"),
            "notify": ("POST", f"{base}/notes"),
            "add_public_reply": ("POST", f"{base}/reply"),
            "add_tags": ("PUT", f"{base}/tags"),
            "remove_tags": ("PUT", f"{base}/tags"),
            "set_priority": ("PUT", f"{base}/tags"),
        }.get(action_type, ("PATCH", base))
        self.fake.fail_next(
            1, status=status, retry_after=None, method=method, path=path, after_write=after_write
        )

    def quarantine(self, sender_email: str, subject: str, body: str) -> str | None:
        """Help Scout's filter puts such mail in the Spam folder: a conversation in status spam."""
        return str(self.fake.spam_arrives(sender_email, subject, body)["id"])

    def documented_webhooks(self, ticket_id: str) -> list[tuple[str, WebhookRequest]]:
        cid = int(ticket_id)
        bare = self.fake.conversation(cid)
        embedded = self.fake.state.conversation(cid, threads=True)
        shapes = [
            (f"{e}, the bare conversation", delivery(e, encode(bare), self.secret))
            for e in CONVERSATION_EVENTS
            if e != "convo.deleted"
        ]
        shapes += [
            (f"{e}, threads embedded", delivery(e, encode(embedded), self.secret))
            for e in CONVERSATION_EVENTS
            if e != "convo.deleted"
        ]
        shapes.append(
            ("convo.deleted", delivery("convo.deleted", json.dumps({"id": cid}).encode(), self.secret))
        )
        for event, body in (
            ("helpscout.test", {"id": cid}),
            ("customer.created", {"id": 1, "firstName": "Vernon"}),
            ("satisfaction.ratings", {"id": 5, "rating": "great"}),
            ("tag.deleted", {"id": 9}),
        ):
            shapes.append((event, delivery(event, json.dumps(body).encode(), self.secret)))
        return shapes

    def tamperings(self, delivery: WebhookRequest) -> list[Tampering]:
        """Help Scout signs the raw body (CONTRACTS.md §8.5): a changed body, another secret's
        signature, none, one that is not base64 of a SHA-1 digest, and a GET are refused."""
        body, headers = delivery.body, dict(delivery.headers)
        changed = body.replace(b'"status"', b'"Status"', 1) if b'"status"' in body else body + b" "
        return [
            Tampering("a changed body", WebhookRequest("POST", headers, changed), "bad_signature"),
            Tampering(
                "another secret's signature",
                WebhookRequest("POST", {**headers, "x-helpscout-signature": sign("guess", body)}, body),
                "bad_signature",
            ),
            Tampering(
                "no signature",
                WebhookRequest(
                    "POST", {k: v for k, v in headers.items() if k != "x-helpscout-signature"}, body
                ),
                "missing_signature",
            ),
            Tampering(
                "a hex signature",
                WebhookRequest("POST", {**headers, "x-helpscout-signature": "ab" * 20}, body),
                "malformed_signature",
            ),
            Tampering("a GET", WebhookRequest("GET", headers, body), "method_not_allowed"),
        ]
