"""Run the fake Freshdesk on its own, seeded with a small helpdesk, for demos and manual poking.

    python -m serviceflow_freshdesk.fake_demo --webhook-url http://127.0.0.1:8000/webhooks/freshdesk

It prints the base URL and the API key to give the plugin, then serves until Ctrl-C. The seed
mirrors DESIGN.md's story: a frontline and a billing team, a logistics back office, a triage
pool, a customer charged twice, and one spam ticket waiting in the spam folder.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from typing import Any

from .fake import FakeFreshdesk

DEMO_SECRET = "demo-webhook-secret"


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


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a seeded fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m serviceflow_freshdesk.fake_demo", description=__doc__)
    parser.add_argument("--webhook-url", help="call this URL from the four serviceflow automation rules")
    parser.add_argument("--secret", default=DEMO_SECRET, help="the shared webhook secret")
    parser.add_argument(
        "--auth", choices=("header", "basic"), default="header", help="how rules send the secret"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeFreshdesk() as fake:
        seed_demo(fake)
        if args.webhook_url:
            fake.add_serviceflow_rules(args.webhook_url, secret=args.secret, auth=args.auth)
        print(f"fake Freshdesk at {fake.base_url}", flush=True)
        print(f"  SERVICEFLOW_FRESHDESK_BASE_URL={fake.base_url}", flush=True)
        print(f"  SERVICEFLOW_FRESHDESK_API_KEY={fake.api_key}", flush=True)
        print(f"  SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET={args.secret}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
