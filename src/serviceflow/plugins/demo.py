"""The built-in ``demo`` vendor: a helpdesk that lives in a file.

It carries out actions for tickets whose vendor is ``demo`` by appending them, one JSON line
each, to an action log (``SERVICEFLOW_DEMO_LOG``, default ``.serviceflow/demo-actions.jsonl``)
and printing them. It reads the log before writing, so an action whose activity is retried is
recorded once: the idempotency contract every vendor plugin keeps. ``serviceflow dev`` uses it
until the demo helpdesks arrive; tests use it to watch a worker in another process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from serviceflow.model import Action
from serviceflow.plugins.hookspecs import hookimpl

LOG_ENV = "SERVICEFLOW_DEMO_LOG"


def log_path() -> Path:
    return Path(os.environ.get(LOG_ENV, ".serviceflow/demo-actions.jsonl"))


def applied_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open() as log:
        return {json.loads(line)["key"] for line in log if line.strip()}


@hookimpl
def serviceflow_register_vendors(register):  # type: ignore[no-untyped-def]
    register("demo", description="Built-in demo helpdesk (actions go to a JSON-lines log)")


@hookimpl
def serviceflow_apply_action(vendor: str, account: str, ticket_id: str, action: Action):  # type: ignore[no-untyped-def]
    if vendor != "demo":
        return None
    return _apply(account, ticket_id, action)


async def _apply(account: str, ticket_id: str, action: Action) -> str:
    path = log_path()
    if action.key in applied_keys(path):
        return "skipped: already done"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"account": account, "ticket": ticket_id, **action.model_dump(mode="json")}
    with path.open("a") as log:
        log.write(json.dumps(record) + "\n")
    print(f"[demo helpdesk] ticket {ticket_id}: {action.type} - {action.reason}", file=sys.stderr)
    return "done"
