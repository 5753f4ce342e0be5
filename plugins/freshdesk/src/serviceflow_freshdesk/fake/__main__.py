"""Run the fake Freshdesk on its own, seeded with a small helpdesk, for demos and manual poking.

    python -m serviceflow_freshdesk.fake --webhook-url http://127.0.0.1:8000/webhooks/freshdesk

It prints the base URL and the API key to give the plugin, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence

from .controller import FakeFreshdesk
from .seed import seed_demo

DEMO_SECRET = "demo-webhook-secret"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a seeded fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m serviceflow_freshdesk.fake", description=__doc__)
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
