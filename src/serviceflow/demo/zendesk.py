"""The fake Zendesk as the demo helpdesk: seeded, and wired to the receiver and the worker.

Everything goes the real way: the fake sends signed webhooks to the receiver, the worker reads
the roster from the fake's REST API and carries out actions through the Zendesk plugin, and the
quarantine watcher polls the fake's suspended-tickets queue.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.demo.story import WEBHOOK_SECRET, demo_account, demo_settings, seed_people


@dataclass
class DemoZendesk:
    """A seeded fake Zendesk on 127.0.0.1, and what ``serviceflow dev`` needs to use it."""

    fake: FakeZendesk = field(default_factory=FakeZendesk)
    account: str = field(default_factory=demo_account)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start(self) -> DemoZendesk:
        self.fake.start()
        self.people = seed_people(self.fake.add_group, self.fake.add_agent, self.fake.add_user)
        return self

    def stop(self) -> None:
        self.fake.stop()

    def configure(self, receiver_url: str) -> dict[str, Any]:
        """Point the plugin at the fake (environment of this process) and the fake's webhooks at
        the receiver; returns the settings to merge into serviceflow's."""
        os.environ.update(
            SERVICEFLOW_ZENDESK_SUBDOMAIN=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_ZENDESK_BASE_URL=self.fake.base_url,
            SERVICEFLOW_ZENDESK_EMAIL=self.fake.email,
            SERVICEFLOW_ZENDESK_API_TOKEN=self.fake.api_token,
            SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        os.environ.pop("SERVICEFLOW_ZENDESK_OAUTH_TOKEN", None)
        self.fake.add_webhook(f"{receiver_url}/webhooks/zendesk", secret=WEBHOOK_SECRET)
        return demo_settings("zendesk", self.account)

    # -- what the story and the narrator do in it -------------------------------------------

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> int:
        requester = self.people[who]["id"]
        fields = {"subject": subject, "comment": {"body": body, "public": True}, "requester_id": requester}
        ticket = self.fake.state.add_ticket({**fields, "tags": list(tags)}, actor_id=requester, notify=True)
        return int(ticket["id"])

    def reply(self, ticket_id: int, body: str) -> bool:
        assignee = self.fake.ticket(ticket_id)["assignee_id"]
        if not assignee:
            return False
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=assignee)
        return True

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        person = self.people.get(who)
        self.fake.add_suspended(
            person["email"] if person else who,
            author_name=person["name"] if person else None,
            subject=subject,
            content=content,
            cause=cause,
            recipient=recipient,
        )

    def tickets(self) -> list[tuple[int, str, Any]]:
        return [(int(t["id"]), t["subject"], t["assignee_id"]) for t in self.fake.tickets()]

    def notes(self, ticket_id: int) -> list[tuple[Any, str]]:
        return [(c["id"], c.get("body") or "") for c in self.fake.comments(ticket_id)]
