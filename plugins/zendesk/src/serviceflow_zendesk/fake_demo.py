"""Run the fake Zendesk on its own, seeded with a small helpdesk, for demos and manual poking.

    python -m serviceflow_zendesk.fake_demo --webhook-url http://127.0.0.1:8000/webhooks/zendesk

It prints the base URL and the credentials to give the plugin, then serves until Ctrl-C. The
seed mirrors DESIGN.md's story: a billing team, a logistics back office, a triage pool, and a
customer charged twice, whose third email about the refund sits in the suspended tickets queue
next to an obvious spam message (no webhook announces either: the quarantine watcher finds them).
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from typing import Any

from .fake import FakeZendesk
from .signature import ZENDESK_TEST_SECRET


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


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a seeded fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m serviceflow_zendesk.fake_demo", description=__doc__)
    parser.add_argument("--webhook-url", help="deliver ticket events here")
    parser.add_argument("--secret", default=ZENDESK_TEST_SECRET, help="webhook signing secret")
    parser.add_argument(
        "--kind", choices=("event", "trigger"), default="event", help="webhook connection method"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeZendesk() as fake:
        seed_demo(fake)
        if args.webhook_url:
            fake.add_webhook(args.webhook_url, kind=args.kind, secret=args.secret)
        print(f"fake Zendesk at {fake.base_url}", flush=True)
        print(f"  API token auth: {fake.email}/token : {fake.api_token}", flush=True)
        print(f"  OAuth bearer:   {fake.oauth_token}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
