"""One decision in the making: the rules, the time, the context, one evaluator, and the case as
it is being changed. Every step of the engine is a plain function of a :class:`Run`.

The case is changed through a :class:`Draft` (plain lists and values) and frozen into a new
:class:`~serviceflow.model.CaseState` once, at the end: a decision touches the case many times
and an immutable copy per touch was a large share of the engine's time.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from serviceflow.engine import records
from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import Context, EngineInput, EventInput
from serviceflow.engine.records import updated
from serviceflow.engine.rules import Rules
from serviceflow.model import (
    Action,
    AssignedOn,
    CaseState,
    Decision,
    Deferred,
    JourneyState,
    Notified,
    OwnershipChange,
    TargetState,
    Ticket,
    TicketEvent,
)

SEEN_EVENTS_KEPT = 500
DECISIONS_KEPT = 200
TIMELINE_KEPT = 30


@dataclass(slots=True)
class Draft:
    """The case's fields while a decision changes them (see the module docstring); with slots:
    one is made per decision, and its fields are read and written all through it.

    The fields that few decisions change (ownership, journeys, linked tickets, notified,
    deferred) stay the state's tuples, and a step that changes one makes a new tuple: copying
    them into lists and back on every decision cost more than the rare change (``freeze``'s
    ``tuple()`` of a tuple is that tuple: "if iterable is already a tuple, it is returned
    unchanged", the Python docs' built-in types)."""

    ticket: Ticket
    owner: str | None
    closed_at: datetime | None
    targets: list[TargetState]
    ownership: tuple[OwnershipChange, ...]
    assigned_on: AssignedOn | None
    journeys: tuple[JourneyState, ...]
    linked_tickets: tuple[str, ...]
    human_replied: bool
    seen_events: tuple[str, ...]
    notified: tuple[Notified, ...]
    deferred: tuple[Deferred, ...]
    timeline: list[str]
    policy_version: str | None

    @classmethod
    def of(cls, state: CaseState) -> Draft:
        fields = state.__dict__  # one read past pydantic's attribute hook, not thirteen
        return cls(  # by position, in the fields' order: keywords cost twice the call
            fields["ticket"],
            fields["owner"],
            fields["closed_at"],
            list(fields["targets"]),
            fields["ownership"],
            fields["assigned_on"],
            fields["journeys"],
            fields["linked_tickets"],
            fields["human_replied"],
            fields["seen_events"],
            fields["notified"],
            fields["deferred"],
            list(fields["timeline"]),
            fields["policy_version"],
        )

    def freeze(self, base: CaseState, decision: Decision | None, issued: tuple[str, ...]) -> CaseState:
        changes: dict[str, Any] = {
            "ticket": self.ticket,
            "owner": self.owner,
            "closed_at": self.closed_at,
            "targets": tuple(self.targets),
            "ownership": tuple(self.ownership),  # a tuple already: the same one, not a copy
            "assigned_on": self.assigned_on,
            "journeys": tuple(self.journeys),
            "linked_tickets": tuple(self.linked_tickets),
            "human_replied": self.human_replied,
            "seen_events": self.seen_events[-SEEN_EVENTS_KEPT:],
            "notified": tuple(self.notified),
            "deferred": tuple(self.deferred),
            "timeline": tuple(self.timeline[-TIMELINE_KEPT:]),
            "policy_version": self.policy_version,
        }
        if decision is not None:
            changes["decisions"] = (*base.decisions, decision)[-DECISIONS_KEPT:]
            changes["issued"] = (*base.issued, *issued)
        return updated(base, changes)


class Run:
    """Everything one decision reads and writes.

    A plain class with slots, its fields set by hand: one is made for every decision (a
    dataclass's ``__init__`` with two default factories cost more than the fields)."""

    __slots__ = (
        "rules", "now", "context", "engine_input", "base", "case", "evaluator", "actions", "notes",
        "_by_rule", "_held", "_issued_keys",
    )  # fmt: skip

    def __init__(
        self,
        rules: Rules,
        now: datetime,
        context: Context,
        engine_input: EngineInput,
        base: CaseState,
        case: Draft,
        evaluator: Evaluator,
    ) -> None:
        self.rules = rules
        self.now = now
        self.context = context
        self.engine_input = engine_input
        self.base = base
        self.case = case
        self.evaluator = evaluator
        self.actions: list[Action] = []
        self.notes: list[str] = []
        # Found when first needed.
        self._by_rule: dict[tuple[str, str], list[int]] | None = None
        self._held: set[str] | None = None
        self._issued_keys: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"Run(case={self.base.case_id!r}, now={self.now!r}, input={self.engine_input!r})"

    # -- the case ------------------------------------------------------------------------------

    @property
    def case_id(self) -> str:
        return self.base.case_id

    def state(self) -> CaseState:
        """The case as it stands now (a frozen copy, for what reads a whole case)."""
        return self.case.freeze(self.base, None, ())

    def instances(self, policy: str, name: str) -> tuple[TargetState, ...]:
        """The cycles of one rule's target, oldest first (a tuple: one allocation where a list
        is two, and none when there are none)."""
        index = self._by_rule  # inline: this runs a few times per rule per decision
        positions = (index if index is not None else self._index()).get((policy, name))
        if not positions:
            return ()
        targets = self.case.targets
        if len(positions) == 1:  # most rules have one cycle: no list comprehension's function
            return (targets[positions[0]],)
        return tuple([targets[i] for i in positions])

    def holds(self, policy: str) -> bool:
        """Whether the case has a target of ``policy`` (any rule, cycle or status)."""
        held = self._held
        if held is None:
            index = self._by_rule
            held = self._held = {owner for owner, _ in (index if index is not None else self._index())}
        return policy in held

    def _index(self) -> dict[tuple[str, str], list[int]]:
        index = self._by_rule
        if index is None:
            index = {}
            for position, target in enumerate(self.case.targets):
                fields = target.__dict__  # one read past pydantic's attribute hook, not two
                index.setdefault((fields["policy"], fields["name"]), []).append(position)
            self._by_rule = index
        return index

    def add_target(self, target: TargetState) -> None:
        index = self._by_rule
        fields = target.__dict__  # past pydantic's attribute hook, as in _index
        (index if index is not None else self._index()).setdefault(
            (fields["policy"], fields["name"]), []
        ).append(len(self.case.targets))
        self._held = None  # found again when next asked
        self.case.targets.append(target)

    def replace_target(self, target: TargetState) -> None:
        targets = self.case.targets
        fields = target.__dict__  # past pydantic's attribute hook, as in _index
        ident = fields["id"]
        index = self._by_rule
        for position in (index if index is not None else self._index()).get(
            (fields["policy"], fields["name"]), ()
        ):
            if targets[position].__dict__["id"] == ident:
                targets[position] = target
                return

    # -- actions -------------------------------------------------------------------------------

    def key(self, purpose: str) -> str:
        return f"{self.base.__dict__['case_id']}/{purpose}"  # self.case_id, past pydantic's hook

    def act(
        self, action_type: type[Action], purpose: str, *, policy: str, rule: str, reason: str,
        **fields: Any,
    ) -> None:  # fmt: skip
        """Issue an action whose idempotency key is this case plus ``purpose``."""
        fields["key"] = self.key(purpose)  # into the keywords' own dict: no second one made
        fields["policy"] = policy
        fields["rule"] = rule
        fields["reason"] = reason
        self.emit(records.record_of(action_type, fields))

    def emit(self, action: Action) -> None:
        key = action.__dict__["key"]  # the keys read past pydantic's attribute hook
        done = self._issued_keys  # self._issued, inline
        if done is None:
            done = self._issued
        if key in done:
            return  # carried out once, however often the input repeats
        for issued in self.actions:  # a loop, not any() over a generator: no function made
            if issued.__dict__["key"] == key:
                return
        self.actions.append(action)

    @property
    def _issued(self) -> frozenset[str]:
        issued = self._issued_keys
        if issued is None:
            issued = self._issued_keys = issued_keys(self.base)
        return issued

    def issued_after(self, state: CaseState, keys: tuple[str, ...]) -> None:
        """``state`` (this decision's result) has the keys issued before and this decision's
        (``keys``): kept for the next decision, when :attr:`_issued` was needed in this one."""
        issued = self._issued_keys
        if issued is not None:
            remember_issued(state, issued.union(keys) if keys else issued)

    # -- the input -----------------------------------------------------------------------------

    def input_id(self) -> str:
        """What makes an action's key unique to this input, and the same when it is repeated."""
        if isinstance(self.engine_input, EventInput):
            return self.engine_input.event.id
        return self.now.isoformat()

    @property
    def event(self) -> TicketEvent | None:
        return self.engine_input.event if isinstance(self.engine_input, EventInput) else None

    # -- time ----------------------------------------------------------------------------------

    def calendar(self, name: str | None) -> BusinessCalendar:
        return self.rules.calendar(name)

    def zone(self) -> ZoneInfo | None:
        return self.rules.zone

    def fmt(self, moment: datetime | None) -> str:
        """Times people read are in the policy set's local time."""
        if moment is None:
            return "-"
        return human_time(moment, self.rules.zone)  # self.zone(), inline


#: The idempotency keys of the cases decided on lately, by ``id()`` while the case lives (a
#: decision reads its case's keys as a set; rebuilding it on every decision grew with the case).
_ISSUED: dict[int, tuple[weakref.ref[CaseState], frozenset[str]]] = {}


def issued_keys(state: CaseState) -> frozenset[str]:
    """``state.issued`` as a set: the one the decision that made ``state`` kept, if it lives."""
    kept = _ISSUED.get(id(state))
    if kept is not None and kept[0]() is state:
        if records.mode == "check" and kept[1] != frozenset(state.issued):
            records.differences.append(f"issued keys kept for {state.case_id} differ from its own")
        return kept[1]
    return frozenset(state.issued)


class _Kept(weakref.ref):  # type: ignore[type-arg]  # of a CaseState
    """A weak reference to a case that knows its key in :data:`_ISSUED`: one shared callback
    forgets the entry (a lambda per case, and its cell, were two more objects for the garbage
    collector to track for every open case)."""

    __slots__ = ("ident",)
    ident: int


def _forget(kept: _Kept) -> None:
    _ISSUED.pop(kept.ident, None)


def remember_issued(state: CaseState, keys: frozenset[str]) -> None:
    kept = _Kept(state, _forget)
    kept.ident = ident = id(state)
    _ISSUED[ident] = (kept, keys)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


#: ``f"{n:02d}"`` for 0-99, looked up: each formatted field is a call of ``int.__format__``.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def human_time(moment: datetime, zone: ZoneInfo | None) -> str:
    """``Mon 02 Mar 2026 14:00 CET`` (what ``%a %d %b %Y %H:%M %Z`` gives, in English, faster)."""
    local = moment.astimezone(zone) if zone else moment
    name = local.tzname() or ""
    year = local.year
    two = _TWO_DIGITS
    return (
        f"{_DAYS[local.weekday()]} {two[local.day]} {_MONTHS[local.month - 1]} "
        f"{year if year >= 1000 else f'{year:04d}'} {two[local.hour]}:{two[local.minute]} {name}"
    )
