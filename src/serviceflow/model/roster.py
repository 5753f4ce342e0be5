"""The roster: who can own cases. An input to the engine, read from the helpdesk and settings."""

from __future__ import annotations

from pydantic import Field

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


class Group(Model):
    """A team: frontline, finance, logistics, a triage pool."""

    id: str
    name: str
    lead: str | None = None


class Roster(Model):
    agents: tuple[Agent, ...] = ()
    groups: tuple[Group, ...] = ()


class Remedy(Model):
    """Something the owner wants to grant the customer: a refund, a credit, a replacement."""

    kind: str
    amount: float = 0.0
    currency: str | None = None
