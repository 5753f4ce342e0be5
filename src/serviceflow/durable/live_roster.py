"""The roster with each agent's load, as this worker sees cases being decided.

A helpdesk's roster (or a YAML file) says who can own cases, not how busy they are. Round robin
needs to know who was given a case last, and least-loaded how many cases each agent owns: the
worker learns both from the decisions it makes (an owner set, a case closed) and lays them over
the roster. Several workers each count what they see, which balances well enough; a restarted
worker starts counting afresh.
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.model import CaseState, Roster


class LiveRoster:
    def __init__(self, roster: Roster | None = None) -> None:
        self._base = roster or Roster()
        self.open_cases: dict[str, int] = {}
        self.last_assigned: dict[str, datetime] = {}
        self._current: Roster | None = None

    @property
    def base(self) -> Roster:
        return self._base

    @base.setter
    def base(self, roster: Roster) -> None:
        """A fresh roster (from the helpdesk); the load seen so far is kept."""
        self._base = roster
        self._current = None

    def current(self) -> Roster:
        """The roster with the load laid over; built again only after a change."""
        if self._current is None:
            agents = []
            for agent in self._base.agents:
                seen = self.last_assigned.get(agent.id)
                last = max((t for t in (agent.last_assigned_at, seen) if t is not None), default=None)
                agents.append(
                    agent.model_copy(
                        update={
                            "open_cases": agent.open_cases + self.open_cases.get(agent.id, 0),
                            "last_assigned_at": last,
                        }
                    )
                )
            self._current = self._base.model_copy(update={"agents": tuple(agents)})
        return self._current

    def observe(self, before: CaseState | None, after: CaseState) -> None:
        """Count what one decision changed: a new owner, or a case that ended."""
        old_owner = before.owner if before is not None and before.closed_at is None else None
        new_owner = after.owner if after.closed_at is None else None
        if old_owner == new_owner:
            return
        if old_owner is not None:
            self.open_cases[old_owner] = max(0, self.open_cases.get(old_owner, 0) - 1)
        if new_owner is not None:
            self.open_cases[new_owner] = self.open_cases.get(new_owner, 0) + 1
            changes = [c for c in after.ownership if c.owner == new_owner]
            if changes:
                self.last_assigned[new_owner] = changes[-1].time
        self._current = None
