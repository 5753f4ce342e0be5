"""The fake Zendesk as the demo helpdesk: seeded, wired to the receiver, fed a story, narrated.

Everything goes the real way: the fake sends signed webhooks to the receiver, the worker reads
the roster from the fake's REST API and carries out actions through the Zendesk plugin, and the
quarantine watcher polls the fake's suspended-tickets queue. The narrator prints what
serviceflow did in the helpdesk, as an agent would see it.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serviceflow_zendesk.fake import FakeZendesk

DEMO_DIR = Path(__file__).resolve().parent
SECRET = "serviceflow-demo-webhook-secret"


@dataclass
class DemoZendesk:
    """A seeded fake Zendesk on 127.0.0.1, and what ``serviceflow dev`` needs to use it."""

    fake: FakeZendesk = field(default_factory=FakeZendesk)
    # Each run is an account of its own: the fake starts empty every time, while the dev server
    # keeps earlier runs' cases in its database; their ids must not collide.
    account: str = field(default_factory=lambda: f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start(self) -> DemoZendesk:
        self.fake.start()
        for name in ("Triage", "Billing", "Leads"):
            self.groups[name] = self.fake.add_group(name)
        team = {
            "ada": ("Ada Agent", "ada@example.com", ("Billing",)),
            "finn": ("Finn Finance", "finn@example.com", ("Billing",)),
            "lou": ("Lou Logistics", "lou@example.com", ("Triage",)),
            "lee": ("Lee Lead", "lee@example.com", ("Leads",)),
            "max": ("Max Manager", "max@example.com", ("Leads",)),
        }
        for key, (name, email, groups) in team.items():
            ids = [self.groups[g]["id"] for g in groups]
            self.people[key] = self.fake.add_agent(name, email=email, groups=ids)
        for key, name in (("casey", "Casey Customer"), ("sam", "Sam Shopper"), ("robin", "Robin Reseller")):
            self.people[key] = self.fake.add_user(name, email=f"{key}@customer.example")
        return self

    def stop(self) -> None:
        self.fake.stop()

    def configure(self, webhook_url: str) -> dict[str, str]:
        """Point the plugin at the fake (environment of this process) and the fake's webhooks at
        ``webhook_url``; returns the settings to merge into serviceflow's."""
        os.environ.update(
            SERVICEFLOW_ZENDESK_SUBDOMAIN=self.account,  # names the account; the URL is the fake's
            SERVICEFLOW_ZENDESK_BASE_URL=self.fake.base_url,
            SERVICEFLOW_ZENDESK_EMAIL=self.fake.email,
            SERVICEFLOW_ZENDESK_API_TOKEN=self.fake.api_token,
            SERVICEFLOW_ZENDESK_WEBHOOK_SECRET=SECRET,
        )
        os.environ.pop("SERVICEFLOW_ZENDESK_OAUTH_TOKEN", None)
        self.fake.add_webhook(webhook_url, secret=SECRET)
        return {
            "policies": [DEMO_DIR / "policies"],
            "roster": DEMO_DIR / "roster.yaml",
            "roster_from": f"zendesk:{self.account}",
            "quarantine_watch": [f"zendesk:{self.account}"],
            # Earlier runs' cases and watchers wait on their own queues: their fake is gone.
            "task_queue": self.account,
            "quarantine_interval": 15.0,
        }

    # -- the story -----------------------------------------------------------------------------

    def open_ticket(self, who: str, subject: str, body: str, **fields: Any) -> int:
        requester = self.people[who]["id"]
        ticket = self.fake.state.add_ticket(
            {
                "subject": subject,
                "comment": {"body": body, "public": True},
                "requester_id": requester,
                **fields,
            },
            actor_id=requester,
            notify=True,
        )
        return int(ticket["id"])

    def reply(self, ticket_id: int, body: str) -> None:
        """The ticket's assignee answers the customer, in the helpdesk."""
        assignee = self.fake.ticket(ticket_id)["assignee_id"]
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=assignee)

    def suspend(self, who: str, subject: str, content: str, cause: str, recipient: str) -> None:
        """Mail that the helpdesk suspends instead of making it a ticket."""
        person = self.people.get(who)
        self.fake.add_suspended(
            person["email"] if person else who,
            author_name=person["name"] if person else None,
            subject=subject,
            content=content,
            cause=cause,
            recipient=recipient,
        )

    async def tell_story(self, say: Callable[[str], None], pace: float = 1.0) -> None:
        """Customers write, over a few minutes; one of them is the refund story's Casey."""

        async def at(seconds: float) -> None:
            await asyncio.sleep(max(0.0, start + seconds * pace - asyncio.get_running_loop().time()))

        start = asyncio.get_running_loop().time()
        refund = self.open_ticket(
            "casey", "Charged twice for order 1042", "My card was charged twice. Please refund one.",
            tags=["billing"],
        )  # fmt: skip
        say(f"Casey writes: 'Charged twice for order 1042' (ticket {refund}); nobody will answer it")
        await at(10)
        parcel = self.open_ticket("sam", "Where is my parcel?", "Tracking has not moved for a week.")
        say(f"Sam writes: 'Where is my parcel?' (ticket {parcel}); its owner will answer in time")
        await at(40)
        if self.fake.ticket(parcel)["assignee_id"]:
            self.reply(parcel, "It left our warehouse today; here is the new tracking link.")
            say(f"the owner of ticket {parcel} answers Sam: first response met")
        await at(90)
        again = self.open_ticket("casey", "Still no refund", "I wrote about this already. Where is my money?")
        say(f"Casey writes again, on a new ticket ({again}): it joins her case, she repeats nothing")
        await at(120)
        self.suspend(
            "casey", "Third time: my refund", "Nobody answers me. I want to speak to a manager.",
            "Detected as spam", "manager@shop.example",
        )  # fmt: skip
        say("Casey emails the manager; the helpdesk suspends it as spam (the watcher polls every 15 s)")
        self.suspend(
            "partners@agency.example", "Partnership proposal", "We would like to work with you.",
            "Received from an unknown sender", "hello@shop.example",
        )  # fmt: skip
        self.suspend(
            "win@prize.example", "You have won the lottery", "Claim your prize now!",
            "Detected as spam", "hello@shop.example",
        )  # fmt: skip
        say("two more suspended: a partnership proposal (a person must review it) and obvious spam")
        say("the story is told; targets breach and escalate over the next minutes (Ctrl-C stops)")


