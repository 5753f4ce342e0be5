"""The fake Zendesk driven for serviceflow's conformance suite (:mod:`serviceflow.testing`).

Every move is the fake's own API, as a person in Zendesk (or Zendesk itself) would make it. The
documented webhook shapes are built by the fake's payload code from real changes (the ticket
events of developer.zendesk.com/api-reference/webhooks/event-types/ticket-events, CONTRACTS.md
§1.9), plus the trigger body of the README and a user event from a real fixture (§5).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from serviceflow_zendesk import TRIGGER_BODY_TEMPLATE
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.payloads import event_envelopes, render_trigger_body
from serviceflow_zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

from serviceflow.adapters import WebhookRequest
from serviceflow.testing import Tampering

DATA = Path(__file__).resolve().parent / "data"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskDesk:
    """:class:`serviceflow.testing.ContractDesk` over a :class:`FakeZendesk`."""

    def __init__(self, fake: FakeZendesk, secret: str) -> None:
        self.fake = fake
        self.secret = secret
        fake.incremental_lag = 0  # the suite lists what it just changed (Zendesk leaves out a minute)

    def signed(self, body: bytes, *, timestamp: str | None = None) -> WebhookRequest:
        """A delivery as Zendesk sends it: the five ``x-zendesk-*`` headers, signed."""
        stamp = timestamp or _stamp(datetime.now(UTC))
        return WebhookRequest(
            "POST",
            {
                "content-type": "application/json",
                "x-zendesk-account-id": str(self.fake.state.account_id),
                "x-zendesk-webhook-id": "01CONTRACT0000000000000000",
                "x-zendesk-webhook-invocation-id": "1",
                SIGNATURE_HEADER: sign(self.secret, stamp, body),
                TIMESTAMP_HEADER: stamp,
            },
            body,
        )

    # ------------------------------------------------------------------ the desk

    def send_webhooks_to(self, url: str) -> None:
        self.fake.add_webhook(url, secret=self.secret)

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def add_agent(self, name: str, email: str) -> str:
        return str(self.fake.add_agent(name, email=email)["id"])

    def open_ticket(self, subject: str, body: str, *, requester_name: str, requester_email: str) -> str:
        user = self.fake.add_user(requester_name, email=requester_email)
        fields = {"subject": subject, "comment": {"body": body, "public": True}, "requester_id": user["id"]}
        return str(self.fake.state.add_ticket(fields, actor_id=user["id"], notify=True)["id"])

    def customer_writes(self, ticket_id: str, body: str) -> None:
        requester = self.fake.ticket(int(ticket_id))["requester_id"]
        self.fake.update_ticket(
            int(ticket_id), {"comment": {"body": body, "public": True}}, actor_id=requester
        )

    def agent_notes(self, ticket_id: str, agent_id: str, body: str) -> None:
        self.fake.update_ticket(
            int(ticket_id), {"comment": {"body": body, "public": False}}, actor_id=int(agent_id)
        )

    def texts(self, ticket_id: str) -> list[str]:
        return [c["body"] for c in self.fake.comments(int(ticket_id))]

    def assignee(self, ticket_id: str) -> str | None:
        value = self.fake.ticket(int(ticket_id))["assignee_id"]
        return None if value is None else str(value)

    def tags(self, ticket_id: str) -> list[str]:
        return list(self.fake.ticket(int(ticket_id))["tags"])

    def fail_next(self, n: int, *, status: int, retry_after: float | None = None) -> None:
        self.fake.fail_next(n, status=status, retry_after=retry_after)

    def fail_next_write(self, ticket_id: str, action_type: str, *, status: int, after_write: bool) -> None:
        """Tags go through the Tags endpoints (PUT adds, DELETE removes); everything else is a
        ticket PUT (comments included)."""
        method, path = {
            "add_tags": ("PUT", f"/api/v2/tickets/{ticket_id}/tags"),
            "remove_tags": ("DELETE", f"/api/v2/tickets/{ticket_id}/tags"),
        }.get(action_type, ("PUT", f"/api/v2/tickets/{ticket_id}"))
        self.fake.fail_next(
            1, status=status, retry_after=None, method=method, path=path, after_write=after_write
        )

    def quarantine(self, sender_email: str, subject: str, body: str) -> str | None:
        return str(self.fake.add_suspended(sender_email, subject=subject, content=body)["id"])

    def documented_webhooks(self, ticket_id: str) -> list[tuple[str, WebhookRequest]]:
        """One delivery of every ticket event type the adapter handles, from real changes of a
        twin of the ticket (made without webhooks), the trigger body, and a user event."""
        state, fake = self.fake.state, self.fake
        group = fake.add_group("Docs")
        agent = fake.add_agent("Docs Agent", email=f"docs-{ticket_id}@shop.example", groups=[group["id"]])
        original = fake.ticket(int(ticket_id))
        requester = original["requester_id"]
        now = datetime.now(UTC)
        _ticket, _audit, created = state.create_ticket(
            {
                "subject": original["subject"],
                "comment": {"body": "Please help", "public": True},
                "requester_id": requester,
            },
            actor_id=requester,
            emit=False,
        )
        twin = created.ticket_id
        changes = [created]
        for fields, actor in (
            ({"comment": {"body": "Any news?", "public": True}}, requester),
            (
                {"status": "pending", "priority": "high", "tags": ["vip"], "subject": "Charged twice!"},
                agent["id"],
            ),
            ({"assignee_id": agent["id"], "group_id": group["id"]}, agent["id"]),
            ({"comment": {"body": "We are on it", "public": True}}, agent["id"]),
            ({"comment": {"body": "Check the ledger", "public": False}}, agent["id"]),
            ({"custom_fields": [{"id": 360, "value": "x"}]}, agent["id"]),
            ({"followers": [{"user_id": str(agent["id"]), "action": "put"}]}, agent["id"]),
            ({"external_id": "ext-1", "type": "incident"}, agent["id"]),
        ):
            _t, _a, change = state.update_ticket(twin, fields, actor_id=actor, emit=False)
            assert change is not None
            changes.append(change)
        shapes: list[tuple[str, WebhookRequest]] = []
        for change in changes:
            for envelope in event_envelopes(change, account_id=state.account_id, users=state.users, now=now):
                shapes.append((envelope["type"], self.signed(json.dumps(envelope).encode())))
        trigger = render_trigger_body(
            TRIGGER_BODY_TEMPLATE, fake.ticket(twin), state=state, actor_id=requester,
            latest_comment=fake.comments(twin)[-1],
        )  # fmt: skip
        shapes.append(("trigger body (README)", self.signed(trigger.encode())))
        user_event = (DATA / "zendesk_group_membership_created.json").read_bytes()
        shapes.append(
            ("zen:event-type:user.group_membership_created (real fixture)", self.signed(user_event))
        )
        return shapes

    def tamperings(self, delivery: WebhookRequest) -> list[Tampering]:
        """Zendesk signs timestamp + body (developer.zendesk.com/documentation/webhooks/verifying):
        a changed body, a missing signature or timestamp, and an old or future timestamp."""
        headers: Mapping[str, Any] = delivery.headers
        body = delivery.body
        changed = (
            body.replace(b"Charged twice", b"Charged thrice") if b"Charged twice" in body else body + b" "
        )
        old = _stamp(datetime.now(UTC) - timedelta(hours=1))
        ahead = _stamp(datetime.now(UTC) + timedelta(hours=1))
        without = lambda name: {k: v for k, v in headers.items() if k != name}  # noqa: E731
        return [
            Tampering("a changed body", WebhookRequest("POST", dict(headers), changed), "bad_signature"),
            Tampering(
                "no signature", WebhookRequest("POST", without(SIGNATURE_HEADER), body), "missing_signature"
            ),
            Tampering(
                "no timestamp", WebhookRequest("POST", without(TIMESTAMP_HEADER), body), "missing_timestamp"
            ),
            Tampering("an hour-old signed timestamp", self.signed(body, timestamp=old), "stale_timestamp"),
            Tampering("a timestamp an hour ahead", self.signed(body, timestamp=ahead), "future_timestamp"),
            Tampering(
                "another secret's signature",
                WebhookRequest(
                    "POST",
                    {**headers, SIGNATURE_HEADER: sign("not-the-secret", headers[TIMESTAMP_HEADER], body)},
                    body,
                ),
                "bad_signature",
            ),
        ]
