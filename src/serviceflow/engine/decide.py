"""decide(state, input, now, rules, context) -> Outcome: the functional core of serviceflow.

Pure and deterministic: no I/O, no clock reads, no randomness. Every action carries the reason,
the policy and the rule that issued it, and every decision records the policy set version.

An event is handled in three steps: timers due before the event happened are processed, then
the event itself (at its own time), then timers due up to ``now``. Wake-ups only process timers.
``decide`` never raises on its input: anything unexpected becomes a recorded rule error, and the
policy set's safe fallback applies (see :mod:`serviceflow.engine.safety`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from serviceflow.engine import (
    acknowledge,
    authority,
    deadlines,
    journeys,
    ownership,
    promises,
    targets,
    versions,
)
from serviceflow.engine.escalation import advance
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import (
    Context,
    EngineInput,
    EventInput,
    LinkContact,
    Outcome,
    ReassignOwner,
    RecordPromise,
    RequestRemedy,
    ResolveApproval,
    WakeUp,
)
from serviceflow.engine.people import OwnerChoice
from serviceflow.engine.records import record, record_past_validators
from serviceflow.engine.rules import PolicyRuntime, Rules
from serviceflow.engine.run import Draft, Run
from serviceflow.engine.safety import failed_outcome
from serviceflow.engine.timers import next_wake_up
from serviceflow.model import (
    ActorRole,
    CaseState,
    Decision,
    EventKind,
    TargetKind,
    TargetStatus,
    TicketEvent,
    TicketStatus,
)

__all__ = ["decide", "next_wake_up"]

#: Enum members read once: a member read off its class goes through ``EnumType.__getattr__``'s
#: slot hook, several times slower than a module global, and these are read on every input.
_SERVICEFLOW, _AGENT = ActorRole.SERVICEFLOW, ActorRole.AGENT
_AGENT_REPLY, _CREATED, _STATUS_CHANGED = EventKind.AGENT_REPLY, EventKind.CREATED, EventKind.STATUS_CHANGED
_CLOSED = TicketStatus.CLOSED


def decide(
    state: CaseState | None,
    engine_input: EngineInput,
    now: datetime,
    rules: Rules,
    context: Context | None = None,
) -> Outcome:
    """Decide on one input.

    Args:
        state: the case so far; None for the first event of a new case.
        engine_input: a ticket event, a wake-up, or a manual operation.
        now: the current time, as the caller's clock (or a simulated one) says.
        rules: the compiled policy set (with the earlier versions it keeps).
        context: the roster and the requester's other open cases.

    Returns:
        The new state, the actions to carry out (in order), and the next wake-up time.

    Raises:
        ValueError: only for a caller's mistake: a manual input for a case that has not started,
            or one naming an approval or promise rule that does not exist.
    """
    # The fields of the input and the case read from their dicts: past pydantic's attribute hook.
    if isinstance(engine_input, EventInput):
        ident = engine_input.__dict__["event"].__dict__["id"]
        if state is not None and ident in state.__dict__["seen_events"]:
            return Outcome(state, (), next_wake_up(state), None)
    elif state is None:
        raise ValueError("only a ticket event can start a case")
    elif isinstance(engine_input, WakeUp):
        # A wake-up with no timer due, under the version the case already follows, changes
        # nothing: the rules are checked again when the next event or timer comes.
        if state.__dict__["policy_version"] == rules.version:
            wake = next_wake_up(state)
            if wake is None or wake > now:
                return Outcome(state, (), wake, None)
    try:
        return _decide(state, engine_input, now, rules, context or Context())
    except Exception as exc:  # never out of decide: recorded, and the fallback applies
        if not isinstance(engine_input, EventInput | WakeUp) and _is_caller_error(exc):
            raise
        try:
            return failed_outcome(state, engine_input, now, rules, context or Context(), exc)
        except Exception:  # not even the fallback: the case stays as it was, and retries later
            if state is None:
                raise
            return Outcome(state, (), None, None)


def _is_caller_error(exc: Exception) -> bool:
    return isinstance(exc, ValueError) and str(exc).startswith(("no approval", "no promise rule"))


def _decide(
    state_in: CaseState | None, engine_input: EngineInput, now: datetime, rules: Rules, context: Context
) -> Outcome:
    event = engine_input.event if isinstance(engine_input, EventInput) else None
    new_case = state_in is None
    if state_in is None:
        assert event is not None
        # Built directly: the event's ticket and time are validated already, and CaseState's
        # validators change nothing of a new case (records.record_past_validators).
        state_in = record_past_validators(
            CaseState,
            case_id=event.ticket.key,
            ticket=event.ticket,
            opened_at=event.time,
            policy_version=rules.version,
        )
    rules, switched = versions.rules_for(state_in, rules)
    case = Draft.of(state_in)
    values: dict[str, object] = {"case": state_in.view, "now": now}
    # The event's fields read from its dict, once: past pydantic's attribute hook.
    happened: dict[str, Any] = event.__dict__ if event is not None else {}
    if event is not None:
        ticket = happened["ticket"]
        if ticket.__dict__["updated_at"] >= case.ticket.__dict__["updated_at"] and (
            case.assigned_on is None or not ownership.stale_copy(case.assigned_on, ticket, case.ticket)
        ):
            case.ticket = ticket
        case.seen_events = (*case.seen_events, happened["id"])
        values["event"] = event
        values["now"] = happened["time"]
    elif isinstance(engine_input, RequestRemedy):  # an event is none
        values["remedy"] = engine_input.remedy
    values["ticket"] = case.ticket
    evaluator = Evaluator(rules.environment, values, cache=rules.cache)
    run = Run(rules, now, context, engine_input, state_in, case, evaluator)
    switch_notes = versions.switch(run, switched)
    if event is not None:
        advance(run, min(happened["time"], now))
        label = f"{happened['kind']._value_} {happened['id']}"
        _on_event(run, event, new_case=new_case, switched=switched is not None)
    else:
        label = _on_manual(run, engine_input)
        matching = _matching_now(run) if isinstance(engine_input, WakeUp) else None
        targets.follow_rules(run, matching, switched=switched is not None)
    advance(run, now)
    _close_if_done(run)
    run.notes.extend(switch_notes)
    return _outcome(run, label)


def _outcome(run: Run, label: str) -> Outcome:
    errors = tuple(map(str, run.evaluator.errors)) if run.evaluator.errors else ()
    if not run.actions and not run.notes and not errors and isinstance(run.engine_input, WakeUp):
        state = run.case.freeze(run.base, None, ())
        return Outcome(state, (), next_wake_up(state), None)
    actions = tuple(run.actions)  # one tuple for the decision and the outcome
    decision = record(
        Decision,
        time=run.now,
        input=label,
        policy_version=run.rules.version,
        actions=actions,
        notes=tuple(run.notes),
        errors=errors,
    )
    keys: tuple[str, ...] = ()
    if actions:  # a loop, not a comprehension (a function made per decision); past the hook
        found = []
        for action in actions:
            found.append(action.__dict__["key"])
        keys = tuple(found)
    state = run.case.freeze(run.base, decision, keys)
    run.issued_after(state, keys)
    return Outcome(state, actions, next_wake_up(state), decision, run.evaluator.counter[0])


def _matching(run: Run, event: TicketEvent | None) -> list[PolicyRuntime]:
    """The policies that cover the ticket now (those whose ``match`` reads the event count as
    matching when there is none)."""
    kind = run.case.ticket.kind._value_  # .value without the enum property's Python calls
    test = run.evaluator.test
    matching = []
    # A loop, not a comprehension: on 3.11 a comprehension is a nested function made and called
    # each time (PEP 709 inlines them from 3.12).
    for p in run.rules.policies:
        if p.kind == kind and (
            (event is None and p.match_reads_event) or test(p.match, policy=p.name, rule="match")
        ):
            matching.append(p)
    return matching


def _matching_now(run: Run) -> set[str]:
    return {p.name for p in _matching(run, None)}


# -- events --------------------------------------------------------------------------------------


def _on_event(run: Run, event: TicketEvent, *, new_case: bool, switched: bool) -> None:
    matching = _matching(run, event)
    names = set()
    for policy in matching:  # a loop, not a comprehension: no function made per decision
        names.add(policy.name)
    targets.follow_rules(run, names, switched=switched)
    if event.actor.role is _SERVICEFLOW:
        _on_own_write(run, event)
        return
    linked = new_case and ownership.same_case(run, matching, event)
    if not linked:
        ownership.on_event(run, matching, event)
    if event.kind is _AGENT_REPLY and event.actor.role is _AGENT:
        run.case.human_replied = True
    _remember(run, event)
    kind = event.kind._value_  # read once for the steps below (``.value``, past the enum property)
    for policy in run.rules.policies:
        matches = policy.name in names
        if not matches and not run.holds(policy.name):
            continue  # nothing of it can start, and the case has nothing of it to stop or keep
        targets.on_event(run, policy, event, matches=matches, kind=kind)
        promises.on_event(run, policy, event, matches=matches, kind=kind)
        acknowledge.on_event(run, policy, event, matches=matches, kind=kind)
    acknowledge.reopen_unanswered(run, matching, event)
    journeys.on_event(run, event)
    if event.ticket.status is _CLOSED:
        _ticket_closed(run)
    if run.evaluator.errors:
        ownership.apply_fallback(run, event.time)


def _on_own_write(run: Run, event: TicketEvent) -> None:
    """The echo of serviceflow's own write (its note, its assignment, its tags).

    It refreshes what the case knows of the ticket, and a target's pause follows the ticket's
    state, but it is nobody's reply or acknowledgement: no target starts, stops or is met, no
    promise is recorded or kept, no journey moves, no owner changes.
    """
    for policy in run.rules.policies:
        targets.follow_pauses(run, policy, event)
    if event.ticket.status is TicketStatus.CLOSED:
        _ticket_closed(run)
    if run.evaluator.errors:
        ownership.apply_fallback(run, event.time)


def _remember(run: Run, event: TicketEvent) -> None:
    """Keep the story: what the customer said and what people did, for the case summary."""
    fields = event.__dict__  # its fields past pydantic's attribute hook, one read for all
    kind = fields["kind"]
    if kind not in _TOLD:
        return
    actor = fields["actor"]
    who = actor.name or actor.id or actor.role.value
    if kind is _CREATED:
        ticket = fields["ticket"]
        entry = f"{who} opened ticket {ticket.id} ({ticket.channel.value})"
    elif kind is _STATUS_CHANGED:
        entry = f"{who} set the status to {fields['ticket'].status.value}"
    else:
        entry = f"{who} {_TOLD[kind]}"
    text = " ".join((fields["body"] or "").split())
    text = f": {text[:117]}..." if len(text) > 120 else (f": {text}" if text else "")
    run.case.timeline.append(f"{run.fmt(fields['time'])} {entry}{text}")


#: The events a case's story tells, and the verb of those told by a verb alone.
_TOLD = {
    EventKind.CREATED: "",
    EventKind.CUSTOMER_MESSAGE: "wrote",
    EventKind.AGENT_REPLY: "replied",
    EventKind.INTERNAL_NOTE: "noted",
    EventKind.STATUS_CHANGED: "",
}


def _on_manual(run: Run, engine_input: EngineInput) -> str:
    if isinstance(engine_input, WakeUp):
        return "wake-up"
    if isinstance(engine_input, ReassignOwner):
        reason = f"reassigned by {engine_input.by}: {engine_input.reason}"
        ownership.set_owner(run, OwnerChoice(engine_input.agent, None, "manual", "reassign", reason), run.now)
        return f"reassign owner to {engine_input.agent}"
    if isinstance(engine_input, RecordPromise):
        promises.record_by_hand(run, engine_input)
        return f"record promise {engine_input.promise}"
    if isinstance(engine_input, RequestRemedy):
        authority.request_remedy(run, engine_input)
        return f"remedy request {engine_input.remedy.kind} {engine_input.remedy.amount}"
    if isinstance(engine_input, ResolveApproval):
        authority.resolve_approval(run, engine_input)
        return f"approval {engine_input.approval}"
    if isinstance(engine_input, LinkContact):
        if engine_input.ticket_key not in run.case.linked_tickets:
            run.case.linked_tickets = (*run.case.linked_tickets, engine_input.ticket_key)
            run.notes.append(f"repeat contact {engine_input.ticket_key} joined this case")
        return f"link contact {engine_input.ticket_key}"
    raise TypeError(f"unknown input {engine_input!r}")


# -- housekeeping --------------------------------------------------------------------------------


def _ticket_closed(run: Run) -> None:
    """A closed ticket stops its turnaround targets; promises stand until kept or missed."""
    for target in list(run.case.targets):
        if (
            target.open
            and target.kind is not TargetKind.PROMISE
            and target.status is not TargetStatus.BREACHED
        ):
            deadlines.cancel(run, target, "the ticket was closed")


def _close_if_done(run: Run) -> None:
    case = run.case
    if case.closed_at is not None or case.ticket.status is not _CLOSED:
        return
    if all(t.settled for t in case.targets) and not case.deferred:
        case.closed_at = run.now
        run.notes.append("case closed: the ticket is closed and every target is settled")
