"""Authority: a remedy within a ``grant`` rule is granted on the spot; anything more is a handoff
to the approver with its own target, not an escalation."""

from __future__ import annotations

from serviceflow.engine import deadlines
from serviceflow.engine.inputs import RequestRemedy, ResolveApproval
from serviceflow.engine.notices import notification
from serviceflow.engine.people import name_of, resolve
from serviceflow.engine.run import Run
from serviceflow.model import AddInternalNote, NotifyPurpose, TargetKind


def request_remedy(run: Run, request: RequestRemedy) -> None:
    remedy = request.remedy
    evaluator = run.evaluator
    who = name_of(request.by, run.context.roster)
    text = f"{remedy.kind} {remedy.amount:g}{' ' + remedy.currency if remedy.currency else ''}"
    for policy in run.rules.policies:
        authority = policy.authority
        if authority is None:
            continue
        for name, expression in authority.grants:
            if evaluator.test(expression, policy=policy.name, rule=name):
                run.act(
                    AddInternalNote,
                    f"remedy/{len(run.base.decisions)}",
                    reason=f"{text} granted on the spot by {request.by} under {name}",
                    policy=policy.name,
                    rule=name,
                    body=f"{who} granted {text} (within their authority: {name}).",
                )
                return
        approver = resolve([authority.spec.approver], run.case.owner, run.context.roster)
        target = deadlines.new_target(
            run,
            id=f"{policy.name}/authority#{len(run.instances(policy.name, 'authority')) + 1}",
            name="authority",
            policy=policy.name,
            kind=TargetKind.APPROVAL,
            start=run.now,
            duration=authority.approve_within,
            at_risk=run.rules.defaults.at_risk,
            escalation=authority.escalation,
            assignee=approver[0] if approver else None,
            detail=f"{text} requested by {who}",
        )
        if target is None:
            return
        run.emit(
            notification(
                run,
                target,
                key=f"approval/{target.id}",
                recipients=tuple(approver) or (run.rules.fallback.owner,),
                subject=f"Approval needed: {text} on ticket {run.case.ticket.id}",
                body=(
                    f"{who} asks to grant {text}. Please approve or decline by "
                    f"{run.fmt(target.due_at)} (approval {target.id})."
                ),
                reason=f"{text} is over {request.by}'s authority: approval requested",
                purpose=NotifyPurpose.APPROVAL,
                rule="authority",
            )
        )
        return


def resolve_approval(run: Run, decision: ResolveApproval) -> None:
    target = next((t for t in run.case.targets if t.id == decision.approval), None)
    if target is None or target.kind is not TargetKind.APPROVAL:
        raise ValueError(f"no approval {decision.approval!r} in case {run.case_id}")
    if not target.open:
        return
    verdict = "approved" if decision.approved else "declined"
    who = name_of(decision.by, run.context.roster)
    deadlines.meet(run, target, run.now, f"{verdict} by {decision.by}")
    run.act(
        AddInternalNote,
        f"approval-result/{target.id}",
        reason=f"{target.detail}: {verdict} by {decision.by}",
        policy=target.policy,
        rule="authority",
        body=f"{target.detail}: {verdict} by {who}.",
    )
