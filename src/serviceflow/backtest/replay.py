"""Replaying history through the pure engine, with a simulated clock.

Every event is decided at its own time, in time order across all tickets (events at the same
instant keep the order their source gave them). Between events, every wake-up a case asked for
is delivered at its exact time, so at-risk warnings, breaches and escalation levels fall when
they would have in production. The clock is the scenario runner's
(:class:`~serviceflow.scenarios.clock.SimulatedClock`), and what was issued is recorded as
:class:`~serviceflow.scenarios.simulate.Issued`, as ``serviceflow policy test`` records it.

Unlike a scenario, history already says what people did: the actions serviceflow would have
taken are recorded ("would have been sent"), not fed back into the tickets, except the one the
durable shell carries out itself: a repeat contact joining its customer's open case
(``link_case``). Wake-ups are kept in a heap (one live entry per case), so a month of tickets
costs per event what one case costs, not what all of them do.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EngineInput, EventInput, LinkContact, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import AssignOwner, CaseState, LinkCase, Roster, TicketEvent
from serviceflow.outcomes.derive import derive
from serviceflow.outcomes.model import Outcome
from serviceflow.scenarios.clock import SimulatedClock
from serviceflow.scenarios.simulate import Issued

#: How often (in events) the progress callback hears of the replay.
PROGRESS_EVERY = 500

Progress = Callable[[int, int], None]


@dataclass
class ReplayResult:
    """What one policy set would have done with the history.

    Attributes:
        version: The policy set version it decided under.
        cases: Every case, by its id (``vendor:account:ticket``), as it stood at ``end``.
        issued: Every action, at the time it would have been carried out, by case id.
        outcomes: The outcome rows of every decision (:func:`serviceflow.outcomes.derive.derive`,
            in shadow form: every action is one that would have been carried out).
        events: Events replayed; ``duplicates`` of them were ignored (an id already decided).
        decisions: Engine decisions, wake-ups included.
        errors: Rule errors the engine recorded: when, case id, what.
        start: The first event's time; ``end`` the time the replay ran up to.
    """

    version: str
    cases: dict[str, CaseState] = field(default_factory=dict)
    issued: list[Issued] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    events: int = 0
    duplicates: int = 0
    decisions: int = 0
    wake_ups: int = 0
    errors: list[tuple[datetime, str, str]] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None


class Replay:
    """One policy set over one history; :func:`replay` runs it."""

    def __init__(self, rules: Rules, roster: Roster, start: datetime) -> None:
        self.rules = rules
        self.roster = roster
        self.clock = SimulatedClock.starting(start, rules)
        self.result = ReplayResult(version=rules.version, start=self.clock.now)
        self._wakes: list[tuple[datetime, int, str]] = []
        self._scheduled: dict[str, datetime] = {}
        self._sequence = 0
        self._customers: dict[tuple[str, str, str], list[str]] = {}
        self._agents = {agent.id: index for index, agent in enumerate(roster.agents)}

    # -- time ----------------------------------------------------------------------------------

    def run_until(self, moment: datetime) -> None:
        """Deliver every wake-up due up to ``moment`` (inclusive), then stand at ``moment``."""
        while self._wakes and self._wakes[0][0] <= moment:
            wake, _, case_id = heapq.heappop(self._wakes)
            if self._scheduled.get(case_id) != wake:
                continue  # superseded: the case decided since and asked for another time
            del self._scheduled[case_id]
            self.clock.now = max(self.clock.now, wake)
            self.result.wake_ups += 1
            self.decide(case_id, WakeUp(), self.clock.now)
        self.clock.now = max(self.clock.now, moment)

    def event(self, event: TicketEvent) -> None:
        self.run_until(event.time)
        case_id = event.ticket.key
        state = self.result.cases.get(case_id)
        self.result.events += 1
        if state is not None and event.id in state.seen_events:
            self.result.duplicates += 1
            return
        if state is None:
            customer = (event.ticket.vendor, event.ticket.account, event.ticket.requester.id)
            self._customers.setdefault(customer, []).append(case_id)
        self.decide(case_id, EventInput(event=event), self.clock.now, ticket=event)

    # -- the engine ----------------------------------------------------------------------------

    def decide(
        self, case_id: str, engine_input: EngineInput, now: datetime, *, ticket: TicketEvent | None = None
    ) -> None:
        cases = self.result.cases
        state = cases.get(case_id)
        subject = ticket.ticket if ticket is not None else state.ticket if state is not None else None
        others: tuple[CaseState, ...] = ()
        if subject is not None:
            customer = (subject.vendor, subject.account, subject.requester.id)
            others = tuple(
                cases[other]
                for other in self._customers.get(customer, ())
                if other != case_id and other in cases and not cases[other].finished
            )
        outcome = decide(state, engine_input, now, self.rules, Context(roster=self.roster, open_cases=others))
        self.result.decisions += 1
        cases[case_id] = outcome.state
        if outcome.decision is not None:
            self.result.errors.extend((now, case_id, error) for error in outcome.decision.errors)
            at = ticket.time if ticket is not None else None
            self.result.outcomes.extend(derive(state, outcome.state, outcome.decision, at=at, shadow=True))
        self._schedule(case_id, outcome.wake_at)
        for action in outcome.actions:
            self.result.issued.append(Issued(now, case_id, action))
            if isinstance(action, AssignOwner) and action.agent:
                self._count_assignment(action.agent, now)
            elif isinstance(action, LinkCase) and action.case_id in cases:
                self.decide(action.case_id, LinkContact(ticket_key=action.ticket_key, time=now), now)

    def _schedule(self, case_id: str, wake: datetime | None) -> None:
        if wake is None:
            self._scheduled.pop(case_id, None)
            return
        if self._scheduled.get(case_id) == wake:
            return
        self._scheduled[case_id] = wake
        self._sequence += 1
        heapq.heappush(self._wakes, (wake, self._sequence, case_id))

    def _count_assignment(self, agent_id: str, now: datetime) -> None:
        """What the roster's load would have been: as ``policy test`` counts it."""
        index = self._agents.get(agent_id)
        if index is None:
            return
        agents = list(self.roster.agents)
        agent = agents[index]
        agents[index] = agent.model_copy(update={"open_cases": agent.open_cases + 1, "last_assigned_at": now})
        self.roster = self.roster.model_copy(update={"agents": tuple(agents)})


