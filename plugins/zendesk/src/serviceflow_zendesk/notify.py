"""A ``Notify`` on the helpdesk (issue 12 F): the recipients become followers of the ticket, then a
private note tells them.

Zendesk has no "notify these people" call, and a note whose first line names someone reaches no
one: Zendesk emails the assignee, followers and CCs through its triggers and follower emails.
What is documented to reach people:

- **Followers** get an email for every comment on a ticket they follow, public or private: "Followers
  get email notifications when comments are added to tickets they are following. Followers don't
  receive email notifications for their own comments. There's no way to disable email
  notifications to followers (other than to stop using followers by turning off Enable
  followers)" (support.zendesk.com/hc/en-us/articles/4408843866394). Only agents and admins can
  follow: "Followers allow you to include additional internal users (agents or administrators) on
  ticket notifications" (support.zendesk.com/hc/en-us/articles/203690846).
- A ticket update adds them: ``{"ticket": {"followers": [{"user_id": "123", "action": "put"}]}}``
  (OAS TicketUpdateInput ``followers``, "An array of objects that represent agent followers to add
  or delete from the ticket"; items ``FollowerObject`` with ``user_id`` a *string*, ``user_email``,
  ``action: put | delete``; developer.zendesk.com/documentation/ticketing/managing-tickets/
  creating-and-updating-tickets#setting-followers).
- **Email CCs** are told of *public* comments only (the default trigger "Notify requester and CCs
  of comment update", 4408843866394): the wrong channel for an internal note, and an end user on
  it would read the escalation. So serviceflow uses followers and never CCs for a note.

So each recipient is resolved to a Zendesk agent through ListUsers ``role[]=agent,admin`` (every
page): by user id (the roster's ids are Zendesk's), else by the email the roster gives; a team
(``group:NAME``) is its members, read with ``GET /api/v2/groups/{group_id}/memberships``. The
agents who do not already follow are added in one safe update, then the note is written once per
key (:mod:`.comments`). Anyone who cannot follow (an end user, an address Zendesk does not know, an
inactive agent) is not sent and is named in the outcome, so the shell records who was *not* told
here and a channel can reach them. The account must have followers on (Admin Center > Objects and
rules > Tickets > Settings > CCs and followers); that it is on is UNVERIFIED from the API.

A ``Notify`` whose ``channels`` do not name ``helpdesk`` is not the helpdesk's: skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from serviceflow.model import HELPDESK_CHANNEL, Notify, Person

from . import comments, ids
from .client import ZendeskClient
from .models import Group, Ticket, User

GROUP_PREFIX = "group:"


@dataclass
class Addressed:
    """Who a notification names, and who Zendesk can tell.

    Attributes:
        names: How the text names each recipient (a team with its members).
        followers: Agents' user ids, to follow the ticket (no duplicates, in order).
        not_told: Recipients Zendesk cannot tell, as ``Name <email>`` or ``Name``, with why.
    """

    names: list[str] = field(default_factory=list)
    followers: list[int] = field(default_factory=list)
    not_told: list[str] = field(default_factory=list)

    def follow(self, user_id: int) -> None:
        if user_id not in self.followers:
            self.followers.append(user_id)


async def apply(client: ZendeskClient, tid: int, action: Notify) -> str:
    """Make the recipients followers, then write the note; ``"done"`` when every recipient
    follows the ticket, ``"done: ..."`` naming who Zendesk will not tell, ``"skipped: ..."``
    otherwise."""
    if HELPDESK_CHANNEL not in action.channels:
        return f"skipped: not for the helpdesk (channels: {', '.join(action.channels)})"
    addressed = await address(client, action)
    if addressed.followers:
        await client.update_ticket(tid, lambda ticket: _new_followers(ticket, addressed.followers))
    written = await comments.write_once(
        client, tid, action.key, notify_body(action, addressed.names), public=False
    )
    if written != "done" or not addressed.not_told:
        return written
    return "done: not told by Zendesk (cannot follow the ticket): " + "; ".join(addressed.not_told)


def _new_followers(ticket: Ticket, wanted: list[int]) -> dict[str, Any]:
    """The ``followers`` entries for agents who do not follow yet (none: nothing to update)."""
    missing = [u for u in wanted if u not in ticket.follower_ids]
    if not missing:
        return {}
    return {"followers": [{"user_id": str(u), "action": "put"} for u in missing]}


async def address(client: ZendeskClient, action: Notify) -> Addressed:
    """Resolve every recipient to Zendesk agents (see the module docstring)."""
    agents = [u async for u in client.list_agents()]
    by_id = {u.id: u for u in agents}
    by_email = {u.email.casefold(): u for u in agents if u.email}
    people = {p.id: p for p in action.people}
    groups: list[Group] | None = None
    found = Addressed()
    for recipient in dict.fromkeys(action.recipients):
        person = people.get(recipient)
        if recipient.startswith(GROUP_PREFIX) or (person is not None and person.team):
            if groups is None:
                groups = [g async for g in client.list_groups()]
            await _team(client, found, recipient, person, groups, by_id)
            continue
        agent = _by_id(by_id, recipient) or _by_email(by_email, person, recipient)
        name = _name(person, agent, recipient)
        found.names.append(name)
        if agent is not None and agent.active:
            found.follow(agent.id)
            continue
        email = person.email if person is not None else None
        who = f"{name} <{email}>" if email and email != name else name
        why = "an inactive agent" if agent is not None else "no Zendesk agent"
        found.not_told.append(f"{who} ({why})")
    return found


def notify_body(action: Notify, names: list[str]) -> str:
    """The note's text: who it is for, by name, the subject (and ladder level), the body."""
    level = f" (escalation level {action.escalation_level})" if action.escalation_level is not None else ""
    to = ", ".join(names) or "(no one named)"
    return f"To: {to}\n{action.subject}{level}\n\n{action.body}"


async def _team(
    client: ZendeskClient,
    found: Addressed,
    recipient: str,
    person: Person | None,
    groups: list[Group],
    agents: dict[int, User],
) -> None:
    key = recipient.removeprefix(GROUP_PREFIX)
    group = next((g for g in groups if key == str(g.id) or g.name.casefold() == key.casefold()), None)
    team = (person.name if person is not None and person.name != recipient else None) or (
        group.name if group is not None else key
    )
    members: list[User] = []
    if group is not None:
        async for membership in client.list_group_memberships(group.id):
            agent = agents.get(membership.user_id)
            if agent is not None and agent.active and agent not in members:
                members.append(agent)
    if not members:
        found.names.append(team)
        found.not_told.append(f"{team} (no Zendesk group with active agents)")
        return
    found.names.append(f"{team} ({', '.join(a.name for a in members)})")
    for member in members:
        found.follow(member.id)


def _by_id(by_id: dict[int, User], recipient: str) -> User | None:
    try:
        return by_id.get(int(ids.canonical(recipient)))
    except ids.NotAnId:
        return None


def _by_email(by_email: dict[str, User], person: Person | None, recipient: str) -> User | None:
    for email in (person.email if person is not None else None, recipient):
        if email and email.casefold() in by_email:
            return by_email[email.casefold()]
    return None


def _name(person: Person | None, agent: User | None, recipient: str) -> str:
    """The person's name as the roster knows it, else Zendesk's, else what the engine gave."""
    if person is not None and person.name and person.name != recipient:
        return person.name
    if agent is not None and agent.name:
        return agent.name
    return person.name if person is not None and person.name else recipient
