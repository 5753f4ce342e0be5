"""Run the fake Zendesk on its own, seeded with a small helpdesk, for demos and manual poking.

    python -m serviceflow_zendesk.fake --webhook-url http://127.0.0.1:8000/webhooks/zendesk

It prints the base URL and the credentials to give the plugin, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence

from ..signature import ZENDESK_TEST_SECRET
from .controller import FakeZendesk
from .seed import seed_demo


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a seeded fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m serviceflow_zendesk.fake", description=__doc__)
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
