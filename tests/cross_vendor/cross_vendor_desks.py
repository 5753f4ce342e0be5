"""The cross-vendor story's moves, done in each fake helpdesk as people would make them, and the
settings that point each registered adapter at its fake (through the environment, as in
production). One desk per shipped helpdesk plugin; each fake runs on the same stepping clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import pytest
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.webhooks import DEFAULT_CHANGE_FIELD
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import ELSEWHERE, plugin_settings

SECRETS = {
    "zendesk": "zd-cross-vendor-secret",
    "freshdesk": "fd-cross-vendor-secret",
    "helpscout": "hs-cross-vendor",
}


@dataclass
class SteppingClock:
    """A clock that stands still until told to move (fixed times in every fake)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


class Desk(Protocol):
    """What the story does in a helpdesk; ids are the vendor's, as ints."""

    vendor: str

    def wait_idle(self) -> None: ...
    def customer(self, name: str, email: str) -> int: ...
    def open_ticket(self, customer: int, subject: str, body: str) -> int: ...
    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None: ...
    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None: ...
    def set_status(self, ticket_id: int, agent: int, status: str) -> None: ...
    def assignee(self, ticket_id: int) -> str | None: ...
    def texts(self, ticket_id: int) -> list[str]: ...
    def status(self, ticket_id: int) -> str: ...


class ZendeskDesk:
    vendor = "zendesk"

    def __init__(self, fake: FakeZendesk, url: str) -> None:
        self.fake = fake
        frontline, triage = fake.add_group("frontline"), fake.add_group("triage")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[frontline["id"]])
        fake.add_agent("Bea Agent", email="bea@shop.example", groups=[frontline["id"], triage["id"]])
        fake.add_webhook(url, kind="event", secret=SECRETS[self.vendor])

    @staticmethod
    def configure(fake: FakeZendesk, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ELSEWHERE:
            monkeypatch.delenv(name, raising=False)
        for name, value in plugin_settings(fake, webhook_secret=SECRETS["zendesk"]).items():
            monkeypatch.setenv(name, value)

    def wait_idle(self) -> None:
        self.fake.webhooks.wait_idle(timeout=10)

    def customer(self, name: str, email: str) -> int:
        return int(self.fake.add_user(name, email=email)["id"])

    def open_ticket(self, customer: int, subject: str, body: str) -> int:
        ticket, _audit, _change = self.fake.state.create_ticket(
            {"subject": subject, "comment": {"body": body}, "requester_id": customer, "priority": "high"},
            actor_id=customer,
            system_fields={"via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}}},
        )
        return int(ticket["id"])

    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None:
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=customer)

    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None:
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=agent)

    def set_status(self, ticket_id: int, agent: int, status: str) -> None:
        self.fake.update_ticket(ticket_id, {"status": status}, actor_id=agent)

    def assignee(self, ticket_id: int) -> str | None:
        value = self.fake.ticket(ticket_id)["assignee_id"]
        return None if value is None else str(value)

    def texts(self, ticket_id: int) -> list[str]:
        return [c["body"] for c in self.fake.comments(ticket_id)]

    def status(self, ticket_id: int) -> str:
        return str(self.fake.ticket(ticket_id)["status"])


