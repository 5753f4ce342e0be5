"""The roster: who can own cases. An input to the engine, read from the helpdesk and settings."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from serviceflow.model.ticket import Model


class Agent(Model):
    """A person who can own cases."""

    id: str
    name: str = ""
    email: str | None = None
    groups: tuple[str, ...] = ()
    lead: str | None = Field(default=None, description="The agent id of this person's lead.")
    skills: tuple[str, ...] = ()
    out_of_office: bool = False
    open_cases: int = Field(default=0, description="Current load: open cases this agent owns.")
    last_assigned_at: AwareDatetime | None = Field(
        default=None, description="When a case was last given to this agent (round robin)."
    )


class Group(Model):
    """A team: frontline, finance, logistics, a triage pool."""

    id: str
    name: str
    lead: str | None = None


class Roster(Model):
    agents: tuple[Agent, ...] = ()
    groups: tuple[Group, ...] = ()

    def agent(self, key: str | None) -> Agent | None:
        """The agent with this id or email."""
        if key is None:
            return None
        return next((a for a in self.agents if key in (a.id, a.email)), None)

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if key in (g.id, g.name)), None)

    def members(self, group: str) -> list[Agent]:
        """Agents in a group, by the group's id or name, in roster order."""
        found = self.group(group)
        names = {group} | ({found.id, found.name} if found else set())
        return [a for a in self.agents if names.intersection(a.groups)]


class Remedy(Model):
    """Something the owner wants to grant the customer: a refund, a credit, a replacement."""

    kind: str
    amount: float = 0.0
    currency: str | None = None
