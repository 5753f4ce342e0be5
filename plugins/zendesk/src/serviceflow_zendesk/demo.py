"""The fake Zendesk as the demo helpdesk of ``serviceflow dev --helpdesk zendesk``.

Everything goes the real way: the fake sends signed event webhooks to the receiver (for
serviceflow's own writes too, as Zendesk's event subscriptions do), the worker reads the roster
from the fake's REST API and carries out actions through this plugin's adapter, and the
quarantine watcher polls the fake's suspended tickets queue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serviceflow.adapters import DemoPerson
from serviceflow.demo.story import demo_account, seed_people

from .convert import VENDOR
from .fake import FakeZendesk


def _person(record: Mapping[str, Any]) -> DemoPerson:
    return DemoPerson(id=str(record["id"]), name=str(record["name"]), email=str(record["email"]))


@dataclass
class DemoZendesk:
    """A seeded fake Zendesk on 127.0.0.1 (the :class:`~serviceflow.adapters.DemoHelpdesk` protocol)."""

    fake: FakeZendesk = field(default_factory=FakeZendesk)
    account: str = field(default_factory=demo_account)
    vendor: str = VENDOR
    _people: dict[str, DemoPerson] = field(default_factory=dict)

    @property
    def people(self) -> Mapping[str, DemoPerson]:
        return self._people

    @property
    def where(self) -> str:
        return f"fake Zendesk at {self.fake.base_url}"

    def start(self) -> None:
        self.fake.start()
        seeded = seed_people(self.fake.add_group, self.fake.add_agent, self.fake.add_user)
        self._people = {key: _person(record) for key, record in seeded.items()}

    def stop(self) -> None:
        self.fake.stop()

    def connect(self, receiver_url: str, secret: str) -> None:
        os.environ.update(
            SERVICEFLOW_ZENDESK_SUBDOMAIN=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_ZENDESK_BASE_URL=self.fake.base_url,
            SERVICEFLOW_ZENDESK_EMAIL=self.fake.email,
            SERVICEFLOW_ZENDESK_API_TOKEN=self.fake.api_token,
            SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=secret,
        )
        os.environ.pop("SERVICEFLOW_ZENDESK_OAUTH_TOKEN", None)
        self.fake.add_webhook(f"{receiver_url}/webhooks/{VENDOR}", secret=secret)

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> str:
        requester = int(self._people[who].id)
        fields = {"subject": subject, "comment": {"body": body, "public": True}, "requester_id": requester}
        ticket = self.fake.state.add_ticket({**fields, "tags": list(tags)}, actor_id=requester, notify=True)
        return str(ticket["id"])

    def reply(self, ticket_id: str, body: str) -> bool:
        assignee = self.fake.ticket(int(ticket_id))["assignee_id"]
        if not assignee:
            return False
        self.fake.update_ticket(
            int(ticket_id), {"comment": {"body": body, "public": True}}, actor_id=assignee
        )
        return True

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        person = self._people.get(who)
        self.fake.add_suspended(
            person.email if person else who,
            author_name=person.name if person else None,
            subject=subject,
            content=content,
            cause=cause,
            recipient=recipient,
        )

    def tickets(self) -> list[tuple[str, str, str | None]]:
        return [
            (str(t["id"]), t["subject"], None if t["assignee_id"] is None else str(t["assignee_id"]))
            for t in self.fake.tickets()
        ]

    def notes(self, ticket_id: str) -> list[tuple[str, str]]:
        return [(str(c["id"]), c.get("body") or "") for c in self.fake.comments(int(ticket_id))]
