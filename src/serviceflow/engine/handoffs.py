"""Journeys with their handoffs to back-office teams, and remedies over the owner's authority."""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import (
    RequestRemedy,
    ResolveApproval,
)
from serviceflow.engine.people import resolve
from serviceflow.engine.run_base import RunBase
from serviceflow.model import (
    AddInternalNote,
    JourneyState,
    Notify,
    TargetKind,
    TicketEvent,
)


class Handoffs(RunBase):
    # -- journeys ------------------------------------------------------------------------------

    def _journeys(self, event: TicketEvent) -> None:
        assert self.evaluator is not None
        for journey in self.rules.journeys:
            current = next((j for j in self.state.journeys if j.name == journey.name), None)
            if current is None:
                if not self.evaluator.test(journey.start, policy=journey.name, rule="start"):
                    continue
                current = JourneyState(name=journey.name, stage=0, started_at=event.time)
                self._update(journeys=(*self.state.journeys, current))
                self.notes.append(f"{journey.name}: journey started")
                self._start_stage(journey.name, 0, event.time)
            if current.finished_at is not None:
                continue
            while current.finished_at is None:
                stage = journey.stages[current.stage]
                target = next((t for t in self._instances(journey.name, stage.spec.name) if t.open), None)
                if target is None:
                    break
                if not self.evaluator.test(stage.done, policy=journey.name, rule=stage.spec.name):
                    break
                self._meet(target, event.time, "stage done")
                if current.stage + 1 < len(journey.stages):
                    current = current.model_copy(update={"stage": current.stage + 1})
                    self._start_stage(journey.name, current.stage, event.time)
                else:
                    current = current.model_copy(update={"finished_at": event.time})
                    self.notes.append(f"{journey.name}: journey finished")
                self._update(
                    journeys=tuple(current if j.name == journey.name else j for j in self.state.journeys)
                )

    def _start_stage(self, journey_name: str, index: int, time: datetime) -> None:
        journey = next(j for j in self.rules.journeys if j.name == journey_name)
        stage = journey.stages[index]
        handoff = stage.spec.handoff
        assignee = resolve([handoff], self.state.owner, self.context.roster)[0] if handoff else None
        target = self._new_target(
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
        due = f"{self._fmt(target.due_at)}"
        reason = f"journey {journey.name}: stage {stage.spec.name} handed to {handoff}"
        self._act(
            Notify,
            f"handoff/{target.id}",
            reason=reason,
            policy=journey.name,
            rule=stage.spec.name,
            recipients=(assignee or handoff,),
            subject=f"Handoff: {stage.spec.name} for ticket {self.state.ticket.id} (due {due})",
            body=stage.spec.note or f"Please complete '{stage.spec.name}' by {due}.",
        )
        self._act(
            AddInternalNote,
            f"handoff-note/{target.id}",
            reason=reason,
            policy=journey.name,
            rule=stage.spec.name,
            body=(
                f"Handed to {handoff} for '{stage.spec.name}', due {due}. "
                f"{self.state.owner or 'The owner'} stays accountable for this case."
            ),
        )

    # -- authority -----------------------------------------------------------------------------

    def _request_remedy(self, request: RequestRemedy) -> None:
        remedy = request.remedy
        evaluator = Evaluator(
            self.rules.environment,
            {
                "ticket": self.state.ticket,
                "case": self.state.view(),
                "now": self.now,
                "remedy": remedy,
            },
        )
        self.evaluator = evaluator
        text = f"{remedy.kind} {remedy.amount:g}{' ' + remedy.currency if remedy.currency else ''}"
        for policy in self.rules.policies:
            authority = policy.authority
            if authority is None:
                continue
            for name, expression in authority.grants:
                if evaluator.test(expression, policy=policy.name, rule=name):
                    self._act(
                        AddInternalNote,
                        f"remedy/{len(self.state.decisions)}",
                        reason=f"{text} granted on the spot by {request.by} under {name}",
                        policy=policy.name,
                        rule=name,
                        body=f"{request.by} granted {text} (within their authority: {name}).",
                    )
                    return
            approver = resolve([authority.spec.approver], self.state.owner, self.context.roster)
            target = self._new_target(
                id=f"{policy.name}/authority#{len(self._instances(policy.name, 'authority')) + 1}",
                name="authority",
                policy=policy.name,
                kind=TargetKind.APPROVAL,
                start=self.now,
                duration=authority.approve_within,
                at_risk=self.rules.defaults.at_risk,
                escalation=authority.escalation,
                assignee=approver[0] if approver else None,
                detail=f"{text} requested by {request.by}",
            )
            if target is None:
                return
            self._act(
                Notify,
                f"approval/{target.id}",
                reason=f"{text} is over {request.by}'s authority: approval requested",
                policy=policy.name,
                rule="authority",
                recipients=tuple(approver) or (self.rules.fallback.owner,),
                subject=f"Approval needed: {text} on ticket {self.state.ticket.id}",
                body=(
                    f"{request.by} asks to grant {text}. Please approve or decline by "
                    f"{self._fmt(target.due_at)} (approval {target.id})."
                ),
            )
            return

    def _resolve_approval(self, decision: ResolveApproval) -> None:
        target = next((t for t in self.state.targets if t.id == decision.approval), None)
        if target is None or target.kind is not TargetKind.APPROVAL:
            raise ValueError(f"no approval {decision.approval!r} in case {self.state.case_id}")
        if not target.open:
            return
        verdict = "approved" if decision.approved else "declined"
        self._meet(target, self.now, f"{verdict} by {decision.by}")
        self._act(
            AddInternalNote,
            f"approval-result/{target.id}",
            reason=f"{target.detail}: {verdict} by {decision.by}",
            policy=target.policy,
            rule="authority",
            body=f"{target.detail}: {verdict} by {decision.by}.",
        )
