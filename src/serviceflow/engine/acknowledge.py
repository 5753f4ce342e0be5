"""Nothing is silently sorted away: every inbound message gets an acknowledgement target, and a
ticket solved or closed without any human reply comes back to its owner."""

from __future__ import annotations

from serviceflow.engine import deadlines
from serviceflow.engine.people import name_of
from serviceflow.engine.rules import PolicyRuntime
from serviceflow.engine.run import Run
from serviceflow.model import AddInternalNote, EventKind, SetStatus, TargetKind, TicketEvent, TicketStatus
from serviceflow.model.case import OPEN_STATUSES

_CLOSED = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def on_event(run: Run, policy: PolicyRuntime, event: TicketEvent, *, matches: bool, kind: str) -> None:
    rule = policy.acknowledge
    if rule is None:
        return
    test = run.evaluator.test
    # ``kind``: the event's kind (its ``_value_``), read once for the decision by the caller; a
    # condition false on this kind is not tested (its may_hold_on, inline)
    # TargetState.open, its status read from the model's dict (past pydantic's attribute hook)
    waiting = []
    for target in run.instances(policy.name, "acknowledge"):  # a loop: no comprehension's function
        if target.__dict__["status"] in OPEN_STATUSES:
            waiting.append(target)
    if (
        waiting
        and ((kinds := rule.acknowledged.event_kinds) is None or kind in kinds)
        and test(rule.acknowledged, policy=policy.name, rule="acknowledge")
    ):
        for target in waiting:
            deadlines.meet(run, target, event.time, f"{kind} by {event.actor.role._value_}")
        return
    if (
        matches
        and not waiting
        and ((kinds := rule.when.event_kinds) is None or kind in kinds)
        and test(rule.when, policy=policy.name, rule="acknowledge")
    ):
        deadlines.new_target(
            run,
            id=f"{policy.name}/acknowledge@{event.id}",
            name="acknowledge",
            policy=policy.name,
            kind=TargetKind.ACKNOWLEDGEMENT,
            start=event.time,
            duration=rule.within,
            at_risk=rule.at_risk,
            escalation=rule.escalation,
            detail=f"inbound {event.kind.value} {event.id}",
            cycle=len(run.instances(policy.name, "acknowledge")) + 1,
        )


def reopen_unanswered(run: Run, matching: list[PolicyRuntime], event: TicketEvent) -> None:
    """No silent auto-sort: a ticket solved or closed without any human reply comes back."""
    ticket = run.case.ticket
    if run.case.human_replied or ticket.status not in _CLOSED:
        return
    if event.kind not in (EventKind.STATUS_CHANGED, EventKind.CREATED):
        return
    for policy in matching:
        rule = policy.acknowledge
        if rule is None or not rule.spec.reopen_unanswered:
            continue
        if run.evaluator.test(rule.reopen_unless, policy=policy.name, rule="acknowledge"):
            return
        status = ticket.status.value
        who = event.actor.name or event.actor.id or event.actor.role.value
        # A ticket that arrives closed (an inbox rule, an import) was closed by nobody we saw:
        # its creator is who wrote it, not who closed it.
        how = f"created {status}" if event.kind is EventKind.CREATED else f"{status} by {who}"
        reason = f"ticket {how} without any human reply"
        if ticket.status is TicketStatus.SOLVED:
            run.act(
                SetStatus,
                f"reopen/{event.id}",
                reason=reason + "; reopened",
                policy=policy.name,
                rule="acknowledge",
                status=TicketStatus.OPEN,
            )
        owner = name_of(run.case.owner, run.context.roster, nobody="its owner")
        run.act(
            AddInternalNote,
            f"reopen-note/{event.id}",
            reason=reason,
            policy=policy.name,
            rule="acknowledge",
            body=(
                f"This ticket was {how} but nobody has answered the customer. "
                f"serviceflow brought it back to {owner}; please reply to the customer."
            ),
        )
        return
