"""A small helpdesk to seed the fake Zendesk with, for manual poking (``python -m
serviceflow_zendesk.fake``) and tests. It mirrors DESIGN.md's story: a billing team, a logistics
back office, a triage pool, and a customer charged twice, whose third email about the refund
sits in the suspended tickets queue next to an obvious spam message (no webhook announces either:
the quarantine watcher finds them).
"""

from __future__ import annotations

from typing import Any

from .controller import FakeZendesk


def seed_demo(fake: FakeZendesk) -> dict[str, Any]:
    """Create groups, agents, a customer, a few tickets and two suspended emails; returns them by name."""
    triage, billing, logistics = (fake.add_group(name) for name in ("Triage", "Billing", "Logistics"))
    ada = fake.add_agent("Ada Agent", email="ada@example.com", groups=[triage["id"], billing["id"]])
    fin = fake.add_agent("Finn Finance", email="finn@example.com", groups=[billing["id"]])
    lou = fake.add_agent("Lou Logistics", email="lou@example.com", groups=[logistics["id"]])
    customer = fake.add_user("Casey Customer", email="casey@example.com")
    charged_twice = fake.add_ticket(
        "Charged twice for order 1042",
        description="My card was charged twice. Please refund one of them.",
        requester_id=customer["id"],
        priority="high",
        tags=["billing", "refund"],
        group_id=billing["id"],
    )
    late_parcel = fake.add_ticket(
        "Parcel not delivered",
        description="Tracking has not moved for a week.",
        requester_id=customer["id"],
        group_id=logistics["id"],
    )
    unowned = fake.add_ticket("Question about invoices", requester_id=customer["id"])
    still_no_refund = fake.add_suspended(
        customer["email"],
        author_name=customer["name"],
        subject="Still no refund — third time I'm writing",
        content=(
            "Hello, this is the third time I am writing about order 1042. I was charged twice and "
            "nobody has refunded the second charge. Please call me back today."
        ),
        cause="Detected as spam",
        recipient="manager@example.com",
    )
    prize_spam = fake.add_suspended(
        "claims@prize-winners.example",
        author_name="Prize Department",
        subject="CONGRATULATIONS!!! You have WON $1,000,000",
        content="Click the link and send your bank details within 24 hours to claim your prize.",
        cause="Detected as spam",
        recipient="support@example.com",
    )
    return {
        "groups": {"triage": triage, "billing": billing, "logistics": logistics},
        "agents": {"ada": ada, "finn": fin, "lou": lou},
        "customer": customer,
        "tickets": {"charged_twice": charged_twice, "late_parcel": late_parcel, "unowned": unowned},
        "suspended": {"still_no_refund": still_no_refund, "prize_spam": prize_spam},
    }
