"""Journeys: stages in order, a ``handoff`` stage being a back-office team's task with its own
target while the case owner stays accountable."""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine import deadlines
from serviceflow.engine.notices import notification
from serviceflow.engine.people import name_of, resolve
from serviceflow.engine.records import record, updated
from serviceflow.engine.rules import JourneyRuntime
from serviceflow.engine.run import Run
from serviceflow.model import AddInternalNote, JourneyState, NotifyPurpose, TargetKind, TicketEvent
from serviceflow.model.case import OPEN_STATUSES


def on_event(run: Run, event: TicketEvent) -> None:
    test = run.evaluator.test
    kind = event.kind._value_  # a condition false on this kind is not tested (its may_hold_on, inline);
    # ``_value_``: what ``.value`` reads, without the enum property's two Python calls
    for journey in run.rules.journeys:
        index = None
        for position, state in enumerate(run.case.journeys):  # a loop: no generator made
            if state.__dict__["name"] == journey.name:  # past pydantic's attribute hook
                index = position
                break
        if index is None:
            if ((kinds := journey.start.event_kinds) is not None and kind not in kinds) or not test(
                journey.start, policy=journey.name, rule="start"
            ):
                continue
            started = record(JourneyState, name=journey.name, stage=0, started_at=event.time)
            run.case.journeys = (*run.case.journeys, started)
            index = len(run.case.journeys) - 1
            run.notes.append(f"{journey.name}: journey started")
            _start_stage(run, journey, 0, event.time)
        current = run.case.journeys[index]
        while current.finished_at is None:
            stage = journey.stages[current.stage]
            target = None
            for instance in run.instances(journey.name, stage.spec.name):  # a loop: no generator
                if instance.__dict__["status"] in OPEN_STATUSES:  # instance.open, past the hook
                    target = instance
                    break
            if target is None or not test(stage.done, policy=journey.name, rule=stage.spec.name):
                break
            deadlines.meet(run, target, event.time, "stage done")
            if current.stage + 1 < len(journey.stages):
                current = updated(current, {"stage": current.stage + 1})
                _start_stage(run, journey, current.stage, event.time)
            else:
                current = updated(current, {"finished_at": event.time})
                run.notes.append(f"{journey.name}: journey finished")
            journeys = run.case.journeys
            run.case.journeys = (*journeys[:index], current, *journeys[index + 1 :])


def _start_stage(run: Run, journey: JourneyRuntime, index: int, time: datetime) -> None:
    stage = journey.stages[index]
    handoff = stage.spec.handoff
    roster = run.context.roster
    assignee = resolve([handoff], run.case.owner, roster)[0] if handoff else None
    target = deadlines.new_target(
        run,
        id=f"{journey.name}/{stage.spec.name}#{index + 1}",
        name=stage.spec.name,
        policy=journey.name,
        kind=TargetKind.STAGE,
        start=time,
        duration=stage.within,
        at_risk=stage.at_risk,
        escalation=stage.escalation,
        assignee=assignee,
        detail=stage.spec.note or "",
    )
    if target is None or handoff is None:
        return
    due = run.fmt(target.due_at)
    team = name_of(assignee or handoff, roster)
    reason = f"journey {journey.name}: stage {stage.spec.name} handed to {handoff}"
    run.emit(
        notification(
            run,
            target,
            key=f"handoff/{target.id}",
            recipients=(assignee or handoff,),
            subject=f"Handoff: {stage.spec.name} for ticket {run.case.ticket.id} (due {due})",
            body=stage.spec.note or f"Please complete '{stage.spec.name}' by {due}.",
            reason=reason,
            purpose=NotifyPurpose.HANDOFF,
        )
    )
    owner = name_of(run.case.owner, roster, nobody="The owner")
    run.act(
        AddInternalNote,
        f"handoff-note/{target.id}",
        reason=reason,
        policy=journey.name,
        rule=stage.spec.name,
        body=(
            f"Handed to {team} for '{stage.spec.name}', due {due}. {owner} stays accountable for this case."
        ),
    )
