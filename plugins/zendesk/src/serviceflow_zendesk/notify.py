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

So each recipient is resolved to a Zendesk user: by user id (the roster's ids are Zendesk's), all
in one ``GET /api/v2/users/show_many?ids=...`` (OAS ShowManyUsers, up to 100 ids a call), else by
the email the roster gives (``GET /api/v2/users/search?query=email:...``, OAS SearchUsers, exact
matches kept); a team (``group:NAME``) is its members, read with
``GET /api/v2/groups/{group_id}/memberships``. Only active agents and admins follow. The
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

#: The roles that can follow a ticket (OAS UserObject.role: end-user, agent, admin).
AGENT_ROLES = frozenset({"agent", "admin"})

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
    """Resolve every recipient to Zendesk agents (see the module docstring): the ids in one
    ShowManyUsers, an email-only recipient by SearchUsers, a team by its memberships."""
    people = {p.id: p for p in action.people}
    recipients = list(dict.fromkeys(action.recipients))
    teams = [r for r in recipients if r.startswith(GROUP_PREFIX) or (r in people and people[r].team)]
    groups = [g async for g in client.list_groups()] if teams else []
    members: dict[str, list[int]] = {}
    for team in teams:
        group = _group(groups, team)
        if group is not None:
            members[team] = [m.user_id async for m in client.list_group_memberships(group.id)]
    ids = [int(r) for r in recipients if r not in teams and _is_id(r)]
    ids += [u for team_ids in members.values() for u in team_ids]
    users = {u.id: u for u in await client.get_users(ids)} if ids else {}
    found = Addressed()
    for recipient in recipients:
        person = people.get(recipient)
        if recipient in teams:
            _team(found, recipient, person, _group(groups, recipient), members.get(recipient, []), users)
            continue
        user = users.get(int(recipient)) if _is_id(recipient) else None
        if user is None:
            user = await _by_email(client, person, recipient)
        name = _name(person, user, recipient)
        found.names.append(name)
        if user is not None and _can_follow(user):
            found.follow(user.id)
            continue
        email = person.email if person is not None else None
        who = f"{name} <{email}>" if email and email != name else name
        found.not_told.append(f"{who} ({_why(user)})")
    return found


def _can_follow(user: User) -> bool:
    """Only active agents and admins can follow (support.zendesk.com 203690846)."""
    return user.active and user.role in AGENT_ROLES


def _why(user: User | None) -> str:
    if user is None or user.role not in AGENT_ROLES:
        return "no Zendesk agent"
    return "an inactive agent"


def notify_body(action: Notify, names: list[str]) -> str:
    """The note's text: who it is for, by name, the subject (and ladder level), the body."""
    level = f" (escalation level {action.escalation_level})" if action.escalation_level is not None else ""
    to = ", ".join(names) or "(no one named)"
    return f"To: {to}\n{action.subject}{level}\n\n{action.body}"


def _group(groups: list[Group], recipient: str) -> Group | None:
    key = recipient.removeprefix(GROUP_PREFIX)
    return next((g for g in groups if key == str(g.id) or g.name.casefold() == key.casefold()), None)


def _team(
    found: Addressed,
    recipient: str,
    person: Person | None,
    group: Group | None,
    member_ids: list[int],
    users: dict[int, User],
) -> None:
    key = recipient.removeprefix(GROUP_PREFIX)
    team = (person.name if person is not None and person.name != recipient else None) or (
        group.name if group is not None else key
    )
    members = [users[u] for u in dict.fromkeys(member_ids) if u in users and _can_follow(users[u])]
    if not members:
        found.names.append(team)
        found.not_told.append(f"{team} (no Zendesk group with active agents)")
        return
    found.names.append(f"{team} ({', '.join(a.name for a in members)})")
    for member in members:
        found.follow(member.id)


def _is_id(recipient: str) -> bool:
    try:
        ids.canonical(recipient)
    except ids.NotAnId:
        return False
    return True


async def _by_email(client: ZendeskClient, person: Person | None, recipient: str) -> User | None:
    for email in dict.fromkeys((person.email if person is not None else None, recipient)):
        if email and "@" in email:
            found = await client.find_users_by_email(email)
            if found:
                return next((u for u in found if _can_follow(u)), found[0])
    return None


def _name(person: Person | None, agent: User | None, recipient: str) -> str:
    """The person's name as the roster knows it, else Zendesk's, else what the engine gave."""
    if person is not None and person.name and person.name != recipient:
        return person.name
    if agent is not None and agent.name:
        return agent.name
    return person.name if person is not None and person.name else recipient
