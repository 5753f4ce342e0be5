"""Backfill, the pure part: a ticket from before install, run through the engine over its
history with the clock its history gives, so its case starts where it would be had serviceflow
always run. No I/O: :mod:`.backfill_run` reads the helpdesk and starts the cases.

Each history event is decided at its own time, and every timer that fell due between two events
(an at-risk warning, a breach, an escalation level) at its own time, up to ``now`` (the install).
What the case would have done before install is **not done**: its actions are withheld (the
helpdesk already is where people took it). The one exception is the owner: a backfilled case
whose owner is not the ticket's assignee gets its assignment through the case's own actions once
it runs (:mod:`.backfill_run`). A target breached before install is recorded in the case (so its
escalation ladder does not start again) and in a :class:`Breach`, for the owner's digest.

Each decision's outcome rows (:func:`serviceflow.outcomes.derive`) are kept in
:attr:`Replayed.outcomes`, for the outcome store ``serviceflow report`` reads: the facts of the
ticket's past (targets met, met late and breached, promises kept and missed, the first response,
the resolution, repeat contacts), keyed as the live case keys them. What was withheld is not a
fact: no ``warning_sent``, ``escalation`` or ``action_*`` row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.inputs import Outcome as DecideOutcome
from serviceflow.engine.rules import Rules
from serviceflow.model import Action, CaseState, TicketEvent
from serviceflow.outcomes.derive import derive
from serviceflow.outcomes.model import Outcome, OutcomeKind

#: Timer wake-ups decided between two events at most (a runaway ladder cannot hang a backfill).
WAKE_UPS_LIMIT = 1_000
#: The rows of what a backfill withholds: not facts of the ticket's past, so not recorded.
WITHHELD_KINDS = frozenset(
    {OutcomeKind.WARNING_SENT, OutcomeKind.ESCALATION, OutcomeKind.ACTION_DONE, OutcomeKind.ACTION_WOULD_HAVE}
)


@dataclass(frozen=True)
class Breach:
    """A target breached before install: one line of its owner's digest."""

    case_id: str
    subject: str
    owner: str | None
    target: str
    breached_at: datetime


@dataclass
class Replayed:
    """A ticket's case as its history leaves it at install."""

    state: CaseState
    wake_at: datetime | None
    withheld: list[Action] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)  # the past's facts, for the outcome store


@dataclass
class _Recorded:
    """What the replay keeps of each decision: the actions it withheld and the rows it found."""

    withheld: list[Action] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def keep(self, before: CaseState | None, outcome: DecideOutcome, at: datetime | None = None) -> None:
        self.withheld.extend(outcome.actions)
        if outcome.decision is not None:
            rows = derive(before, outcome.state, outcome.decision, at=at)
            self.outcomes.extend(r for r in rows if r.kind not in WITHHELD_KINDS)


def _until(
    state: CaseState | None, wake_at: datetime | None, until: datetime, rules: Rules, context: Context,
    recorded: _Recorded,
) -> tuple[CaseState | None, datetime | None]:  # fmt: skip
    """Every timer due up to ``until``, each decided at its own time."""
    for _ in range(WAKE_UPS_LIMIT):
        if state is None or wake_at is None or wake_at > until:
            break
        outcome = decide(state, WakeUp(), wake_at, rules, context)
        recorded.keep(state, outcome)
        if outcome.wake_at is not None and outcome.wake_at <= wake_at:
            break  # no progress: stop rather than loop
        state, wake_at = outcome.state, outcome.wake_at
    return state, wake_at


def replay(
    events: Sequence[TicketEvent], now: datetime, rules: Rules, context: Context, *, catch_up: bool = True
) -> Replayed | None:
    """The case after ``events`` (oldest first, each with the ticket as it was then) and every
    timer up to ``now``; None when there are no events. Without ``catch_up``, the timers due
    after the last event are left to the live case (it wakes at once and decides them at
    install, through its own actions: the PolicySet's ``backfill.breaches: escalate``).

    Raises:
        ValueError: only for a caller's mistake (an event after ``now``).
    """
    state: CaseState | None = None
    wake_at: datetime | None = None
    recorded = _Recorded()
    for event in events:
        if event.time > now:
            raise ValueError(f"event {event.id} is at {event.time}, after the install time {now}")
        state, wake_at = _until(state, wake_at, event.time, rules, context, recorded)
        outcome = decide(state, EventInput(event=event), event.time, rules, context)
        recorded.keep(state, outcome, at=event.time)
        state, wake_at = outcome.state, outcome.wake_at
    if catch_up:
        state, wake_at = _until(state, wake_at, now, rules, context, recorded)
    if state is None:
        return None
    breaches = [
        Breach(state.case_id, state.ticket.subject, state.owner, target.name, target.breached_at)
        for target in state.targets
        if target.breached_at is not None and target.breached_at <= now
    ]
    return Replayed(
        state=state,
        wake_at=wake_at,
        withheld=recorded.withheld,
        breaches=breaches,
        outcomes=recorded.outcomes,
    )


def digests(breaches: Sequence[Breach]) -> dict[str, list[Breach]]:
    """The breaches by owner (``unowned`` for a case with none), each owner's oldest first: one
    digest each, instead of one escalation per breach."""
    by_owner: dict[str, list[Breach]] = {}
    for breach in sorted(breaches, key=lambda b: (b.breached_at, b.case_id, b.target)):
        by_owner.setdefault(breach.owner or "unowned", []).append(breach)
    return by_owner


def digest_text(owner: str, breaches: Sequence[Breach]) -> tuple[str, str]:
    """The subject and body of one owner's digest."""
    subject = f"{len(breaches)} target(s) breached before serviceflow was installed"
    lines = [
        f"- {b.case_id} ({b.subject or 'no subject'}): {b.target} breached {b.breached_at:%Y-%m-%d %H:%M} UTC"
        for b in breaches
    ]
    body = "\n".join(
        [
            "These cases of yours breached a target before serviceflow ran; they were not escalated "
            "one by one. Their cases are open now and follow the policies from here.",
            *lines,
        ]
    )
    return subject, body
