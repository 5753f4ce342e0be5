"""The case workflow's side of recording outcomes: the decide local activity records them
(``outcomes-in-decide``, :data:`OUTCOMES_IN_DECIDE`); else, after each decision, one local activity.

Workflow code (deterministic, sandbox-safe): it only builds the request and runs the local
activity ``record_outcomes`` (:mod:`serviceflow.outcomes.activity`). A local activity keeps its
input out of the history (two case states), and its small result is a marker. Recording never
holds a case up: the activity retries the store a bounded number of times itself and answers
either way; a failure of the activity itself is logged, and the case goes on. A worker without
the activity fails the workflow task, as for any activity (durable/registration.py).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from serviceflow.engine.inputs import EngineInput, EventInput
from serviceflow.model import CaseState, Decision

#: The workflow.patched() marker of the call in CaseWorkflow.run (cases started before it
#: replay without it).
RECORD_OUTCOMES = "record-outcomes"
#: The workflow.patched() marker, asked at the start of a run (durable/case_flow.py): the decide
#: local activity records the decision's outcomes itself (no local activity, no marker of their
#: own); a decision the activity did not record (the workflow's last resort) still takes the
#: ``record_outcomes`` local activity.
OUTCOMES_IN_DECIDE = "outcomes-in-decide"
RECORD_TIMEOUT = timedelta(seconds=60)
#: The activity retries the store itself (SERVICEFLOW_OUTCOMES_ATTEMPTS); one more try covers a
#: worker that lost it mid-way.
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2)


class RecordRequest(BaseModel):
    """One decision: the case before and after it, and when its input happened."""

    model_config = ConfigDict(frozen=True)

    before: CaseState | None
    after: CaseState
    decision: Decision
    at: AwareDatetime | None = None  # the ticket event's own time; None: the decision's


class RecordResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int  # derived from the decision
    written: int  # new in the store (fewer: kept already, by an earlier try)
    failed: str | None = None  # the store failed every try: why (the case went on)


async def record_decision(
    before: CaseState | None, engine_input: EngineInput, state: CaseState, decision: Decision | None
) -> None:
    """Record what one decision found; never raises (the case goes on whatever happens)."""
    if decision is None:
        return
    request = record_request(before, engine_input, state, decision)
    try:
        result = await workflow.execute_local_activity(
            "record_outcomes",
            request,
            result_type=RecordResult,
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
    except (ActivityError, ApplicationError) as exc:
        workflow.logger.error("outcomes of the decision at %s not recorded: %s", decision.time, exc)
        return
    if result.failed is not None:
        workflow.logger.error("outcomes of the decision at %s not recorded: %s", decision.time, result.failed)


def record_request(
    before: CaseState | None, engine_input: EngineInput, after: CaseState, decision: Decision
) -> RecordRequest:
    """What derive() needs of one decision (the states slimmed: see :func:`slim`)."""
    at = engine_input.event.time if isinstance(engine_input, EventInput) else None
    return RecordRequest(
        before=slim(before) if before is not None else None, after=slim(after), decision=decision, at=at
    )


#: What derive() does not read: left out of the activity's input, which is then a few KB.
_UNREAD = {
    "ownership": (),
    "journeys": (),
    "seen_events": (),
    "issued": (),
    "notified": (),
    "deferred": (),
    "timeline": (),
    "decisions": (),
}


def slim(state: CaseState) -> CaseState:
    """The case with only what derive() reads (the rest emptied, unvalidated: a copy, cheap)."""
    return state.model_copy(update=_UNREAD)
