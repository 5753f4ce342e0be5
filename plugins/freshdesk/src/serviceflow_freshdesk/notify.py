"""A ``Notify`` on the helpdesk (issue 12 F): a private note that Freshdesk emails to the people it
is for.

Create a Note takes ``notify_emails``, "Email addresses of agents/users who need to be notified
about this note" (FD-docs lines 3978-3993), and answers which were notified in ``notified_to``
(line 4018). Freshdesk's own code accepts only agents' primary emails there and refuses the
whole note otherwise (400 on ``notify_emails``, code ``invalid_agent_emails``, naming the other
addresses: ``ConversationDelegator#validate_agent_emails``, research A.2; that the listed agents
then get an email for a *private* note is what the field is for, UNVERIFIED by example). So:

- each recipient is resolved to a Freshdesk agent through ``GET /api/v2/agents`` (every page):
  by agent id (the roster's ids are Freshdesk's), else by the email ``Notify.people`` gives; a
  team (``group:NAME``) is its members through ``GET /api/v2/groups`` and each group's View a
  Group, which alone carries ``agent_ids`` (:meth:`FreshdeskClient.list_groups`; only read when a
  team is named);
- only active agents' primary emails go into ``notify_emails``; anyone else (a manager who is no
  agent, an id Freshdesk does not know) is not sent and is named in the outcome, so the shell
  records who was *not* told here and a channel can reach them;
- should Freshdesk still refuse addresses (an agent removed since the read), the note is written
  again without them, once, and they are reported the same way;
- the text names people by name (``To: Lee Lead, Support leads (Ada Agent, Max Manager)``), never
  by id, and the note is written once per key, also across a 5xx after the write (:mod:`.notes`).

A ``Notify`` whose ``channels`` do not name ``helpdesk`` is not the helpdesk's: skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from serviceflow.model import HELPDESK_CHANNEL, Notify, Person

from . import notes
from .client import FreshdeskClient
from .errors import ValidationFailed
from .models import Agent, Group

GROUP_PREFIX = "group:"
_EMAIL = re.compile(r"[^\s,;:'\"<>()\[\]]+@[^\s,;:'\"<>()\[\]]+")


@dataclass
class Addressed:
    """Who a notification names, and who Freshdesk can email.

    Attributes:
        names: How the text names each recipient (a team with its members).
        emails: Agents' primary emails, for ``notify_emails`` (no duplicates).
        not_told: Recipients Freshdesk cannot email, as ``Name <email>`` or ``Name``.
    """

    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    not_told: list[str] = field(default_factory=list)

    def email(self, address: str) -> None:
        if address.casefold() not in {e.casefold() for e in self.emails}:
            self.emails.append(address)


async def apply(client: FreshdeskClient, tid: int, action: Notify) -> str:
    """Write the note that tells the recipients; ``"done"`` when Freshdesk emails every one of
    them, ``"done: ..."`` naming who it could not email, ``"skipped: ..."`` otherwise."""
    if HELPDESK_CHANNEL not in action.channels:
        return f"skipped: not for the helpdesk (channels: {', '.join(action.channels)})"
    addressed = await address(client, action)
    body = notify_body(action, addressed.names)
    try:
        written = await notes.write_once(
            client, tid, action.key, body, kind="note", notify_emails=addressed.emails
        )
    except ValidationFailed as exc:
        refused = _refused_addresses(exc, addressed.emails)
        if refused is None:
            raise
        addressed.not_told.extend(refused)
        addressed.emails = [e for e in addressed.emails if e not in refused]
        written = await notes.write_once(
            client, tid, action.key, body, kind="note", notify_emails=addressed.emails
        )
    if written.outcome != "done" or not addressed.not_told:
        return written.outcome
    return f"done: not emailed by Freshdesk (no Freshdesk agent): {', '.join(addressed.not_told)}" + (
        f"; emailed: {', '.join(addressed.emails)}" if addressed.emails else ""
    )


async def address(client: FreshdeskClient, action: Notify) -> Addressed:
    """Resolve every recipient to Freshdesk agents (see the module docstring)."""
    agents = [a async for a in client.list_agents() if a.contact.active]
    by_id = {str(a.id): a for a in agents}
    by_email = {a.contact.email.casefold(): a for a in agents if a.contact.email}
    people = {p.id: p for p in action.people}
    groups: list[Group] | None = None
    found = Addressed()
    for recipient in dict.fromkeys(action.recipients):
        person = people.get(recipient)
        if recipient.startswith(GROUP_PREFIX) or (person is not None and person.team):
            if groups is None:  # as listed: only the team named is read for its members
                groups = [g async for g in client.list_groups(members=False)]
            group = _group_named(recipient, groups)
            if group is not None:
                group = await client.group_with_members(group)
            _team(found, recipient, person, group, agents)
            continue
        agent = by_id.get(recipient) or _by_email(by_email, person, recipient)
        name = _name(person, agent, recipient)
        found.names.append(name)
        if agent is not None and agent.contact.email:
            found.email(agent.contact.email)
        else:
            email = person.email if person is not None else None
            found.not_told.append(f"{name} <{email}>" if email and email != name else name)
    return found


def notify_body(action: Notify, names: list[str]) -> str:
    """The note's text: who it is for, by name, the subject (and ladder level), the body."""
    level = f" (escalation level {action.escalation_level})" if action.escalation_level is not None else ""
    to = ", ".join(names) or "(no one named)"
    return f"To: {to}\n{action.subject}{level}\n\n{action.body}"


def _group_named(recipient: str, groups: list[Group]) -> Group | None:
    key = recipient.removeprefix(GROUP_PREFIX)
    folded = key.casefold()
    return next((g for g in groups if key in (str(g.id), g.name) or g.name.casefold() == folded), None)


def _team(
    found: Addressed, recipient: str, person: Person | None, group: Group | None, agents: list[Agent]
) -> None:
    key = recipient.removeprefix(GROUP_PREFIX)
    team = (person.name if person is not None else None) or (group.name if group is not None else key)
    members = (
        [a for a in agents if a.id in group.agent_ids or group.id in a.group_ids] if group is not None else []
    )
    if not members:
        found.names.append(team)
        found.not_told.append(f"{team} (no Freshdesk group with agents)")
        return
    found.names.append(f"{team} ({', '.join(a.contact.name or str(a.id) for a in members)})")
    for member in members:
        if member.contact.email:
            found.email(member.contact.email)


def _by_email(by_email: dict[str, Agent], person: Person | None, recipient: str) -> Agent | None:
    for email in (person.email if person is not None else None, recipient):
        if email and email.casefold() in by_email:
            return by_email[email.casefold()]
    return None


def _name(person: Person | None, agent: Agent | None, recipient: str) -> str:
    """The person's name as the roster knows it, else Freshdesk's, else what the engine gave."""
    if person is not None and person.name and person.name != recipient:
        return person.name
    if agent is not None and agent.contact.name:
        return agent.contact.name
    return person.name if person is not None and person.name else recipient


def _refused_addresses(exc: ValidationFailed, sent: list[str]) -> list[str] | None:
    """The addresses a 400 on ``notify_emails`` refused (those it names, else all that were
    sent); None for a 400 about something else."""
    messages = [e.message for e in exc.errors if e.field == "notify_emails"]
    if not messages or not sent:
        return None
    named = {m.casefold() for text in messages for m in _EMAIL.findall(text)}
    refused = [e for e in sent if e.casefold() in named]
    return refused or list(sent)