def replay(
    events: Iterable[TicketEvent],
    rules: Rules,
    *,
    roster: Roster | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay ``events`` (any order: they are sorted by time) under ``rules``.

    Args:
        events: The history.
        rules: The compiled policy set.
        roster: The agents and groups owners are chosen from (empty: every case falls to the
            policy set's fallback owner unless its ticket's assignee is in the roster).
        until: Deliver wake-ups up to this time after the last event (default: the last
            event's time: a target still running when the history ends is neither met nor
            breached).
        progress: Called with (events done, events in all) every :data:`PROGRESS_EVERY` events
            and at the end.
    """
    ordered = sorted(events, key=lambda e: e.time)
    if not ordered:
        return ReplayResult(version=rules.version)
    run = Replay(rules, roster or Roster(), ordered[0].time)
    total = len(ordered)
    with _fewer_collections():
        for done, event in enumerate(ordered, start=1):
            run.event(event)
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
        end = max(until or ordered[-1].time, ordered[-1].time)
        run.run_until(end)
    run.result.end = end
    if progress is not None:
        progress(total, total)
    return run.result


#: The youngest generation's threshold during a replay (CPython's default is 700).
GC_THRESHOLD = 100_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A replay allocates millions of short-lived models and keeps every case: the cyclic
    collector's passes over that growing heap cost a tenth of the CPU (bench_backtest). The
    history and the policy set are frozen out of its sight and it runs less often; everything
    is as it was afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
