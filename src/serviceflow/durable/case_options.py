"""The case workflow's timeouts, retry policies and ``workflow.patched()`` markers (case_flow.py).

Changes to what the workflow does are asked with ``workflow.patched()`` once, first thing in a
run, before any await (:data:`AT_RUN_START`), never after a local activity: sdk-core may answer a
query while a local activity's result is on its way and send that result's marker with the
query's answer, ending the workflow task before the workflow saw the result. On replay the
result then comes one workflow task earlier than it did, and a ``patched()`` first asked after it
comes before its own marker's task: it answers False, and the case takes the old path
(``Change id ... does not match expected id ...``). See docs/production.md, replay safety.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from serviceflow.durable.fallback import DECIDE_ATTEMPTS

DECIDE_TIMEOUT = timedelta(seconds=30)
BOUNDED_DECIDE = "decide-bounded-retries"  # a workflow.patched() marker: see case_local.py
# A decision that raises is tried DECIDE_ATTEMPTS times (a second and a half in all), then the
# case falls back (fallback.py); before the marker, a raising decision was retried without end.
DECIDE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=DECIDE_ATTEMPTS,
)
LOCAL_ACTIONS = "actions-as-local-activities"  # a workflow.patched() marker: see run()
# A workflow.patched() marker: a Notify goes to the helpdesk only when its channels name it, and
# to every other channel it names through the delivery activity, each delivery recorded.
NOTIFY_CHANNELS = "notify-through-channels"
# A workflow.patched() marker: the full ticket is read from the helpdesk when the case opens and
# when an event's ticket lacks what the webhook did not carry; see _complete().
FULL_TICKET = "read-the-full-ticket"
# The workflow.patched() marker asked first in every run, before any await: with it, every change
# above is on for the whole run and no other marker is asked (or recorded); a run that began
# without it asks each where it always did, as it ran. A new change is asked beside it, in run(),
# before it: a run that has the newer one has every older one too, and records only the newest's
# marker (one per run); a run recorded before the newer one replays without it (no marker).
AT_RUN_START = "patches-at-run-start"
# A workflow.patched() marker, once the newest (it implies CASE_IN_DECIDE and every older change,
# so a new run still records one marker): what a run left undecided (CaseStart.pending) is
# decided before the signals and updates the next run's first activation brings, which the SDK
# applies before the run's first step (they came later); runs before it put them after.
CARRIED_FIRST = "carried-over-first"
# A workflow.patched() marker, once the newest (it implies CARRIED_FIRST and every older one): the
# state the workflow keeps, and each decide marker carries, is packed (durable/compact.py,
# packed()); runs before it keep the JSON as they did.
STATE_PACKED = "state-packed"
# The newest workflow.patched() marker (it implies STATE_PACKED and so every older change): an
# event of another ticket than the case's (an ``event`` signal sent to the wrong case) is logged
# and ignored where it leaves the inbox (own_events.py), not in the signal handler: the first
# activation's signals are handled before the run asks its changes. Runs before it decide such an
# event into the case, as they did (tests/durable/histories/foreign_event_decided.json).
OWN_EVENTS_ONLY = "own-events-only"
READ_TIMEOUT = timedelta(seconds=30)
# A local activity, as the decision: a read is tried four times over seven seconds (the adapter's
# transport waits out a short Retry-After within each), then the case decides on what the
# webhook gave, says so, and tries again on a later event (full_ticket.MAX_READS).
READ_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=4),
    maximum_attempts=4,
)
READ_DEADLINE = timedelta(minutes=1)
ACTION_TIMEOUT = timedelta(minutes=2)
ACTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
