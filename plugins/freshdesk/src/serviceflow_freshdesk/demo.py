"""The fake Freshdesk as the demo helpdesk of ``serviceflow dev --helpdesk freshdesk``.

The fake runs the README's four automation rules, so every ticket change (serviceflow's own
included: rules fire on updates by anyone) reaches the receiver as a "Trigger webhook" call with
the shared secret; the worker reads the roster from the fake's REST API, carries out actions
through this plugin's adapter (stamping its own changes), and watches the spam folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serviceflow.adapters import DemoPerson
from serviceflow.demo.story import demo_account, seed_people

from . import text
from .codes import VENDOR
from .fake import FakeFreshdesk
from .webhooks import DEFAULT_CHANGE_FIELD


def _person(record: Mapping[str, Any]) -> DemoPerson:
    contact = record.get("contact") or record  # an agent keeps its name and email on its contact
    return DemoPerson(id=str(record["id"]), name=str(contact["name"]), email=str(contact["email"]))


@dataclass
class DemoFreshdesk:
    """A seeded fake Freshdesk on 127.0.0.1 (the :class:`~serviceflow.adapters.DemoHelpdesk` protocol)."""

    fake: FakeFreshdesk = field(default_factory=FakeFreshdesk)
    account: str = field(default_factory=demo_account)
    vendor: str = VENDOR
    _people: dict[str, DemoPerson] = field(default_factory=dict)

    @property
    def people(self) -> Mapping[str, DemoPerson]:
        return self._people

    @property
    def where(self) -> str:
        return f"fake Freshdesk at {self.fake.base_url}"

    def start(self) -> None:
        self.fake.start()
        seeded = seed_people(self.fake.add_group, self.fake.add_agent, self.fake.add_contact)
        self._people = {key: _person(record) for key, record in seeded.items()}

    def stop(self) -> None:
        self.fake.stop()

    def connect(self, receiver_url: str, secret: str) -> None:
        os.environ.update(
            SERVICEFLOW_FRESHDESK_DOMAIN=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_FRESHDESK_BASE_URL=self.fake.base_url,
            SERVICEFLOW_FRESHDESK_API_KEY=self.fake.api_key,
            SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET=secret,
            SERVICEFLOW_FRESHDESK_CHANGE_FIELD=DEFAULT_CHANGE_FIELD,
        )
        self.fake.add_serviceflow_rules(f"{receiver_url}/webhooks/{VENDOR}", secret=secret)

    def open_ticket(self, who: str, subject: str, body: str, *, tags: tuple[str, ...] = ()) -> str:
        ticket = self.fake.add_ticket(
            subject, description=text.to_html(body), requester_id=int(self._people[who].id),
            tags=list(tags), notify=True,
        )  # fmt: skip
        return str(ticket["id"])

    def reply(self, ticket_id: str, body: str) -> bool:
        assignee = self.fake.ticket(int(ticket_id))["responder_id"]
        if not assignee:
            return False
        self.fake.agent_reply(int(ticket_id), body, actor_id=assignee)
        return True

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        """Freshdesk files such mail as a ticket flagged spam (no rule fires for it); it keeps no
        cause, and the recipient is the support address the ticket came in on."""
        person = self._people.get(who)
        sender: dict[str, Any] = {"requester_id": int(person.id)} if person else {"email": who}
        self.fake.add_ticket(subject, description=text.to_html(content), spam=True, **sender)

    def tickets(self) -> list[tuple[str, str, str | None]]:
        return [
            (str(t["id"]), t["subject"], None if t["responder_id"] is None else str(t["responder_id"]))
            for t in self.fake.tickets()
            if not t.get("spam") and not t.get("deleted")
        ]

    def notes(self, ticket_id: str) -> list[tuple[str, str]]:
        return [
            (str(c["id"]), c.get("body_text") or text.plain(c.get("body") or ""))
            for c in self.fake.notes(int(ticket_id))
        ]
