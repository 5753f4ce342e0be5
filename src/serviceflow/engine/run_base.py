"""What every part of one decision shares: the inputs, the case so far, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from serviceflow.engine.calendar import BusinessCalendar
from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.inputs import (
    Context,
    EngineInput,
    EventInput,
)
from serviceflow.engine.rules import Duration, Rules
from serviceflow.model import (
    Action,
    CaseState,
    TargetKind,
    TargetState,
    TicketEvent,
)


@dataclass
class RunBase:
    state_in: CaseState | None
    engine_input: EngineInput
    now: datetime
    rules: Rules
    context: Context
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evaluator: Evaluator | None = None
    if TYPE_CHECKING:
        # The case as it stands: set by the run's entry point (``_Run.run``) before any helper reads it.
        state: CaseState = field(init=False)

        # Defined by Deadlines and used by its sibling mixins (Handoffs): ``_Run`` mixes them all in.
        def _new_target(
            self,
            *,
            id: str,
            name: str,
            policy: str,
            kind: TargetKind,
            start: datetime,
            duration: Duration,
            at_risk: float | None,
            escalation: str | None,
            assignee: str | None = None,
            detail: str = "",
            due_override: datetime | None = None,
        ) -> TargetState | None: ...

        def _meet(self, target: TargetState, time: datetime, why: str) -> None: ...

    # -- helpers -------------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        self.state = self.state.model_copy(update=changes)

    def _key(self, purpose: str) -> str:
        return f"{self.state.case_id}/{purpose}"

    def _act(
        self, action_type: type[Action], purpose: str, *, policy: str, rule: str, reason: str,
        **fields: Any,
    ) -> None:  # fmt: skip
        """Issue an action whose idempotency key is this case plus ``purpose``."""
        self._emit(action_type(key=self._key(purpose), policy=policy, rule=rule, reason=reason, **fields))

    def _emit(self, action: Action) -> None:
        if action.key in self.state.issued or any(a.key == action.key for a in self.actions):
            return  # carried out once, however often the input repeats
        self.actions.append(action)

    def _replace_target(self, target: TargetState) -> None:
        self._update(targets=tuple(target if t.id == target.id else t for t in self.state.targets))

    def _add_target(self, target: TargetState) -> None:
        self._update(targets=(*self.state.targets, target))

    def _calendar(self, name: str | None) -> BusinessCalendar:
        return self.rules.calendar(name)

    def _instances(self, policy: str, name: str) -> list[TargetState]:
        return [t for t in self.state.targets if t.policy == policy and t.name == name]

    def _input_id(self) -> str:
        """What makes an action's key unique to this input, and the same when it is repeated."""
        if isinstance(self.engine_input, EventInput):
            return self.engine_input.event.id
        return self.now.isoformat()

    def _event(self) -> TicketEvent:
        assert isinstance(self.engine_input, EventInput)
        return self.engine_input.event

    def _zone(self) -> Any:
        calendar = self.rules.defaults.calendar
        return self._calendar(calendar).zone if calendar else None

    def _fmt(self, moment: datetime | None) -> str:
        """Times people read are in the policy set's local time."""
        if moment is None:
            return "-"
        zone = self._zone()
        return (moment.astimezone(zone) if zone else moment).strftime("%a %d %b %Y %H:%M %Z")
