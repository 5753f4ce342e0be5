"""The durable loops' activities, faked for the tests and the history recorder: the quarantine
watcher's listing and the reconciler's sweep find nothing, and each call is counted in POLLS
(its vendor), so a test can wait for a poll."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from serviceflow.durable.messages import QuarantineListing
from serviceflow.durable.reconcile_messages import SweepResult

POLLS: list[str] = []


@activity.defn(name="list_quarantined")
async def list_nothing(vendor: str, account: str) -> QuarantineListing:
    POLLS.append(vendor)
    return QuarantineListing(messages=[])


@activity.defn(name="reconcile_page")
async def sweep_nothing(page: dict[str, Any]) -> SweepResult:
    POLLS.append(page["vendor"])
    return SweepResult()
