"""QuarantineWatcher: one long-running workflow per helpdesk account that owns its quarantine.

Every ``interval`` it lists the account's suspended or spam queue through the vendor plugin (an
activity that retries rate limits, 5xx and network errors until it gets a complete listing, so a
failed poll delays but never skips a message). Each message it has not seen is triaged by the
policies (a local activity, recorded in the history with the policy version) and the verdict is
carried out: recover it into a ticket (which joins the sender's open case), open a review case,
dismiss it, or leave it alone. A message that left the queue (a person recovered or deleted it,
or it expired) closes its review case. What it has seen is carried over continue-as-new, and
review cases have fixed ids, so a message seen on many polls is one review.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from serviceflow.durable.intervals import checked_start
    from serviceflow.durable.messages import (
        QuarantineAct,
        QuarantineListing,
        QuarantineOutcome,
        TriageRequest,
        TriageResult,
        WatchStart,
        WatchStartInput,
    )
    from serviceflow.durable.signal_args import configured, no_argument
    from serviceflow.model import QuarantinedMessage

LIST_TIMEOUT = timedelta(minutes=5)
ACT_TIMEOUT = timedelta(minutes=2)
TRIAGE_TIMEOUT = timedelta(seconds=30)


def watcher_id(vendor: str, account: str) -> str:
    """The watcher's workflow id: one per helpdesk account."""
    return f"quarantine:{vendor}:{account}"


def _retry(interval: timedelta) -> RetryPolicy:
    """Retry until it works: backing off, but never waiting longer than a poll interval."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=max(timedelta(seconds=2), min(interval, timedelta(minutes=10))),
    )


# No failure_exception_types=[pydantic.ValidationError]: it would fail the run, for good, on any
# result or continued start that does not validate, not only on a hand-built bad start
# (tests/durable/test_loop_failures.py; sdk-python PR #882 and workflow.defn's docstring).
@workflow.defn(name="QuarantineWatcher")
class QuarantineWatcher:
    def __init__(self) -> None:
        self.known: dict[str, str] = {}
        self.reviews: dict[str, QuarantinedMessage] = {}
        self.interval = timedelta(minutes=5)
        self.polls = 0
        self.poll_now = False

    @workflow.run
    async def run(self, given: WatchStartInput) -> None:
        start = checked_start(WatchStart, given)  # a start out of range fails the run, named
        self.known = dict(start.known)
        self.reviews = dict(start.reviews)
        self.interval = timedelta(seconds=start.interval_seconds)
        while True:
            await self._poll(start)
            self.polls += 1
            try:
                await workflow.wait_condition(lambda: self.poll_now, timeout=self.interval)
            except TimeoutError:
                pass
            self.poll_now = False
            if self.polls >= start.polls_before_continue or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    start.model_copy(
                        update={
                            "known": self.known,
                            "reviews": self.reviews,
                            "interval_seconds": self.interval.total_seconds(),
                        }
                    )
                )

    async def _poll(self, start: WatchStart) -> None:
        retry = _retry(self.interval)
        listing = await workflow.execute_activity(
            "list_quarantined",
            args=[start.vendor, start.account],
            result_type=QuarantineListing,
            start_to_close_timeout=LIST_TIMEOUT,
            retry_policy=retry,
        )
        present = {message.id for message in listing.messages}
        for message in listing.messages:
            if message.id in self.known:
                continue
            if workflow.info().is_continue_as_new_suggested():
                self.poll_now = True  # a long backlog: the rest on the next run, at once
                break
            verdict = await workflow.execute_local_activity(
                "triage_quarantined",
                TriageRequest(message=message, now=workflow.now()),
                result_type=TriageResult,
                start_to_close_timeout=TRIAGE_TIMEOUT,
            )
            outcome = verdict.verdict
            if verdict.verdict != "ignore":
                done = await workflow.execute_activity(
                    "act_on_quarantined",
                    QuarantineAct(
                        message=message, verdict=verdict.verdict, rule=verdict.rule, reason=verdict.reason
                    ),
                    result_type=QuarantineOutcome,
                    start_to_close_timeout=ACT_TIMEOUT,
                    retry_policy=retry,
                )
                if done.case_id == message.key:
                    outcome = "review"  # e.g. the helpdesk refused to recover it: a person looks
            self.known[message.id] = outcome
            if outcome == "review":
                self.reviews[message.id] = message
        for message_id in [m for m in self.known if m not in present]:
            message = self.reviews.pop(message_id, None)
            if message is not None:
                await workflow.execute_activity(
                    "act_on_quarantined",
                    QuarantineAct(message=message, verdict="left_queue", time=workflow.now()),
                    result_type=QuarantineOutcome,
                    start_to_close_timeout=ACT_TIMEOUT,
                    retry_policy=retry,
                )
            del self.known[message_id]

    @workflow.signal(name="configure")
    def configure(self, *args: object) -> None:
        """A new poll interval in seconds (the worker sends its setting each time it starts);
        one missing, out of range or not a number is logged and ignored
        (signal_args.configured)."""
        interval = configured(args)
        if interval is not None:
            self.interval = interval

    @workflow.signal(name="poll_now")
    def poll(self, *args: object) -> None:
        """Poll at once instead of at the end of the interval (an argument is logged, ignored)."""
        no_argument("poll_now", args)
        self.poll_now = True

    @workflow.query(name="known")
    def known_messages(self) -> dict[str, str]:
        """Every message in the queue at the last poll, with its verdict."""
        return dict(self.known)
