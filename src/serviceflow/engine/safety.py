"""When deciding fails: the input is recorded with the error, and the policy set's safe fallback
applies (an owner from the fallback pool, a note), so that no input ever leaves a case stuck.

Nothing here does calendar or date arithmetic beyond one bounded retry time: the failure may
have come from exactly that (a time near year 9999, a duration of 99999999999 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from serviceflow.engine.inputs import Context, EngineInput, EventInput, Outcome
from serviceflow.engine.ownership import assigned_on
from serviceflow.engine.people import fallback_owner
from serviceflow.engine.records import updated
from serviceflow.engine.rules import Rules
from serviceflow.engine.timers import next_wake_up
from serviceflow.model import Action, AddInternalNote, AssignOwner, CaseState, Decision, OwnershipChange

#: After a failed decision, the case tries its timers again this much later (not at once).
RETRY_AFTER = timedelta(hours=1)


def failed_outcome(
    state: CaseState | None,
    engine_input: EngineInput,
    now: datetime,
    rules: Rules,
    context: Context,
    error: BaseException,
) -> Outcome:
    """The outcome of a decision that raised ``error``: recorded, with the safe fallback."""
    event = engine_input.event if isinstance(engine_input, EventInput) else None
    if state is None:
        assert event is not None  # only an event starts a case
        state = CaseState(case_id=event.ticket.key, ticket=event.ticket, opened_at=event.time)
    message = f"decision failed: {type(error).__name__}: {error}"
    label = f"{event.kind.value} {event.id}" if event else type(engine_input).__name__
    actions: list[Action] = []
    changes: dict[str, object] = {}
    if event is not None:
        changes["seen_events"] = (*state.seen_events, event.id)[-500:]
    if state.owner is None:
        choice = fallback_owner(rules.fallback.owner, context.roster, "a decision failed")
        agent = None if choice.owner.startswith("group:") else choice.owner
        group = choice.group or (choice.owner.partition(":")[2] if agent is None else None)
        actions.append(
            AssignOwner(
                key=f"{state.case_id}/assign/fallback",
                reason=choice.reason,
                policy="fallback",
                rule="fallback",
                agent=agent,
                group=group,
            )
        )
        changes["owner"] = choice.owner
        newer = event is not None and event.ticket.updated_at >= state.ticket.updated_at
        changes["assigned_on"] = assigned_on(event.ticket if newer and event else state.ticket)
        change = OwnershipChange(
            time=now,
            previous=None,
            owner=choice.owner,
            reason=choice.reason,
            policy="fallback",
            rule="fallback",
        )
        changes["ownership"] = (*state.ownership, change)
    note_key = f"{state.case_id}/failed/{rules.version}/{type(error).__name__}"
    if note_key not in state.issued:
        actions.append(
            AddInternalNote(
                key=note_key,
                reason="a decision failed; the safe default was applied",
                policy="fallback",
                rule="fallback",
                body=f"{rules.fallback.note}\n- {message}",
            )
        )
    decision = Decision(
        time=now,
        input=label,
        policy_version=rules.version,
        actions=tuple(actions),
        errors=(f"engine: {message} (used: the fallback)",),
    )
    changes["decisions"] = (*state.decisions, decision)[-200:]
    changes["issued"] = (*state.issued, *(a.key for a in actions))
    new_state = updated(state, changes)
    return Outcome(new_state, tuple(actions), _retry_at(new_state, now), decision)


def _retry_at(state: CaseState, now: datetime) -> datetime | None:
    wake = next_wake_up(state)
    if wake is None or wake > now:
        return wake
    try:
        return now + RETRY_AFTER
    except OverflowError:
        return None
