"""The built-in ``demo`` helpdesk: a helpdesk that lives in a file.

Its adapter carries out actions for tickets whose vendor is ``demo`` by appending them, one JSON
line each, to an action log (``SERVICEFLOW_DEMO_LOG``, default ``.serviceflow/demo-actions.jsonl``)
and printing them. It reads the log before writing, so an action whose activity is retried is
recorded once: the idempotency contract every adapter keeps. It takes no webhooks (its tickets
are signalled directly: ``serviceflow dev --helpdesk builtin``, and tests that watch a worker in
another process). It is registered exactly like a third-party plugin (datasette and llm keep
their built-ins the same way).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from serviceflow.adapters.base import AdapterBase
from serviceflow.adapters.protocol import WebhookRequest
from serviceflow.adapters.records import Identity
from serviceflow.errors import NotSupported
from serviceflow.model import Action, Roster, TicketEvent
from serviceflow.plugins.hookspecs import hookimpl
from serviceflow.plugins.webhooks import WebhookRejected, WebhookVerdict

LOG_ENV = "SERVICEFLOW_DEMO_LOG"
VENDOR = "demo"


def log_path() -> Path:
    return Path(os.environ.get(LOG_ENV, ".serviceflow/demo-actions.jsonl"))


def applied_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open() as log:
        return {json.loads(line)["key"] for line in log if line.strip()}


class DemoAdapter(AdapterBase):
    """The file-backed helpdesk: actions in, nothing else."""

    vendor = VENDOR
    description = "Built-in demo helpdesk (actions go to a JSON-lines log)"

    def verify_webhook(self, request: WebhookRequest) -> WebhookVerdict:
        return WebhookVerdict.refuse("no_webhooks")

    def parse_webhook(
        self, request: WebhookRequest, *, account: str, identity: Identity
    ) -> list[TicketEvent]:
        raise WebhookRejected("no_webhooks", "the built-in demo helpdesk takes no webhooks")

    async def whoami(self, account: str) -> Identity:
        return Identity(vendor=VENDOR, account=account, id="serviceflow", name="serviceflow")

    async def load_roster(self, account: str) -> Roster:
        raise NotSupported("the built-in demo helpdesk has no roster; set SERVICEFLOW_ROSTER")

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        path = log_path()
        if action.key in applied_keys(path):
            return "skipped: already done"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"account": account, "ticket": ticket_id, **action.model_dump(mode="json")}
        with path.open("a") as log:
            log.write(json.dumps(record) + "\n")
        print(f"[demo helpdesk] ticket {ticket_id}: {action.type} - {action.reason}", file=sys.stderr)
        return "done"


ADAPTER = DemoAdapter()


@hookimpl
def serviceflow_register_adapters(register: Callable[..., None]) -> None:
    register(ADAPTER)
