"""The one accountable owner: choosing, following, restoring, and repeat contacts joining the case."""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine.people import OwnerChoice, choose_owner, fallback_owner
from serviceflow.engine.records import record
from serviceflow.engine.rules import PolicyRuntime
from serviceflow.engine.run import Run
from serviceflow.engine.summary import case_summary
from serviceflow.model import (
    AddInternalNote,
    AssignedOn,
    AssignOwner,
    CaseState,
    EventKind,
    LinkCase,
    MergeTickets,
    OwnershipChange,
    Ticket,
    TicketEvent,
    TicketKind,
)

_QUARANTINED = TicketKind.QUARANTINED  # read once: an enum member off its class is slow to read


def set_owner(run: Run, choice: OwnerChoice, time: datetime, *, assign: bool = True) -> None:
    case = run.case
    previous = case.owner
    if previous == choice.owner and same_person(run, case.ticket.assignee, choice.owner):
        return
    if previous != choice.owner:
        case.owner = choice.owner
        case.ownership = (
            *case.ownership,
            record(
                OwnershipChange,
                time=time,
                previous=previous,
                owner=choice.owner,
                reason=choice.reason,
                policy=choice.policy,
                rule=choice.rule,
            ),
        )
    if not assign:
        return
    roster = run.context.roster
    agent = None if choice.owner.startswith("group:") else choice.owner
    group = choice.group or (choice.owner.partition(":")[2] if agent is None else None)
    if group is None:
        # The helpdesk wants an assignee inside the ticket's group: keep them together.
        member = roster.agent(agent)
        group = member.groups[0] if member and member.groups else None
    known = roster.group(group) if group is not None else None
    if known is not None:
        group = known.id  # policies name teams; helpdesks want their ids
    # The write comes after every ticket seen so far: none of them can show it.
    case.assigned_on = assigned_on(case.ticket)
    run.act(
        AssignOwner,
        f"assign/{len(case.ownership)}@{run.input_id()}",
        reason=choice.reason,
        policy=choice.policy,
        rule=choice.rule,
        agent=agent,
        group=group,
    )


def on_event(run: Run, matching: list[PolicyRuntime], event: TicketEvent) -> None:
    ticket = run.case.ticket
    owner = run.case.owner
    roster = run.context.roster
    if owner is None:
        found = roster.agent(ticket.assignee) if ticket.assignee else None
        if found is not None:
            choice = OwnerChoice(found.id, None, "helpdesk", "assignee", "already assigned in the helpdesk")
            set_owner(run, choice, event.time, assign=False)
            return
        rules = [o for p in matching for o in p.owners]
        picked = choose_owner(rules, run.evaluator, roster) or fallback_owner(
            run.rules.fallback.owner,
            roster,
            "no owner rule found an available agent; the fallback pool owns it",
        )
        set_owner(run, picked, event.time)
        return
    fields = ticket.__dict__  # its fields read past pydantic's attribute hook, once for all
    if fields["kind"] is _QUARANTINED:
        return  # quarantined mail has no assignee in the helpdesk: serviceflow keeps the owner
    pool = owner.partition(":")[2] if owner.startswith("group:") else None
    group = fields["group"]
    if fields["assignee"] is None and (pool is None or group != pool):
        if _before_the_assignment(run):
            return
        where = f" (filed to group {group})" if group else ""
        reason = f"ticket was left without an assignee{where}; back to its owner"
        set_owner(run, OwnerChoice(owner, None, "serviceflow", "one-owner", reason), event.time)
    elif (
        ticket.assignee is not None
        and not same_person(run, ticket.assignee, owner)
        and event.kind is EventKind.ASSIGNED
    ):
        who = event.actor.name or event.actor.id or event.actor.role.value
        found = roster.agent(ticket.assignee)
        choice = OwnerChoice(
            found.id if found else ticket.assignee,
            None,
            "helpdesk",
            "reassigned",
            f"reassigned in the helpdesk by {who}",
        )
        set_owner(run, choice, event.time, assign=False)


def assigned_on(ticket: Ticket) -> AssignedOn:
    """What the case keeps of the ticket it asks the helpdesk to assign on."""
    fields = ticket.__dict__  # one read past pydantic's attribute hook, not three
    return record(
        AssignedOn, updated_at=fields["updated_at"], assignee=fields["assignee"], group=fields["group"]
    )


