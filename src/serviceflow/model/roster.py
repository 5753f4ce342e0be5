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
        """The agent with this id or email (the first in roster order)."""
        if key is None:
            return None
        return _index(self)[1].get(key)

    def group(self, key: str) -> Group | None:
        """The group with this id or name (the first in roster order)."""
        return _index(self)[2].get(key)

    def members(self, group: str) -> list[Agent]:
        """Agents in a group, by the group's id or name, in roster order."""
        index = _index(self)
        found = index[3].get(group)
        if found is None:
            known = self.group(group)
            names = {group} | ({known.id, known.name} if known else set())
            found = index[3][group] = tuple(a for a in self.agents if names.intersection(a.groups))
        return list(found)

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


#: The two rosters last asked, each with its agents by id and email, its groups by id and name
#: (the first in roster order wins, as a walk in order finds) and the members found per group:
#: the engine asks these on every event, and a worker decides with one roster for a long time.
#: Two, because ``overlaid`` asks the helpdesk's roster and the overlay by turns (with one, each
#: turn built an index again: a refresh of 2,000 agents took 7.5 s instead of 2.9). One tuple,
#: assigned at once (threads); each index holds its roster, so an identity cannot be another's.
_RosterIndex = tuple["Roster | None", dict[str, Agent], dict[str, Group], dict[str, tuple[Agent, ...]]]
_EMPTY: _RosterIndex = (None, {}, {}, {})
_LAST_INDEXES: tuple[_RosterIndex, _RosterIndex] = (_EMPTY, _EMPTY)


def _index(roster: Roster) -> _RosterIndex:
    global _LAST_INDEXES
    last, before = _LAST_INDEXES
    if last[0] is roster:
        return last
    if before[0] is roster:
        _LAST_INDEXES = (before, last)
        return before
    agents: dict[str, Agent] = {}
    for agent in roster.agents:  # the fields read from each model's dict: past pydantic's hook
        fields = agent.__dict__
        agents.setdefault(fields["id"], agent)
        if fields["email"] is not None:
            agents.setdefault(fields["email"], agent)
    groups: dict[str, Group] = {}
    for group in roster.groups:
        fields = group.__dict__
        groups.setdefault(fields["id"], group)
        groups.setdefault(fields["name"], group)
    found: _RosterIndex = (roster, agents, groups, {})
    _LAST_INDEXES = (found, last)
    return found


class Remedy(Model):
    """Something the owner wants to grant the customer: a refund, a credit, a replacement."""

    kind: str
    amount: float = 0.0
    currency: str | None = None
