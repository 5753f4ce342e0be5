"""A small helpdesk to seed the fake Help Scout with, for manual poking (``python -m
serviceflow_helpscout.fake``): DESIGN.md's story, a frontline and a billing team, a customer
charged twice, and one message waiting in the Spam folder.
"""

from __future__ import annotations

from typing import Any

from .controller import FakeHelpScout


def seed_demo(fake: FakeHelpScout) -> dict[str, Any]:
    """Create teams, users, a customer and a few conversations; returns them by name."""
    ada = fake.add_user("Ada Agent", "ada@example.com")
    finn = fake.add_user("Finn Finance", "finn@example.com")
    lou = fake.add_user("Lou Logistics", "lou@example.com")
    billing = fake.add_team("Billing", members=[ada["id"], finn["id"]])
    triage = fake.add_team("Triage", members=[lou["id"]])
    casey = fake.add_customer("Casey Customer", "casey@example.com")
    charged = fake.open_conversation(
        casey["id"],
        "Charged twice for order 1042",
        "My card was charged twice. Please refund one of them.",
        tags=("billing", "priority-high"),
        notify=False,
    )
    parcel = fake.open_conversation(
        casey["id"], "Parcel not delivered", "Tracking has not moved.", notify=False
    )
    spam = fake.spam_arrives(
        "prize@lottery.example", "You have won a lottery", "Claim your crypto prize now!"
    )
    return {
        "teams": {"billing": billing, "triage": triage},
        "users": {"ada": ada, "finn": finn, "lou": lou},
        "customer": casey,
        "conversations": {"charged_twice": charged, "parcel": parcel, "spam": spam},
    }