def stale_copy(asked: AssignedOn | None, ticket: Ticket, current: Ticket) -> bool:
    """Whether ``ticket``, as old as the case's ``current`` one (helpdesks stamp whole seconds),
    is a copy of the ticket serviceflow assigned on arriving after a newer state of that same
    second (our echo): it must not take the case's ticket back to before the assignment."""
    if asked is None or ticket.updated_at != asked.updated_at:
        return False
    was = (asked.assignee, asked.group)
    return (ticket.assignee, ticket.group) == was and (current.assignee, current.group) != was


def _before_the_assignment(run: Run) -> bool:
    """Whether the case's ticket is still the one serviceflow assigned on, which cannot show that
    assignment yet (a second webhook of the same change, one retried or reordered, a sweep's
    older listing): older than ``assigned_on``, or as old with the assignee and group it had
    then. A change of either within that second (an auto-sort rule filing it away, an agent
    taking the owner off after our echo) is news: the ticket goes back to its owner."""
    asked = run.case.assigned_on
    ticket = run.case.ticket
    if asked is None or ticket.updated_at > asked.updated_at:
        return False
    as_then = ticket.assignee == asked.assignee and ticket.group == asked.group
    return ticket.updated_at < asked.updated_at or as_then


def same_person(run: Run, assignee: str | None, owner: str | None) -> bool:
    """Whether the helpdesk's assignee is the owner: by id, or by email through the roster
    (some webhooks name agents by email)."""
    if assignee is None or owner is None:
        return assignee == owner
    if assignee == owner:
        return True
    found = run.context.roster.agent(assignee)
    return found is not None and found.id == owner


def apply_fallback(run: Run, time: datetime) -> None:
    """A rule failed on this ticket: a person from the fallback pool must look at it."""
    if run.case.owner is None:
        set_owner(
            run, fallback_owner(run.rules.fallback.owner, run.context.roster, "a policy rule failed"), time
        )
    details = "\n".join(f"- {error}" for error in run.evaluator.errors)
    run.act(
        AddInternalNote,
        f"fallback/{run.input_id()}",
        reason="a policy rule failed on this ticket; the safe default was applied",
        policy="fallback",
        rule="fallback",
        body=f"{run.rules.fallback.note}\n{details}",
    )


# -- repeat contacts -----------------------------------------------------------------------------


def same_case(run: Run, matching: list[PolicyRuntime], event: TicketEvent) -> bool:
    """A new ticket that matches ``same_case`` against an open case of its requester joins it."""
    for policy in matching:
        if policy.same_case is None:
            continue
        spec, expression = policy.same_case
        # The customer's case is the oldest one open: later contacts joined it already.
        for other in sorted(run.context.open_cases, key=lambda case: case.opened_at):
            if other.case_id == run.case_id or other.finished:
                continue
            if other.ticket.kind is not run.case.ticket.kind:
                continue  # a review case of quarantined mail is not a customer's case
            candidate = run.evaluator.with_values(other=other.view(), other_ticket=other.ticket)
            if not candidate.test(expression, policy=policy.name, rule="same_case"):
                continue
            _link(run, policy, other, merge=spec.merge, event=event)
            return True
    return False


def _link(run: Run, policy: PolicyRuntime, other: CaseState, *, merge: bool, event: TicketEvent) -> None:
    reason = f"repeat contact: the customer's open case {other.case_id} continues here"
    if other.owner:
        set_owner(run, OwnerChoice(other.owner, None, policy.name, "same_case", reason), event.time)
    else:
        on_event(run, [policy], event)
    run.act(
        AddInternalNote,
        f"summary/{other.case_id}",
        reason=f"case summary of {other.case_id}, so the customer need not repeat it",
        policy=policy.name,
        rule="same_case",
        body=case_summary(other, zone=run.zone(), roster=run.context.roster),
    )
    run.act(
        LinkCase,
        f"link/{other.case_id}",
        reason=reason,
        policy=policy.name,
        rule="same_case",
        case_id=other.case_id,
        ticket_key=run.case_id,
    )
    if merge:
        run.act(
            MergeTickets,
            f"merge/{other.ticket.id}",
            reason=f"same matter as ticket {other.ticket.id}",
            policy=policy.name,
            rule="same_case",
            into_ticket=other.ticket.id,
        )
    run.case.linked_tickets = (*run.case.linked_tickets, other.case_id)
