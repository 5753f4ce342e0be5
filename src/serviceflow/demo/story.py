"""The demo's story and its narrator, for any plugin's demo helpdesk.

Customers write in over a few minutes, the refund story's Casey among them; the narrator prints
what serviceflow does in the helpdesk, as an agent would see it: owners set, notes, warnings and
escalations. Both speak only :class:`serviceflow.adapters.DemoHelpdesk`, so any helpdesk plugin
that offers a demo helpdesk tells the same story.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serviceflow.adapters.demo import DemoHelpdesk

log = logging.getLogger(__name__)
Say = Callable[[str], None]
DEMO_DIR = Path(__file__).resolve().parent

#: The demo team, by key: name, email, teams. Leads come from ``demo/roster.yaml``.
TEAM = {
    "ada": ("Ada Agent", "ada@example.com", ("Billing",)),
    "finn": ("Finn Finance", "finn@example.com", ("Billing",)),
    "lou": ("Lou Logistics", "lou@example.com", ("Triage",)),
    "lee": ("Lee Lead", "lee@example.com", ("Leads",)),
    "max": ("Max Manager", "max@example.com", ("Leads",)),
}
TEAMS = ("Triage", "Billing", "Leads")
CUSTOMERS = {"casey": "Casey Customer", "sam": "Sam Shopper", "robin": "Robin Reseller"}
WEBHOOK_SECRET = "serviceflow-demo-webhook-secret"


def seed_people(
    add_group: Callable[[str], dict[str, Any]],
    add_agent: Callable[..., dict[str, Any]],
    add_customer: Callable[..., dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Create the demo's teams, agents and customers through a fake's own calls; returns the
    records the fake answered, by key (``ada``, ..., ``casey``): a plugin's demo helpdesk turns
    them into :class:`~serviceflow.adapters.DemoPerson`."""
    groups = {name: add_group(name) for name in TEAMS}
    people = {
        key: add_agent(name, email=email, groups=[groups[g]["id"] for g in teams])
        for key, (name, email, teams) in TEAM.items()
    }
    for key, name in CUSTOMERS.items():
        people[key] = add_customer(name, email=f"{key}@customer.example")
    return people


def demo_settings(vendor: str, account: str) -> dict[str, Any]:
    """What serviceflow runs with against a demo helpdesk: the demo policies, a roster from the
    helpdesk with leads laid over, its quarantine watched, and a task queue of the run's own
    (earlier runs' cases and watchers wait on theirs: their fake is gone)."""
    return {
        "policies": [DEMO_DIR / "policies"],
        "roster": DEMO_DIR / "roster.yaml",
        "roster_from": f"{vendor}:{account}",
        "quarantine_watch": [f"{vendor}:{account}"],
        "task_queue": account,
        "quarantine_interval": 15.0,
    }


def demo_account() -> str:
    """Each run is an account of its own: the fake starts empty every time, while the dev
    server keeps earlier runs' cases in its database; their ids must not collide."""
    return f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"


async def tell_story(desk: DemoHelpdesk, say: Say, pace: float = 1.0) -> None:
    """Customers write, over a few minutes; one of them is the refund story's Casey."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def at(seconds: float) -> None:
        await asyncio.sleep(max(0.0, start + seconds * pace - loop.time()))

    refund = desk.open_ticket(
        "casey", "Charged twice for order 1042", "My card was charged twice. Please refund one.",
        tags=("billing",),
    )  # fmt: skip
    say(f"Casey writes: 'Charged twice for order 1042' (ticket {refund}); nobody will answer it")
    await at(10)
    parcel = desk.open_ticket("sam", "Where is my parcel?", "Tracking has not moved for a week.")
    say(f"Sam writes: 'Where is my parcel?' (ticket {parcel}); its owner will answer in time")
    await at(40)
    if desk.reply(parcel, "It left our warehouse today; here is the new tracking link."):
        say(f"the owner of ticket {parcel} answers Sam: first response met")
    await at(90)
    again = desk.open_ticket("casey", "Still no refund", "I wrote about this already. Where is my money?")
    say(f"Casey writes again, on a new ticket ({again}): it joins her case, she repeats nothing")
    await at(120)
    desk.suspend(
        "casey", "Third time: my refund", "Nobody answers me. I want to speak to a manager.",
        "Detected as spam", "manager@shop.example",
    )  # fmt: skip
    say("Casey emails the manager; the helpdesk sets it aside as spam (the watcher polls every 15 s)")
    desk.suspend(
        "partners@agency.example", "Partnership proposal", "We would like to work with you.",
        "Received from an unknown sender", "hello@shop.example",
    )  # fmt: skip
    desk.suspend(
        "win@prize.example", "You have won the lottery", "Claim your prize now!",
        "Detected as spam", "hello@shop.example",
    )  # fmt: skip
    say("two more set aside: a partnership proposal (a person must review it) and obvious spam")
    say("the story is told; targets breach and escalate over the next minutes (Ctrl-C stops)")


@dataclass
class Narrator:
    """Prints what serviceflow does in the demo helpdesk: owners set, notes and escalations."""

    desk: DemoHelpdesk
    say: Say
    seen_notes: set[str] = field(default_factory=set)
    owners: dict[str, str | None] = field(default_factory=dict)

    def name(self, user_id: str) -> str:
        for person in self.desk.people.values():
            if person.id == user_id.strip():
                return person.name
        return user_id

    def look(self) -> None:
        for ticket_id, subject, owner in self.desk.tickets():
            if owner and self.owners.get(ticket_id) != owner:
                self.say(f"ticket {ticket_id} '{subject}': owner {self.name(owner)}")
            self.owners[ticket_id] = owner
            for note_id, text in self.desk.notes(ticket_id):
                if note_id in self.seen_notes or "[sf:" not in text:
                    continue
                self.seen_notes.add(note_id)
                self.say(f"ticket {ticket_id}: {self.summary(text)}")

    def summary(self, text: str) -> str:
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("[sf:")]
        first = lines[0] if lines else ""
        recipients = re.match(r"To: (.*)", first)
        if recipients and len(lines) > 1:
            names = ", ".join(self.name(r) for r in recipients.group(1).split(","))
            return f"note to {names}: {lines[1]}"
        return f"note: {first[:100]}"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.look()
            except Exception:  # the demo goes on; say what broke
                log.exception("the narrator could not read the demo helpdesk")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
