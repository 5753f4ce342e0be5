"""Who: choosing the accountable owner from the roster, resolving notification recipients, and
naming people in texts by their names (the roster's agents and teams, the ticket's requester),
never by bare ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from serviceflow.engine.evaluation import Evaluator
from serviceflow.engine.records import record
from serviceflow.engine.rules import OwnerRuntime
from serviceflow.model import Agent, Person, Roster, Ticket

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OwnerChoice:
    owner: str  # an agent id, or a pool ("group:triage") when nobody in it is available
    group: str | None
    policy: str
    rule: str
    reason: str


def pool_members(pool: str, roster: Roster) -> list[Agent]:
    """The agents of ``group:NAME`` or ``agent:ID``, in roster order."""
    kind, _, name = pool.partition(":")
    if kind == "agent":
        agent = roster.agent(name)
        return [agent] if agent else []
    return roster.members(name)


def pick(strategy: str, candidates: Sequence[Agent]) -> Agent:
    """fixed: the first available; round_robin: the longest since an assignment; least_loaded."""
    if strategy == "round_robin":
        return min(candidates, key=lambda a: a.last_assigned_at or _NEVER)
    if strategy == "least_loaded":
        return min(candidates, key=lambda a: a.open_cases)
    return candidates[0]


def choose_owner(rules: Iterable[OwnerRuntime], evaluator: Evaluator, roster: Roster) -> OwnerChoice | None:
    """The first owner rule whose ``when`` holds and that has an available agent decides."""
    for runtime in rules:
        rule = runtime.rule
        if not evaluator.test(runtime.when, policy=runtime.policy, rule=rule.name):
            continue
        for pool in rule.from_:
            candidates = [a for a in pool_members(pool, roster) if not a.out_of_office]
            if runtime.only is not None:
                candidates = [
                    a
                    for a in candidates
                    if evaluator.with_values(agent=a).test(
                        runtime.only, policy=runtime.policy, rule=rule.name
                    )
                ]
            if candidates:
                chosen = pick(rule.pick, candidates)
                group = pool.partition(":")[2] if pool.startswith("group:") else None
                return OwnerChoice(
                    owner=chosen.id,
                    group=group,
                    policy=runtime.policy,
                    rule=rule.name,
                    reason=f"owner rule {rule.name}: {rule.pick.replace('_', ' ')} from {pool}",
                )
    return None


def fallback_owner(pool: str, roster: Roster, reason: str) -> OwnerChoice:
    """The policy set's safe default: someone in the fallback pool, or the pool itself."""
    candidates = [a for a in pool_members(pool, roster) if not a.out_of_office]
    group = pool.partition(":")[2] if pool.startswith("group:") else None
    owner = pick("least_loaded", candidates).id if candidates else pool
    return OwnerChoice(owner=owner, group=group, policy="fallback", rule="fallback", reason=reason)


def resolve(recipients: Iterable[str], owner: str | None, roster: Roster) -> list[str]:
    """Recipients as agent ids or ``group:NAME``; people who cannot be found are left out."""
    resolved: list[str] = []
    for recipient in recipients:
        found: str | None = None
        if recipient == "owner":
            found = owner
        elif recipient in ("owner.lead", "owner.manager"):
            found = lead_of(owner, roster)
            if recipient == "owner.manager":
                found = lead_of(found, roster)
        elif recipient.startswith("agent:"):
            agent = roster.agent(recipient.partition(":")[2])
            found = agent.id if agent else None
        else:
            found = recipient
        if found and found not in resolved:
            resolved.append(found)
    return resolved


def lead_of(person: str | None, roster: Roster) -> str | None:
    """An agent's lead (their own, else their first group's); a team's (``group:X``) lead."""
    if person is not None and person.startswith("group:"):
        group = roster.group(person.partition(":")[2])
        return group.lead if group else None
    agent = roster.agent(person)
    if agent is None:
        return None
    if agent.lead:
        return agent.lead
    for group_name in agent.groups:
        group = roster.group(group_name)
        if group and group.lead and group.lead != agent.id:
            return group.lead
    return None


def person(recipient: str, roster: Roster) -> Person:
    """A recipient (an agent id or email, ``group:NAME``, ``agent:ID``) as the roster knows it."""
    kind, _, rest = recipient.partition(":")
    if kind == "group" and rest:
        group = roster.group(rest)
        return record(Person, id=recipient, name=group.name if group and group.name else rest, team=True)
    key = rest if kind == "agent" and rest else recipient
    agent = roster.agent(key)
    if agent is None:
        return record(Person, id=recipient, name=key)
    return record(Person, id=agent.id, name=agent.name or agent.email or agent.id, email=agent.email)


def name_of(recipient: str | None, roster: Roster, *, nobody: str = "nobody yet") -> str:
    """How a text names an owner or recipient."""
    return person(recipient, roster).name if recipient else nobody


def requester_name(ticket: Ticket) -> str:
    requester = ticket.requester
    return requester.name or requester.email or f"customer {requester.id}"
