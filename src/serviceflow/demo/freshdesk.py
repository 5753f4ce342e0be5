"""The fake Freshdesk as the demo helpdesk (``serviceflow dev --helpdesk freshdesk``).

The fake runs the README's four automation rules, so every ticket change reaches the receiver
as a "Trigger webhook" call with the shared secret; the worker reads the roster from the fake's
REST API, carries out actions through the Freshdesk plugin, and watches its spam folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from serviceflow_freshdesk import text
from serviceflow_freshdesk.fake import FakeFreshdesk

from serviceflow.demo.story import WEBHOOK_SECRET, demo_account, demo_settings, seed_people


@dataclass
class DemoFreshdesk:
    """A seeded fake Freshdesk on 127.0.0.1, and what ``serviceflow dev`` needs to use it."""

    fake: FakeFreshdesk = field(default_factory=FakeFreshdesk)
    account: str = field(default_factory=demo_account)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start(self) -> DemoFreshdesk:
        self.fake.start()
        self.people = seed_people(self.fake.add_group, self.fake.add_agent, self.fake.add_contact)
        return self

    def stop(self) -> None:
        self.fake.stop()

    def configure(self, receiver_url: str) -> dict[str, Any]:
        """Point the plugin at the fake and the fake's automation rules at the receiver; returns
        the settings to merge into serviceflow's."""
        os.environ.update(
            SERVICEFLOW_FRESHDESK_DOMAIN=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_FRESHDESK_BASE_URL=self.fake.base_url,
            SERVICEFLOW_FRESHDESK_API_KEY=self.fake.api_key,
            SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        self.fake.add_serviceflow_rules(f"{receiver_url}/webhooks/freshdesk", secret=WEBHOOK_SECRET)
        return demo_settings("freshdesk", self.account)

    # -- what the story and the narrator do in it -------------------------------------------

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> int:
        ticket = self.fake.add_ticket(
            subject, description=text.to_html(body), requester_id=self.people[who]["id"],
            tags=list(tags), notify=True,
        )  # fmt: skip
        return int(ticket["id"])

    def reply(self, ticket_id: int, body: str) -> bool:
        assignee = self.fake.ticket(ticket_id)["responder_id"]
        if not assignee:
            return False
        self.fake.agent_reply(ticket_id, body, actor_id=assignee)
        return True

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        """Freshdesk files such mail as a ticket flagged spam (no rule fires for it); it keeps no
        cause, and the recipient is the support address the ticket came in on."""
        person = self.people.get(who)
        sender = {"requester_id": person["id"]} if person else {"email": who}
        self.fake.add_ticket(subject, description=text.to_html(content), spam=True, **sender)

    def tickets(self) -> list[tuple[int, str, Any]]:
        return [
            (int(t["id"]), t["subject"], t["responder_id"])
            for t in self.fake.tickets()
            if not t.get("spam") and not t.get("deleted")
        ]

    def notes(self, ticket_id: int) -> list[tuple[Any, str]]:
        return [
            (c["id"], c.get("body_text") or text.plain(c.get("body") or ""))
            for c in self.fake.notes(ticket_id)
        ]
