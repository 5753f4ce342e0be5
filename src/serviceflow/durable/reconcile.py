"""Reconciler: one long-running workflow per helpdesk account that repairs what lost webhooks
left undone.

Every ``interval`` it sweeps: it lists, page by page, the tickets changed since its high-water
mark (the adapter's ``changed_tickets``: Zendesk's cursor-based incremental export, Freshdesk's
``updated_since`` windows, Help Scout's ``modifiedSince``) and compares each with its case (an
activity: :mod:`.reconcile_activities`). A ticket with no case gets one; a case whose ticket
moved on gets the events it missed, at their real times, as ``event`` signals the case already
understands, marked ``reconciled``; a case whose ticket is closed or gone ends. A ticket changed
within ``settle`` seconds is looked at again on the next sweep (its webhook may still be on the
way). The cursor is stored after every page and carried over continue-as-new, so a restart or a
failed page repeats at most one page (repairs are idempotent: stable event ids, compared
times). The workflow does no I/O and reads no clock but ``workflow.now()``.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from serviceflow.adapters.records import ChangeCursor
    from serviceflow.durable.intervals import checked_start
    from serviceflow.durable.reconcile_messages import (
        DEFERRED_LIMIT,
        ReconcileProgress,
        ReconcileStart,
        ReconcileStartInput,
        SweepPage,
        SweepResult,
    )
    from serviceflow.durable.signal_args import configured, no_argument

PAGE_TIMEOUT = timedelta(minutes=10)
HEARTBEAT = timedelta(minutes=2)


def reconciler_id(vendor: str, account: str) -> str:
    """The reconciler's workflow id: one per helpdesk account."""
    return f"reconcile:{vendor}:{account}"


def _retry(interval: timedelta) -> RetryPolicy:
    """Retry until it works (an unreachable helpdesk, a rate limit), backing off to at most an
    interval: a failed page delays the sweep but never skips a ticket."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=max(timedelta(seconds=2), min(interval, timedelta(minutes=10))),
    )


# No failure_exception_types=[pydantic.ValidationError]: it would fail the run, for good, on any
# result or continued start that does not validate, not only on a hand-built bad start
# (tests/durable/test_loop_failures.py; sdk-python PR #882 and workflow.defn's docstring).
@workflow.defn(name="Reconciler")
class Reconciler:
    def __init__(self) -> None:
        self.cursor: ChangeCursor | None = None
        self.deferred: list[str] = []
        self.totals: dict[str, int] = {}
        self.sweeps = 0
        self.interval = timedelta(minutes=5)
        self.sweep_soon = False
        self.start: ReconcileStart | None = None

    @workflow.run
    async def run(self, given: ReconcileStartInput) -> None:
        start = checked_start(ReconcileStart, given)  # a start out of range fails the run, named
        self.start = start
        self.interval = timedelta(seconds=start.interval_seconds)
        self.cursor = start.cursor or ChangeCursor.since(
            workflow.now() - timedelta(seconds=start.lookback_seconds)
        )
        self.deferred = list(start.deferred)
        self.totals = dict(start.totals)
        self.sweeps = start.sweeps
        runs = 0
        while True:
            await self._sweep(start)
            self.sweeps += 1
            runs += 1
            try:
                await workflow.wait_condition(lambda: self.sweep_soon, timeout=self.interval)
            except TimeoutError:
                pass
            self.sweep_soon = False
            if runs >= start.sweeps_before_continue or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    start.model_copy(
                        update={
                            "cursor": self.cursor,
                            "deferred": self.deferred[-DEFERRED_LIMIT:],
                            "totals": self.totals,
                            "sweeps": self.sweeps,
                            "interval_seconds": self.interval.total_seconds(),
                        }
                    )
                )

    async def _sweep(self, start: ReconcileStart) -> None:
        retry = _retry(self.interval)
        settle = workflow.now() - timedelta(seconds=start.settle_seconds)
        again, self.deferred = self.deferred, []
        if again:
            result = await workflow.execute_activity(
                "reconcile_tickets",
                SweepPage(vendor=start.vendor, account=start.account, ticket_ids=again, settle_before=settle),
                result_type=SweepResult,
                start_to_close_timeout=PAGE_TIMEOUT,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=retry,
            )
            self._count(result)
        while True:
            result = await workflow.execute_activity(
                "reconcile_page",
                SweepPage(
                    vendor=start.vendor, account=start.account, cursor=self.cursor, settle_before=settle
                ),
                result_type=SweepResult,
                start_to_close_timeout=PAGE_TIMEOUT,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=retry,
            )
            self.cursor = result.next or self.cursor
            self._count(result)
            if not result.more:
                break
            if workflow.info().is_continue_as_new_suggested():
                self.sweep_soon = True  # a long backlog: the rest in the next run, at once
                break

    def _count(self, result: SweepResult) -> None:
        for kind, count in result.repairs.items():
            self.totals[kind] = self.totals.get(kind, 0) + count
        self.totals["events"] = self.totals.get("events", 0) + result.events
        for ticket_id in result.deferred:
            if ticket_id not in self.deferred and len(self.deferred) < DEFERRED_LIMIT:
                self.deferred.append(ticket_id)

    @workflow.signal(name="configure")
    def configure(self, *args: object) -> None:
        """A new sweep interval in seconds (the worker sends its setting each time it starts);
        one missing, out of range or not a number is logged and ignored
        (signal_args.configured)."""
        interval = configured(args)
        if interval is not None:
            self.interval = interval

    @workflow.signal(name="sweep_now")
    def sweep_now(self, *args: object) -> None:
        """Sweep at once instead of at the end of the interval (an argument is logged, ignored)."""
        no_argument("sweep_now", args)
        self.sweep_soon = True

    @workflow.query(name="progress")
    def progress(self) -> ReconcileProgress:
        """The high-water mark, the sweeps done, the tickets to look at again, the totals."""
        start = self.start
        return ReconcileProgress(
            vendor=start.vendor if start else "",
            account=start.account if start else "",
            cursor=self.cursor,
            sweeps=self.sweeps,
            deferred=len(self.deferred),
            totals=dict(self.totals),
        )
