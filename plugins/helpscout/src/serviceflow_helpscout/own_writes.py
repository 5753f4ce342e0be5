"""Telling serviceflow's own writes from a person's in Help Scout's webhooks.

Every note, reply and change serviceflow makes is made by the app's user, the resource owner
(``GET /v2/users/me``; notes and replies "default to the resource owner" when no ``user`` is
given, CONTRACTS.md §5.2), and Help Scout's webhooks report it like anyone's (assumed, as for
Zendesk; UNVERIFIED, §8.7). A webhook body is the conversation: it says *what* changed, never
*who* changed it (§8.4). What does say who:

- **Notes and replies** are threads, and a thread's ``createdBy`` is its author (OFFICIAL thread
  example, §3.1): the integration's when its id is the resource owner's. serviceflow's notes and
  replies also end with the action's marker ``[sf:<key>]`` (:func:`marker`), which is enough on
  its own.
- **Assignment and status** leave a ``lineitem`` thread ("a change of state on the
  conversation"), whose ``createdBy`` made the change; every thread's ``assignedTo`` is the
  assignee after it and its ``status`` the new status, ``nochange`` when it changed none (the v1
  thread object documents both; the v2 List Threads example carries both fields on a thread,
  OFFICIAL, but their meaning on v2 is UNVERIFIED): :func:`changer` finds the newest thread that
  set the conversation's status, or line item that changed its assignee to the present one. A close
  also names its closer in the conversation's ``closedBy`` (OFFICIAL field list).
- **Tags** leave no line item that any source documents. serviceflow's tag writes replace the
  whole list (the only way Help Scout has), so each carries a stamp tag, ``sf-`` and eight hex
  digits of a digest of the other tags (:func:`stamped`): a ``convo.tags`` body whose tags match
  its stamp is the list serviceflow wrote; a person's change to the list no longer matches. Only
  a person setting the tags back to exactly serviceflow's list reads as serviceflow's (it changes
  nothing then either). Stamp tags are hidden from policies (:func:`visible`).

An actor who is none of these (a workflow's change, a line item Help Scout does not write) is
taken for a person: the safe side for a person's change, and for serviceflow's own only a
missed echo (the case already knows what it did).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from serviceflow.adapters import Identity
from serviceflow.model import Actor, ActorRole

from .models import Conversation, PersonRef, Thread

#: ``[sf:<action key>]``, the last line of every note and reply serviceflow writes.
MARKER = re.compile(r"\[sf:([^\]\s]{1,200})\]")
STAMP = re.compile(r"^sf-[0-9a-f]{8}$")


def marker(key: str) -> str:
    """The line ending a note or reply, so a retry (and its echo) can find it."""
    return f"[sf:{key}]"


def has_marker(text: str | None) -> bool:
    return bool(text) and MARKER.search(text or "") is not None


def _normal(tag: str) -> str:
    return tag.strip().casefold()


def visible(tags: Iterable[str]) -> list[str]:
    """The tags without serviceflow's stamp."""
    return [t for t in tags if not STAMP.match(_normal(t))]


def stamp(tags: Iterable[str]) -> str:
    """The stamp of a tag list: ``sf-`` + 8 hex digits of its normalised, sorted set."""
    canonical = "\n".join(sorted({_normal(t) for t in visible(tags)}))
    return "sf-" + hashlib.sha256(canonical.encode()).hexdigest()[:8]


def stamped(tags: Sequence[str]) -> list[str]:
    """``tags`` as serviceflow writes them: without any old stamp, with the new one."""
    kept = visible(tags)
    return [*kept, stamp(kept)]


def is_own_tag_list(tags: Iterable[str]) -> bool:
    """Whether a tag list is exactly the one serviceflow last wrote (its stamp matches)."""
    listed = list(tags)
    stamps = {_normal(t) for t in listed if STAMP.match(_normal(t))}
    return stamp(listed) in stamps


def actor_of(person: PersonRef | None, identity: Identity | None) -> Actor:
    """Who a ``createdBy`` names: serviceflow itself, a customer, or a person on the team."""
    if person is None:
        return Actor(role=ActorRole.AGENT)
    if identity is not None and identity.is_actor(actor_id=person.id):
        return ours(identity)
    if person.type == "customer":
        return Actor(id=person.id, role=ActorRole.CUSTOMER, name=person.name)
    return Actor(id=person.id, role=ActorRole.AGENT, name=person.name)


def ours(identity: Identity) -> Actor:
    return Actor(id=identity.id, role=ActorRole.SERVICEFLOW, name=identity.name)


def author(thread: Thread, identity: Identity | None) -> Actor:
    """The author of a note or reply: serviceflow when it is the resource owner or the thread
    carries serviceflow's marker."""
    if identity is not None and has_marker(thread.body):
        return ours(identity)
    return actor_of(thread.createdBy, identity)


def changer(
    conversation: Conversation, threads: Sequence[Thread], identity: Identity | None, *, what: str
) -> tuple[Actor, Thread | None]:
    """Who made the ``assigned`` or ``status`` change the conversation shows, and the line item
    that says so (None when no line item does: then a person, see the module)."""
    if what == "status" and conversation.status == "closed" and conversation.closedBy is not None:
        closer = PersonRef(id=conversation.closedBy, type="user")
        return actor_of(closer, identity), None
    ordered = sorted(threads, key=lambda t: (t.createdAt, int(t.id)))
    for index in range(len(ordered) - 1, -1, -1):
        thread = ordered[index]
        if what == "status" and thread.status == conversation.status:
            return actor_of(thread.createdBy, identity), thread  # the thread that set it
        if thread.type != "lineitem":
            continue
        if what == "assigned" and _assignee_of(thread) == _assignee(conversation):
            before = _assignee_of(ordered[index - 1]) if index else None
            if index == 0 or before != _assignee_of(thread):  # this line item changed the assignee
                return actor_of(thread.createdBy, identity), thread
    return Actor(role=ActorRole.AGENT), None


def _assignee(conversation: Conversation) -> str | None:
    return conversation.assignee.id if conversation.assignee is not None else None


def _assignee_of(thread: Thread) -> str | None:
    return thread.assignedTo.id if thread.assignedTo is not None else None
