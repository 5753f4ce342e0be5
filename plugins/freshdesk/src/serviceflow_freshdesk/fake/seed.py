"""A small helpdesk to seed the fake Freshdesk with, for manual poking (``python -m
serviceflow_freshdesk.fake``) and tests. It mirrors DESIGN.md's story: a frontline and a billing
team, a logistics back office, a triage pool, a customer charged twice, and one spam ticket
waiting in the spam folder.
"""

from __future__ import annotations

from typing import Any

from .controller import FakeFreshdesk


def seed_demo(fake: FakeFreshdesk) -> dict[str, Any]:
    """Create groups, agents, a customer and a few tickets; returns them by name."""
    names = ("Triage", "Frontline", "Billing", "Logistics")
    triage, frontline, billing, logistics = (fake.add_group(name) for name in names)
    ada = fake.add_agent("Ada Agent", email="ada@example.com", groups=[frontline["id"], billing["id"]])
    finn = fake.add_agent("Finn Finance", email="finn@example.com", groups=[billing["id"]])
    lou = fake.add_agent("Lou Logistics", email="lou@example.com", groups=[logistics["id"], triage["id"]])
    customer = fake.add_contact("Casey Customer", email="casey@example.com")
    charged_twice = fake.add_ticket(
        "Charged twice for order 1042",
        description="<div>My card was charged twice. Please refund one of them.</div>",
        requester_id=customer["id"],
        priority=3,
        tags=["billing", "refund"],
        group_id=billing["id"],
    )
    late_parcel = fake.add_ticket(
        "Parcel not delivered",
        description="<div>Tracking has not moved for a week.</div>",
        requester_id=customer["id"],
        group_id=logistics["id"],
        status=6,  # Waiting on Customer, a custom status
    )
    unowned = fake.add_ticket("Question about invoices", requester_id=customer["id"], source=9)
    spam = fake.add_ticket(
        "You have won a lottery",
        description="<div>Claim your crypto prize now!</div>",
        email="prize@lottery.example",
        spam=True,
    )
    return {
        "groups": {"triage": triage, "frontline": frontline, "billing": billing, "logistics": logistics},
        "agents": {"ada": ada, "finn": finn, "lou": lou},
        "customer": customer,
        "tickets": {
            "charged_twice": charged_twice,
            "late_parcel": late_parcel,
            "unowned": unowned,
            "spam": spam,
        },
    }
