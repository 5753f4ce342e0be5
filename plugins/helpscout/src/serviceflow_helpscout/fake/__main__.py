"""Run the fake Help Scout on its own, seeded with a small helpdesk, for demos and manual poking.

    python -m serviceflow_helpscout.fake --webhook-url http://127.0.0.1:8000/webhooks/helpscout

It prints the settings to give the plugin, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence

from .controller import FakeHelpScout
from .seed import seed_demo

DEMO_SECRET = "demo-webhook-secret"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a seeded fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m serviceflow_helpscout.fake", description=__doc__)
    parser.add_argument("--webhook-url", help="deliver every conversation event to this URL")
    parser.add_argument(
        "--secret", default=DEMO_SECRET, help="the webhook's secret key (at most 40 characters)"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeHelpScout() as fake:
        seed_demo(fake)
        if args.webhook_url:
            fake.add_webhook(args.webhook_url, secret=args.secret)
        print(f"fake Help Scout at {fake.base_url}", flush=True)
        print(f"  SERVICEFLOW_HELPSCOUT_BASE_URL={fake.base_url}", flush=True)
        print(f"  SERVICEFLOW_HELPSCOUT_APP_ID={fake.app_id}", flush=True)
        print(f"  SERVICEFLOW_HELPSCOUT_APP_SECRET={fake.app_secret}", flush=True)
        print(f"  SERVICEFLOW_HELPSCOUT_WEBHOOK_SECRET={args.secret}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
