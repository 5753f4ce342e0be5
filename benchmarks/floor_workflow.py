"""The floor: the least a Temporal workflow can do for the task shape of one serviceflow case.

What ``CaseWorkflow`` (src/serviceflow/durable/workflows.py) does for a case in bench_durable,
read from its history (23 events: 3 workflow tasks, 7 markers, 2 timers, 1 search-attribute
upsert), and what this workflow does in the same order with the same Temporal features:

1. the client starts it with **signal-with-start** (``start_workflow(..., start_signal=
   "event")``), the signal carrying the ticket event;
2. one workflow task takes the signal from its inbox and runs the **decision as a local
   activity** (the case: ``decide``), then **one action as a local activity** (the case:
   ``carry_out`` of ``assign_owner``);
3. it waits on its inbox with a timeout: a **durable timer** to the at-risk warning (the case:
   ``wait_condition(..., timeout=)`` to the engine's next wake-up, at 75 % of the target, the
   policy set's default ``at_risk``); then one workflow task with a local-activity **decision**
   and **action** (the case: ``decide`` on the wake-up, ``carry_out`` of the owner's warning);
4. a second **durable timer**, to the breach, and one workflow task with a local-activity
   **decision** and **action** (the case: ``carry_out`` of the escalation's first level);
5. it stays open, waiting on its inbox, as a case does until its ticket is solved.

So both made 3 workflow tasks, 6 local activities (markers) and 2 timers per case. Since
``case-in-decide`` (durable/compact.py) the case carries out its action inside its decision's
local activity: 4 local activities (the ticket read and three decisions), 5 markers, 21 events.
The floor is kept as the issue defined it (a decision and an action, each a local activity), so
the case's ratios stay comparable with those measured before. The issue's
sketch of the shape has one timer; the case in fact warns before it escalates, so the floor does
too. What the floor leaves out is what serviceflow adds: the engine's work in the activities,
the pydantic data converter and its payloads (the ticket, the case state, the decision: 13.5 KiB
of history against the floor's 3.6 KiB), the requester's search attribute on the start, the
``workflow.patched`` marker (and the search-attribute upsert the SDK makes for it). The floor
uses Temporal's default data converter with small dataclasses, and the same sandboxed workflow
runner, worker settings, timeouts and retry policy as the case.

Its memory is no least under the sandbox: its dataclasses and its activity class live in this
module, the workflow's, which the sandbox re-imports for every run, so an open floor holds its own
copy of them (about 68 KiB of its ~136 KiB per open workflow on 2026-12-03; unsandboxed, or with
this module passed through, ~68 KiB). serviceflow's workflows.py passes its types through, as the
SDK advises. Compare memory with bench_durable's ``floor-bare`` or ``floor-passthrough`` kinds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

DECIDE_TIMEOUT = timedelta(seconds=30)  # as serviceflow.durable.workflows
ACTION_TIMEOUT = timedelta(minutes=2)
ACTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)


@dataclass
class FloorEvent:
    """The signal: which ticket, and its target's deadlines (seconds since the epoch)."""

    ticket_id: str
    warn_at: float  # the at-risk warning, at 75 % of the target as the policy set's default
    due: float  # the breach


@dataclass
class FloorStep:
    """A decision's input: the ticket's event, and what woke the workflow."""

    event: FloorEvent
    cause: str  # "event", "warn" or "breach"


@dataclass
class FloorDecision:
    action: str  # "assign", "warn" or "escalate"
    wake_at: float | None  # the next wake-up (seconds since the epoch)
    wake_for: str = ""  # what that wake-up is for


@dataclass
class FloorAction:
    ticket_id: str
    action: str


class FloorActivities:
    """The floor's decision and action: no engine, no helpdesk; ``record`` notes the action."""

    def __init__(self, record: Callable[[str, str, float], None]) -> None:
        self.record = record

    @activity.defn(name="floor_decide")
    async def decide(self, step: FloorStep) -> FloorDecision:
        if step.cause == "event":
            return FloorDecision(action="assign", wake_at=step.event.warn_at, wake_for="warn")
        if step.cause == "warn":
            return FloorDecision(action="warn", wake_at=step.event.due, wake_for="breach")
        return FloorDecision(action="escalate", wake_at=None)

    @activity.defn(name="floor_act")
    async def act(self, action: FloorAction) -> str:
        self.record(action.ticket_id, action.action, time.time())
        return "done"


@workflow.defn(name="Floor")
class FloorWorkflow:
    def __init__(self) -> None:
        self.inbox: list[FloorEvent] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: bool(self.inbox))
        event = self.inbox.pop(0)
        decision = await self._decide_and_act(FloorStep(event, "event"))
        while decision.wake_at is not None:
            delay = decision.wake_at - workflow.now().timestamp()
            if delay > 0:  # a durable timer, as CaseWorkflow._next_input waits for its wake-up
                try:
                    await workflow.wait_condition(lambda: bool(self.inbox), timeout=delay)
                except TimeoutError:
                    pass
            decision = await self._decide_and_act(FloorStep(event, decision.wake_for))
        await workflow.wait_condition(lambda: bool(self.inbox))  # open until the next event

    async def _decide_and_act(self, step: FloorStep) -> FloorDecision:
        decision = await workflow.execute_local_activity(
            "floor_decide", step, result_type=FloorDecision, start_to_close_timeout=DECIDE_TIMEOUT
        )
        await workflow.execute_local_activity(
            "floor_act",
            FloorAction(step.event.ticket_id, decision.action),
            result_type=str,
            start_to_close_timeout=ACTION_TIMEOUT,
            retry_policy=ACTION_RETRY,
        )
        return decision

    @workflow.signal(name="event")
    def event(self, event: FloorEvent) -> None:
        self.inbox.append(event)
