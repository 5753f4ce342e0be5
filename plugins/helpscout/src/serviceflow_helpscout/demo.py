"""The fake Help Scout as the demo helpdesk of ``serviceflow dev --helpdesk helpscout``.

Everything goes the real way: the fake sends signed webhooks for every conversation event to the
receiver (for serviceflow's own writes too), the receiver reads the conversations' threads from
the fake to tell who wrote what, the worker reads the roster and carries out actions through this
plugin's adapter (an OAuth2 token and all), and the quarantine watcher polls the Spam folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serviceflow.adapters import DemoPerson
from serviceflow.demo.story import demo_account, seed_people

from .convert import VENDOR, plain
from .fake import FakeHelpScout


def _person(record: Mapping[str, Any]) -> DemoPerson:
    name = " ".join(p for p in (record.get("firstName"), record.get("lastName")) if p)
    email = record.get("email") or record["_embedded"]["emails"][0]["value"]
    return DemoPerson(id=str(record["id"]), name=name, email=str(email))


@dataclass
class DemoHelpScout:
    """A seeded fake Help Scout on 127.0.0.1 (the :class:`~serviceflow.adapters.DemoHelpdesk` protocol)."""

    fake: FakeHelpScout = field(default_factory=FakeHelpScout)
    account: str = field(default_factory=demo_account)
    vendor: str = VENDOR
    _people: dict[str, DemoPerson] = field(default_factory=dict)

    @property
    def people(self) -> Mapping[str, DemoPerson]:
        return self._people

    @property
    def where(self) -> str:
        return f"fake Help Scout at {self.fake.base_url}"

    def start(self) -> None:
        self.fake.start()
        seeded = seed_people(self.fake.add_team, self._add_agent, self.fake.add_customer)
        self._people = {key: _person(record) for key, record in seeded.items()}

    def _add_agent(self, name: str, *, email: str, groups: Sequence[int]) -> dict[str, Any]:
        user = self.fake.add_user(name, email)
        for team in groups:
            self.fake.join(team, user["id"])
        return user

    def stop(self) -> None:
        self.fake.stop()

    def connect(self, receiver_url: str, secret: str) -> None:
        os.environ.update(
            SERVICEFLOW_HELPSCOUT_COMPANY=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_HELPSCOUT_BASE_URL=self.fake.base_url,
            SERVICEFLOW_HELPSCOUT_APP_ID=self.fake.app_id,
            SERVICEFLOW_HELPSCOUT_APP_SECRET=self.fake.app_secret,
            SERVICEFLOW_HELPSCOUT_WEBHOOK_SECRET=secret,
        )
        self.fake.add_webhook(f"{receiver_url}/webhooks/{VENDOR}", secret=secret)

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> str:
        conversation = self.fake.open_conversation(int(self._people[who].id), subject, body, tags=tags)
        return str(conversation["id"])

    def reply(self, ticket_id: str, body: str) -> bool:
        assignee = self.fake.conversation(int(ticket_id)).get("assignee")
        if not assignee or assignee.get("type") != "user":
            return False
        self.fake.user_reply(int(ticket_id), int(assignee["id"]), body)
        return True

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        """Help Scout's filter files such mail in the inbox's Spam folder (it keeps no cause);
        the recipient is the inbox it came in on."""
        person = self._people.get(who)
        mailbox = self.fake.state.mailbox_by_email(recipient) or self.fake.add_mailbox(recipient, recipient)
        self.fake.spam_arrives(
            person.email if person else who,
            subject,
            content,
            name=person.name if person else None,
            mailbox_id=mailbox["id"],
        )

    def tickets(self) -> list[tuple[str, str, str | None]]:
        return [
            (str(c["id"]), c["subject"], str(c["assignee"]["id"]) if c.get("assignee") else None)
            for c in self.fake.conversations()
            if c["status"] != "spam"
        ]

    def notes(self, ticket_id: str) -> list[tuple[str, str]]:
        return [
            (str(t["id"]), plain(t["body"])) for t in self.fake.threads(int(ticket_id)) if t["type"] == "note"
        ]