@dataclass
class Narrator:
    """Prints what serviceflow does in the fake helpdesk: owners set, notes and escalations."""

    demo: DemoZendesk
    say: Callable[[str], None]
    seen_notes: set[int] = field(default_factory=set)
    owners: dict[int, int | None] = field(default_factory=dict)

    def name(self, user_id: Any) -> str:
        for person in self.demo.people.values():
            if str(person["id"]) == str(user_id):
                return str(person["name"])
        return str(user_id)

    def look(self) -> None:
        for ticket in self.demo.fake.tickets():
            tid = int(ticket["id"])
            owner = ticket["assignee_id"]
            if owner and self.owners.get(tid) != owner:
                self.say(f"ticket {tid} '{ticket['subject']}': owner {self.name(owner)}")
            self.owners[tid] = owner
            for comment in self.demo.fake.comments(tid):
                body = comment.get("body") or ""
                if comment["id"] in self.seen_notes or "[sf:" not in body:
                    continue
                self.seen_notes.add(comment["id"])
                self.say(f"ticket {tid}: {self.summary(body)}")

    def summary(self, body: str) -> str:
        lines = [line for line in body.splitlines() if line.strip() and not line.startswith("[sf:")]
        first = lines[0] if lines else ""
        recipients = re.match(r"To: (.*)", first)
        if recipients and len(lines) > 1:
            names = ", ".join(self.name(r.strip()) for r in recipients.group(1).split(","))
            return f"note to {names}: {lines[1]}"
        return f"note: {first[:100]}"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.look()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass


def clock() -> str:
    return datetime.now(UTC).astimezone().strftime("%H:%M:%S")
