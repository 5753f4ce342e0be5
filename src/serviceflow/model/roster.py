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
        for agent in self.agents:  # the fields read from each model's dict: past pydantic's
            fields = agent.__dict__  # attribute hook (the engine asks this on every event)
            if key == fields["id"] or key == fields["email"]:
                return agent
        return None

    def group(self, key: str) -> Group | None:
        for group in self.groups:  # as in agent()
            fields = group.__dict__
            if key == fields["id"] or key == fields["name"]:
                return group
        return None

    def members(self, group: str) -> list[Agent]:
        """Agents in a group, by the group's id or name, in roster order."""
        found = self.group(group)
        names = {group} | ({found.id, found.name} if found else set())
        return [a for a in self.agents if names.intersection(a.groups)]

    def overlaid(self, overlay: Roster) -> Roster:
        """This roster (the helpdesk's) with what only people know added from ``overlay`` (a
        YAML file): leads, skills and out-of-office for agents matched by id or email, leads of
        groups matched by id or name, and the overlay's own groups and agents (e.g. a lead who is
        no agent in the helpdesk). Leads written as emails become the helpdesk's agent ids."""

        def person(key: str | None) -> str | None:
            found = self.agent(key)
            return found.id if found else key

        agents = []
        for agent in self.agents:
            extra = overlay.agent(agent.id) or (overlay.agent(agent.email) if agent.email else None)
            if extra is None:
                agents.append(agent)
                continue
            agents.append(
                agent.model_copy(
                    update={
                        "lead": person(extra.lead) or agent.lead,
                        "skills": tuple(dict.fromkeys((*agent.skills, *extra.skills))),
                        "out_of_office": agent.out_of_office or extra.out_of_office,
                        "groups": tuple(dict.fromkeys((*agent.groups, *extra.groups))),
                    }
                )
            )
        known = {a.id for a in agents} | {a.email for a in agents if a.email}
        agents.extend(
            a.model_copy(update={"lead": person(a.lead)})
            for a in overlay.agents
            if a.id not in known and (a.email is None or a.email not in known)
        )
        groups = []
        for group in self.groups:
            known_group = overlay.group(group.id) or overlay.group(group.name)
            lead = person(known_group.lead) if known_group and known_group.lead else group.lead
            groups.append(group.model_copy(update={"lead": lead}))
        names = {g.id for g in groups} | {g.name for g in groups}
        groups.extend(
            g.model_copy(update={"lead": person(g.lead)})
            for g in overlay.groups
            if g.id not in names and g.name not in names
        )
        return Roster(agents=tuple(agents), groups=tuple(groups))


class Remedy(Model):
    """Something the owner wants to grant the customer: a refund, a credit, a replacement."""

    kind: str
    amount: float = 0.0
    currency: str | None = None
