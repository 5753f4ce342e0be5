"""Starting the reconcilers: one per ``SERVICEFLOW_RECONCILE`` account, when the worker starts."""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from serviceflow.adapters.registry import registry
from serviceflow.durable.reconcile import Reconciler, reconciler_id
from serviceflow.durable.reconcile_messages import ReconcileStart
from serviceflow.durable.settings import Settings
from serviceflow.errors import ServiceflowError

log = logging.getLogger(__name__)


class BadReconcileEntry(ServiceflowError, ValueError):
    """A ``SERVICEFLOW_RECONCILE`` entry that is not ``vendor:account``."""


def parse_entry(entry: str) -> tuple[str, str]:
    """``"zendesk:acme"`` -> ``("zendesk", "acme")``.

    Raises:
        BadReconcileEntry: the entry is not ``vendor:account``.
    """
    vendor, _, account = entry.partition(":")
    if not vendor or not account:
        raise BadReconcileEntry(
            f"SERVICEFLOW_RECONCILE entry {entry!r} is not 'vendor:account' (e.g. zendesk:acme)"
        )
    return vendor, account


async def start_reconcilers(client: Client, settings: Settings) -> list[str]:
    """Start a reconciler for each ``SERVICEFLOW_RECONCILE`` account (one that runs already is
    kept with its progress, and told the current interval); returns their workflow ids."""
    started = []
    for entry in settings.reconcile:
        vendor, account = parse_entry(entry)
        if registry().get(vendor) is None:
            log.error("no installed plugin serves %r: not reconciling %s", vendor, entry)
            continue
        handle = await client.start_workflow(
            Reconciler.run,
            ReconcileStart(
                vendor=vendor,
                account=account,
                interval_seconds=settings.reconcile_interval,
                lookback_seconds=settings.reconcile_lookback,
                settle_seconds=settings.reconcile_settle,
            ),
            id=reconciler_id(vendor, account),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await handle.signal(Reconciler.configure, settings.reconcile_interval)
        started.append(handle.id)
    return started
