"""From one decision to its outcome rows: what changed between the case before and after it.

Pure: the same two states give the same rows, with the same keys, every time, so a retried
activity or a replayed decision writes nothing new. A fact is found where it first shows in the
state (a target's ``breached_at`` set, its ``level`` up, ``human_replied`` turned on), not in
notes or the wording of actions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from serviceflow.model import (
    Action,
    CaseState,
    Decision,
    LinkCase,
    Notify,
    TargetKind,
    TargetState,
    TicketKind,
    TicketStatus,
)
from serviceflow.outcomes.model import Outcome, OutcomeKind, decision_key

__all__ = ["derive"]

_RESOLVED = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def derive(
    before: CaseState | None,
    after: CaseState,
    decision: Decision | None,
    *,
    at: datetime | None = None,
    shadow: bool = False,
) -> tuple[Outcome, ...]:
    """The outcome rows of one decision.

    Args:
        before: the case as it was before the decision; None for the decision that opened it.
        after: the case the decision returned.
        decision: the decision (None: the engine found nothing to do, and there is nothing new).
        at: when the input happened (a ticket event's own time); the decision's time by default.
            The first response and the resolution are timed by it.
        shadow: the case runs in shadow mode: every row is marked ``would_have``, and its
            actions are what it would have done.
    """
    when = at or (decision.time if decision is not None else after.ticket.updated_at)
    label = decision_key(after.case_id, decision.time, decision.input) if decision else f"{after.case_id}@-"
    rows = _Rows(after, label, shadow, decision.policy_version if decision else after.policy_version or "")
    previous = {t.id: t for t in before.targets} if before is not None else {}
    for target in after.targets:
        rows.target(target, previous.get(target.id), when)
    if after.ticket.kind is TicketKind.QUARANTINED:
        rows.review(before, when)
    if after.human_replied and not (before is not None and before.human_replied):
        rows.add(OutcomeKind.FIRST_RESPONSE, f"{after.case_id}|first_response", when, started=after.opened_at)
    was_resolved = before is not None and before.ticket.status in _RESOLVED
    if after.ticket.status in _RESOLVED and not was_resolved:
        rows.add(OutcomeKind.RESOLVED, f"{after.case_id}|resolved", when, started=after.opened_at)
    known = set(before.linked_tickets) if before is not None else set()
    joining = {a.case_id for a in decision.actions if isinstance(a, LinkCase)} if decision else set()
    for ticket_key in after.linked_tickets:
        if ticket_key not in known:
            # One repeat contact is found in both cases it links: the repeat contact's own (which
            # links to the case it joins, with a link_case action) and the case it joined (a
            # LinkContact). Both name it "joined|repeat|contact", so it is one row, counted once.
            joined, contact = (
                (ticket_key, after.case_id) if ticket_key in joining else (after.case_id, ticket_key)
            )
            rows.add(OutcomeKind.REPEAT_CONTACT, f"{joined}|repeat|{contact}", when, detail=ticket_key)
    for action in decision.actions if decision is not None else ():
        rows.action(action, decision.time if decision is not None else when)
    return tuple(rows)


class _Rows:
    """The rows of one decision, built with what every row shares."""

    def __init__(self, case: CaseState, decision: str, shadow: bool, version: str) -> None:
        self.case = case
        self.decision = decision
        self.shadow = shadow
        self.version = version
        self.rows: list[Outcome] = []

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.rows)

    def add(
        self,
        kind: OutcomeKind,
        key: str,
        at: datetime,
        *,
        target: TargetState | None = None,
        started: datetime | None = None,
        level: int | None = None,
        detail: str = "",
        policy: str | None = None,
        rule: str | None = None,
        target_id: str | None = None,
    ) -> None:
        ticket = self.case.ticket
        self.rows.append(
            Outcome(
                key=key[:1_000],
                decision=self.decision,
                case_id=self.case.case_id,
                vendor=ticket.vendor,
                account=ticket.account,
                ticket_id=ticket.id,
                policy=target.policy if target is not None else policy,
                target=target.name if target is not None else rule,
                target_id=target.id if target is not None else target_id,
                team=ticket.group,
                agent=(target.assignee if target is not None else None) or self.case.owner,
                kind=kind,
                level=level,
                at=at,
                started_at=started if started is not None else (target.started_at if target else None),
                due_at=target.due_at if target is not None else None,
                would_have=self.shadow,
                detail=detail,
                policy_version=self.version,
            )
        )

    def target(self, target: TargetState, before: TargetState | None, when: datetime) -> None:
        """A target instance's news: breached, met, warned, a level up."""
        case = self.case.case_id
        promise = target.kind is TargetKind.PROMISE
        if target.breached_at is not None and (before is None or before.breached_at is None):
            kind = OutcomeKind.PROMISE_MISSED if promise else OutcomeKind.TARGET_BREACHED
            self.add(kind, f"{case}|breached|{target.id}", target.breached_at, target=target)
        if target.met_at is not None and (before is None or before.met_at is None):
            if not promise:
                late = target.breached_at is not None
                kind = OutcomeKind.TARGET_MET_LATE if late else OutcomeKind.TARGET_MET
                self.add(kind, f"{case}|met|{target.id}", target.met_at, target=target)
            elif target.breached_at is None:
                self.add(OutcomeKind.PROMISE_KEPT, f"{case}|kept|{target.id}", target.met_at, target=target)
        if target.warned and (before is None or not before.warned):
            self.add(
                OutcomeKind.WARNING_SENT, f"{case}|warned|{target.id}", target.warn_at or when, target=target
            )
        for level in range((before.level if before is not None else 0) + 1, target.level + 1):
            at = target.level_base_at if level == target.level and target.level_base_at else when
            self.add(
                OutcomeKind.ESCALATION,
                f"{case}|escalation|{target.id}|{level}",
                at,
                target=target,
                level=level,
            )

    def review(self, before: CaseState | None, when: datetime) -> None:
        """A review case of quarantined mail is reviewed when its first target is met: in time
        unless one of its targets had breached by then."""
        if before is not None and any(t.met_at is not None for t in before.targets):
            return
        met = [t for t in self.case.targets if t.met_at is not None and t.kind is not TargetKind.PROMISE]
        if not met:
            return
        first = min(met, key=lambda t: t.met_at or when)
        reviewed = first.met_at or when
        late = any(t.breached_at is not None and t.breached_at <= reviewed for t in self.case.targets)
        kind = OutcomeKind.QUARANTINE_REVIEWED_LATE if late else OutcomeKind.QUARANTINE_REVIEWED
        self.add(kind, f"{self.case.case_id}|quarantine", reviewed, target=first)

    def action(self, action: Action, when: datetime) -> None:
        kind = OutcomeKind.ACTION_WOULD_HAVE if self.shadow else OutcomeKind.ACTION_DONE
        level = action.escalation_level if isinstance(action, Notify) else None
        self.add(
            kind,
            f"{self.case.case_id}|action|{action.key}",
            when,
            level=level,
            detail=action.type,
            policy=action.policy,
            rule=action.rule,
            target_id=action.target_id if isinstance(action, Notify) else None,
        )