class FreshdeskDesk:
    vendor = "freshdesk"
    _STATUS = {"pending": 3, "solved": 4}

    def __init__(self, fake: FakeFreshdesk, url: str) -> None:
        self.fake = fake
        frontline, triage = fake.add_group("frontline"), fake.add_group("triage")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[frontline["id"]])
        fake.add_agent("Bea Agent", email="bea@shop.example", groups=[frontline["id"], triage["id"]])
        fake.add_serviceflow_rules(url, secret=SECRETS[self.vendor])

    @staticmethod
    def configure(fake: FakeFreshdesk, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("DOMAIN", "CUSTOM_STATUSES", "ON_HOLD_STATUS", "WEBHOOK_HEADER"):
            monkeypatch.delenv(f"SERVICEFLOW_FRESHDESK_{name}", raising=False)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_API_KEY", fake.api_key)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET", SECRETS["freshdesk"])
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_CHANGE_FIELD", DEFAULT_CHANGE_FIELD)

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def customer(self, name: str, email: str) -> int:
        return int(self.fake.add_contact(name, email=email)["id"])

    def open_ticket(self, customer: int, subject: str, body: str) -> int:
        ticket = self.fake.add_ticket(
            subject, description=f"<div>{body}</div>", requester_id=customer, priority=3, notify=True
        )
        return int(ticket["id"])

    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None:
        self.fake.customer_reply(ticket_id, body)

    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None:
        self.fake.agent_reply(ticket_id, body, actor_id=agent)

    def set_status(self, ticket_id: int, agent: int, status: str) -> None:
        self.fake.update_ticket(ticket_id, {"status": self._STATUS[status]}, actor_id=agent)

    def assignee(self, ticket_id: int) -> str | None:
        value = self.fake.ticket(ticket_id)["responder_id"]
        return None if value is None else str(value)

    def texts(self, ticket_id: int) -> list[str]:
        return [c["body_text"] for c in self.fake.conversations(ticket_id)]

    def status(self, ticket_id: int) -> str:
        return {2: "open", 3: "pending", 4: "solved", 5: "closed"}.get(
            self.fake.ticket(ticket_id)["status"], "?"
        )


class HelpScoutDesk:
    """Help Scout has no priority: the story's "high" is the ``priority-high`` tag; its "solved"
    is ``closed``, which a customer's reply reopens (the plugin's README)."""

    vendor = "helpscout"
    _STATUS = {"pending": "pending", "solved": "closed"}

    def __init__(self, fake: FakeHelpScout, url: str) -> None:
        self.fake = fake
        ada = fake.add_user("Ada Agent", "ada@shop.example")
        bea = fake.add_user("Bea Agent", "bea@shop.example")
        fake.add_team("frontline", members=[ada["id"], bea["id"]])
        fake.add_team("triage", members=[bea["id"]])
        fake.add_webhook(url, secret=SECRETS[self.vendor])

    @staticmethod
    def configure(fake: FakeHelpScout, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("COMPANY", "PRIORITY_TAG_PREFIX", "SPAM_MAILBOXES"):
            monkeypatch.delenv(f"SERVICEFLOW_HELPSCOUT_{name}", raising=False)
        monkeypatch.setenv("SERVICEFLOW_HELPSCOUT_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_HELPSCOUT_APP_ID", fake.app_id)
        monkeypatch.setenv("SERVICEFLOW_HELPSCOUT_APP_SECRET", fake.app_secret)
        monkeypatch.setenv("SERVICEFLOW_HELPSCOUT_WEBHOOK_SECRET", SECRETS["helpscout"])

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def customer(self, name: str, email: str) -> int:
        return int(self.fake.add_customer(name, email)["id"])

    def open_ticket(self, customer: int, subject: str, body: str) -> int:
        return int(self.fake.open_conversation(customer, subject, body, tags=("priority-high",))["id"])

    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None:
        self.fake.customer_writes(ticket_id, body)

    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None:
        self.fake.user_reply(ticket_id, agent, body)

    def set_status(self, ticket_id: int, agent: int, status: str) -> None:
        self.fake.set_status(ticket_id, agent, self._STATUS[status])

    def assignee(self, ticket_id: int) -> str | None:
        assignee = self.fake.conversation(ticket_id).get("assignee")
        return None if assignee is None else str(assignee["id"])

    def texts(self, ticket_id: int) -> list[str]:
        return self.fake.texts(ticket_id)

    def status(self, ticket_id: int) -> str:
        return {"active": "open", "closed": "solved"}.get(self.fake.conversation(ticket_id)["status"], "?")
