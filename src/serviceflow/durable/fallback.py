"""When the engine cannot decide: the case records why and falls back, and never retries forever.

The case workflow runs ``decide`` as a local activity with a bounded retry policy
(:data:`DECIDE_ATTEMPTS`). When every attempt raises, it asks the same activity once more with the
failure (``DecideRequest.failure``), and :func:`fall_back` answers: the error is recorded as a
decision, the policy set's safe owner takes the case if it has none (a person from the fallback
pool), and a note on the ticket says what happened. Should even that fail, the workflow applies
:func:`last_resort` itself: the error is recorded and the input set aside, with no action. Either
way the case goes on with its next input.

A wake-up that cannot be decided stops the case's timers until its next event (the note says so):
waking again at once would only fail again.
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.durable.messages import DecideRequest, DecideResult
from serviceflow.engine.decide import next_wake_up
from serviceflow.engine.inputs import EngineInput, EventInput, WakeUp
from serviceflow.engine.ownership import assigned_on
from serviceflow.engine.people import fallback_owner
from serviceflow.engine.rules import Rules
from serviceflow.engine.run import DECISIONS_KEPT
from serviceflow.model import (
    Action,
    AddInternalNote,
    AssignOwner,
    CaseState,
    Decision,
    OwnershipChange,
    Roster,
)

DECIDE_ATTEMPTS = 3  # tries of one decision before it falls back
ERROR_KEPT = 500  # characters of an error's text kept in the case


def fall_back(request: DecideRequest, rules: Rules, roster: Roster) -> DecideResult:
    """The decision of a case whose input the engine failed on ``DECIDE_ATTEMPTS`` times."""
    error = (request.failure or "the engine failed")[:ERROR_KEPT]
    state = _opened(request.state, request.input)
    label, purpose = _label(request.input, request.now)
    actions: list[Action] = []
    updates: dict[str, object] = {}
    if state.owner is None:
        choice = fallback_owner(rules.fallback.owner, roster, "the engine could not decide on this ticket")
        agent = None if choice.owner.startswith("group:") else choice.owner
        group = choice.group or (choice.owner.partition(":")[2] if agent is None else None)
        known = roster.group(group) if group is not None else None
        change = OwnershipChange(
            time=request.now, previous=None, owner=choice.owner, reason=choice.reason,
            policy="fallback", rule="fallback",
        )  # fmt: skip
        seen = state.ticket  # as engine/safety.py: no ticket seen can show this write yet
        if isinstance(request.input, EventInput) and request.input.event.ticket.updated_at >= seen.updated_at:
            seen = request.input.event.ticket
        updates.update(
            owner=choice.owner, ownership=(*state.ownership, change), assigned_on=assigned_on(seen)
        )
        actions.append(
            AssignOwner(
                key=f"{state.case_id}/fallback-assign@{purpose}", reason=choice.reason,
                policy="fallback", rule="fallback", agent=agent, group=known.id if known else group,
            )
        )  # fmt: skip
    stopped = isinstance(request.input, WakeUp)
    body = f"{rules.fallback.note}\n- the engine could not decide on {label}: {error}"
    if stopped:
        body += "\n- its timers are stopped until the ticket's next event"
    actions.append(
        AddInternalNote(
            key=f"{state.case_id}/fallback-decide@{purpose}",
            reason="the engine could not decide; the safe default was applied",
            policy="fallback", rule="fallback", body=body,
        )
    )  # fmt: skip
    issued = tuple(a.key for a in actions if a.key not in state.issued)
    note = f"the engine failed {DECIDE_ATTEMPTS} times; the fallback was applied"
    state = _recorded(state.model_copy(update=updates), request, label, rules.version, error, actions, note)
    state = state.model_copy(update={"issued": (*state.issued, *issued)})
    return DecideResult(
        state=state,
        actions=[a for a in actions if a.key in issued],
        wake_at=None if stopped else _later(next_wake_up(state), request.now),
        decided=True,  # state.decisions[-1], in the marker once
    )


def last_resort(request: DecideRequest, error: str) -> DecideResult:
    """What the workflow itself does when even the fallback fails: record the error, set the
    input aside, carry out nothing. Pure and deterministic, as workflow code must be."""
    state = _opened(request.state, request.input)
    label, _ = _label(request.input, request.now)
    note = "the engine and its fallback failed; the input was set aside"
    state = _recorded(state, request, label, "-", error[:ERROR_KEPT], [], note)
    stopped = isinstance(request.input, WakeUp)
    return DecideResult(
        state=state,
        actions=[],
        wake_at=None if stopped else _later(next_wake_up(state), request.now),
        decision=state.decisions[-1],
    )


def _opened(state: CaseState | None, engine_input: EngineInput) -> CaseState:
    if state is not None:
        return state
    if not isinstance(engine_input, EventInput):
        raise ValueError("only a ticket event can start a case")
    event = engine_input.event
    return CaseState(case_id=event.ticket.key, ticket=event.ticket, opened_at=event.time)


def _label(engine_input: EngineInput, now: datetime) -> tuple[str, str]:
    """How the input is named in the case, and what makes the fallback's keys unique to it."""
    if isinstance(engine_input, EventInput):
        event = engine_input.event
        return f"{event.kind.value} {event.id}", event.id
    return engine_input.type.replace("_", " "), f"{engine_input.type}@{now.isoformat()}"


def _recorded(
    state: CaseState,
    request: DecideRequest,
    label: str,
    version: str,
    error: str,
    actions: list[Action],
    note: str,
) -> CaseState:
    decision = Decision(
        time=request.now,
        input=label,
        policy_version=version,
        actions=tuple(actions),
        notes=(note,),
        errors=(error,),
    )
    seen = state.seen_events
    if isinstance(request.input, EventInput) and request.input.event.id not in seen:
        seen = (*seen, request.input.event.id)
    decisions = (*state.decisions, decision)[-DECISIONS_KEPT:]
    return state.model_copy(update={"decisions": decisions, "seen_events": seen})


def _later(wake_at: datetime | None, now: datetime) -> datetime | None:
    return wake_at if wake_at is not None and wake_at > now else None
