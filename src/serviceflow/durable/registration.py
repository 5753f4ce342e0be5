"""What a worker registers: one list of activities, for ``serviceflow worker`` and every test worker.

The case workflow runs ``decide``, ``fetch_ticket``, ``carry_out`` and ``record_outcomes`` as local
activities (``decide`` records the outcomes itself where the workflow asks: it is given the
worker's outcome store here) and ``deliver_notification`` as an activity; the quarantine
watcher and the reconciler run theirs. :func:`worker_activities` gives every one of them
(:data:`ACTIVITY_NAMES`), so a test worker runs a case as ``serviceflow worker`` does and records
the same history.

An activity missing anyway (a worker an embedder builds by hand) is treated the same way for each,
on purpose: :func:`missing_activities` names it and :func:`check_registered` refuses to build such
a worker. A case that reaches a worker without it anyway has its workflow task fail (the SDK
refuses to schedule an unknown activity) and Temporal retries the task until a worker that has it
takes the case: the case waits, and goes on whole, never without a step. Before, a missing
``record_outcomes`` was skipped silently (the case went on unrecorded) while a missing
``fetch_ticket`` failed the task: two behaviours, and a history that replayed differently on a
worker with the activity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from temporalio import activity
from temporalio.client import Client

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.notifier import NotificationActivities
from serviceflow.durable.quarantine_activities import QuarantineActivities
from serviceflow.durable.reconcile_activities import ReconcileActivities
from serviceflow.outcomes.activity import OutcomeActivities

#: Every activity the workflows of ``serviceflow worker`` run, by name.
ACTIVITY_NAMES = frozenset(
    {
        "decide",
        "carry_out",
        "fetch_ticket",
        "record_outcomes",
        "deliver_notification",
        "list_quarantined",
        "triage_quarantined",
        "act_on_quarantined",
        "reconcile_page",
        "reconcile_tickets",
    }
)


class MissingActivities(ValueError):
    """A worker would lack activities its workflows run."""


def worker_activities(
    case: CaseActivities,
    client: Client,
    task_queue: str,
    outcomes: OutcomeActivities,
    *,
    notifications: NotificationActivities | None = None,
    quarantine: QuarantineActivities | None = None,
    reconcile: ReconcileActivities | None = None,
    index_requester: bool = True,
) -> list[Callable[..., Any]]:
    """Every activity of :data:`ACTIVITY_NAMES`, the parts not given made from ``case`` (its
    policy store, metrics, channels and mode). ``index_requester`` False: the cases this worker
    opens are not indexed by requester (a server without the search attribute, as the
    time-skipping test server)."""
    case.outcomes = outcomes  # the decide activity records its decisions' outcomes with it
    notifications = notifications or NotificationActivities(case.notifier.channels, case.metrics, case.mode)
    quarantine = quarantine or QuarantineActivities(
        case.store, client, task_queue, case.metrics, index_requester=index_requester
    )
    reconcile = reconcile or ReconcileActivities(
        client, task_queue, case.metrics.registry, index_requester=index_requester
    )
    registered: list[Callable[..., Any]] = [
        case.decide,
        case.carry_out,
        case.fetch_ticket,
        outcomes.record_outcomes,
        notifications.deliver_notification,
        quarantine.list_quarantined,
        quarantine.triage_quarantined,
        quarantine.act_on_quarantined,
        reconcile.sweep_page,
        reconcile.sweep_tickets,
    ]
    check_registered(registered)
    return registered


def missing_activities(registered: Iterable[Callable[..., Any]]) -> set[str]:
    """The names of :data:`ACTIVITY_NAMES` that ``registered`` lacks."""
    names = set()
    for function in registered:
        definition = activity._Definition.from_callable(function)
        if definition is not None and definition.name is not None:
            names.add(definition.name)
    return set(ACTIVITY_NAMES) - names


def check_registered(registered: Iterable[Callable[..., Any]]) -> None:
    """Refuse a worker that lacks an activity of :data:`ACTIVITY_NAMES`.

    Raises:
        MissingActivities: one or more are missing (named).
    """
    missing = missing_activities(registered)
    if missing:
        raise MissingActivities(
            "a serviceflow worker needs every activity its workflows run; missing: "
            + ", ".join(sorted(missing))
        )
