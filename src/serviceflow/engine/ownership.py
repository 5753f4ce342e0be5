"""The one accountable owner: choosing, following, restoring, and repeat contacts joining the case."""

from __future__ import annotations

from datetime import datetime

from serviceflow.engine.people import OwnerChoice, choose_owner, fallback_owner
from serviceflow.engine.rules import PolicyRuntime
from serviceflow.engine.run_base import RunBase
from serviceflow.engine.summary import case_summary
from serviceflow.model import (
    AddInternalNote,
    AssignOwner,
    CaseState,
    EventKind,
    LinkCase,
    MergeTickets,
    OwnershipChange,
    TicketEvent,
    TicketKind,
)


class Ownership(RunBase):
    # -- ownership -----------------------------------------------------------------------------

    def _set_owner(self, choice: OwnerChoice, time: datetime, *, assign: bool = True) -> None:
        previous = self.state.owner
        if previous == choice.owner and self._same_person(self.state.ticket.assignee, choice.owner):
            return
        if previous != choice.owner:
            change = OwnershipChange(
                time=time,
                previous=previous,
                owner=choice.owner,
                reason=choice.reason,
                policy=choice.policy,
                rule=choice.rule,
            )
            self._update(owner=choice.owner, ownership=(*self.state.ownership, change))
        if assign:
            agent = None if choice.owner.startswith("group:") else choice.owner
            group = choice.group or (choice.owner.partition(":")[2] if agent is None else None)
            if group is None:
                # The helpdesk wants an assignee inside the ticket's group: keep them together.
                member = self.context.roster.agent(agent)
                group = member.groups[0] if member and member.groups else None
            known = self.context.roster.group(group) if group is not None else None
            if known is not None:
                group = known.id  # policies name teams; helpdesks want their ids
            self._act(
                AssignOwner,
                f"assign/{len(self.state.ownership)}@{self._input_id()}",
                reason=choice.reason,
                policy=choice.policy,
                rule=choice.rule,
                agent=agent,
                group=group,
            )

    def _ownership(self, matching: list[PolicyRuntime], event: TicketEvent) -> None:
        assert self.evaluator is not None
        ticket = self.state.ticket
        owner = self.state.owner
        if owner is None:
            found = self.context.roster.agent(ticket.assignee) if ticket.assignee else None
            if found is not None:
                self._set_owner(
                    OwnerChoice(
                        found.id,
                        None,
                        "helpdesk",
                        "assignee",
                        "already assigned in the helpdesk",
                    ),
                    event.time,
                    assign=False,
                )
                return
            rules = [o for p in matching for o in p.owners]
            choice = choose_owner(rules, self.evaluator, self.context.roster)
            if choice is None:
                choice = fallback_owner(
                    self.rules.fallback.owner,
                    self.context.roster,
                    "no owner rule found an available agent; the fallback pool owns it",
                )
            self._set_owner(choice, event.time)
            return
        if ticket.kind is TicketKind.QUARANTINED:
            return  # quarantined mail has no assignee in the helpdesk: serviceflow keeps the owner
        pool = owner.partition(":")[2] if owner.startswith("group:") else None
        if ticket.assignee is None and (pool is None or ticket.group != pool):
            where = f" (filed to group {ticket.group})" if ticket.group else ""
            self._set_owner(
                OwnerChoice(
                    owner,
                    None,
                    "serviceflow",
                    "one-owner",
                    f"ticket was left without an assignee{where}; back to its owner",
                ),
                event.time,
            )
        elif (
            ticket.assignee is not None
            and not self._same_person(ticket.assignee, owner)
            and event.kind is EventKind.ASSIGNED
        ):
            who = event.actor.name or event.actor.id or event.actor.role.value
            found = self.context.roster.agent(ticket.assignee)
            self._set_owner(
                OwnerChoice(
                    found.id if found else ticket.assignee,
                    None,
                    "helpdesk",
                    "reassigned",
                    f"reassigned in the helpdesk by {who}",
                ),
                event.time,
                assign=False,
            )

    def _same_person(self, assignee: str | None, owner: str | None) -> bool:
        """Whether the helpdesk's assignee is the owner: by id, or by email through the roster
        (some webhooks name agents by email)."""
        if assignee is None or owner is None:
            return assignee == owner
        if assignee == owner:
            return True
        found = self.context.roster.agent(assignee)
        return found is not None and found.id == owner

    def _apply_fallback(self, event: TicketEvent) -> None:
        """A rule failed on this ticket: a person from the fallback pool must look at it."""
        assert self.evaluator is not None
        if self.state.owner is None:
            self._set_owner(
                fallback_owner(self.rules.fallback.owner, self.context.roster, "a policy rule failed"),
                event.time,
            )
        details = "\n".join(f"- {error}" for error in self.evaluator.errors)
        self._act(
            AddInternalNote,
            f"fallback/{event.id}",
            reason="a policy rule failed on this ticket; the safe default was applied",
            policy="fallback",
            rule="fallback",
            body=f"{self.rules.fallback.note}\n{details}",
        )

    # -- repeat contacts -----------------------------------------------------------------------

    def _same_case(self, matching: list[PolicyRuntime], event: TicketEvent) -> bool:
        assert self.evaluator is not None
        for policy in matching:
            if policy.same_case is None:
                continue
            spec, expression = policy.same_case
            # The customer's case is the oldest one open: later contacts joined it already.
            for other in sorted(self.context.open_cases, key=lambda case: case.opened_at):
                if other.case_id == self.state.case_id or other.finished:
                    continue
                if other.ticket.kind is not self.state.ticket.kind:
                    continue  # a review case of quarantined mail is not a customer's case
                candidate = self.evaluator.with_values(other=other.view(), other_ticket=other.ticket)
                if not candidate.test(expression, policy=policy.name, rule="same_case"):
                    continue
                self._link(policy, other, merge=spec.merge, time=event.time)
                return True
        return False

    def _link(self, policy: PolicyRuntime, other: CaseState, *, merge: bool, time: datetime) -> None:
        reason = f"repeat contact: the customer's open case {other.case_id} continues here"
        if other.owner:
            self._set_owner(OwnerChoice(other.owner, None, policy.name, "same_case", reason), time)
        else:
            self._ownership([policy], self._event())
        zone = self._zone()
        self._act(
            AddInternalNote,
            f"summary/{other.case_id}",
            reason=f"case summary of {other.case_id}, so the customer need not repeat it",
            policy=policy.name,
            rule="same_case",
            body=case_summary(other, zone=zone),
        )
        self._act(
            LinkCase,
            f"link/{other.case_id}",
            reason=reason,
            policy=policy.name,
            rule="same_case",
            case_id=other.case_id,
            ticket_key=self.state.case_id,
        )
        if merge:
            self._act(
                MergeTickets,
                f"merge/{other.ticket.id}",
                reason=f"same matter as ticket {other.ticket.id}",
                policy=policy.name,
                rule="same_case",
                into_ticket=other.ticket.id,
            )
        self._update(linked_tickets=(*self.state.linked_tickets, other.case_id))
