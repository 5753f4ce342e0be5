"""Followers, email CCs and the email notifications they get, in the fake Zendesk.

What the fake copies, and from where:

- A ticket update's ``followers`` and ``email_ccs`` are arrays of ``{user_id | user_email,
  action: put | delete}`` (OAS TicketUpdateInput ``followers``: "An array of objects that
  represent agent followers to add or delete from the ticket"; ``FollowerObject``,
  ``EmailCCObject``). The result shows in ``follower_ids`` and ``email_cc_ids`` (OAS
  TicketObject).
- Only agents (and admins) can follow: "Followers allow you to include additional internal users
  (agents or administrators) on ticket notifications" (support.zendesk.com/hc/en-us/articles/
  203690846). A non-agent in ``followers`` is left out here without an error; what Zendesk answers
  for one is UNVERIFIED (serviceflow never sends one: it names them as not told instead).
- Email CCs may be end users or agents ("CCs allow you to include end users and agents on ticket
  notifications", same article); an unknown ``user_email`` becomes a new end user, as the
  email-CC object's ``user_name`` suggests (the fake's reading).
- "Followers get email notifications when comments are added to tickets they are following.
  Followers don't receive email notifications for their own comments" (support.zendesk.com/hc/
  en-us/articles/4408843866394): every comment, public or private, notifies each follower but its
  author. Requesters and CCs are told of public comments by the default trigger "Notify requester
  and CCs of comment update" (same article); the fake records that for public comments only.

Each notification is recorded (:class:`Notification`), so a test can see that the lead was told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .records import AGENT_ROLES, Json, record_invalid

Via = Literal["follower", "cc", "requester"]


@dataclass(frozen=True)
class Notification:
    """One email Zendesk would have sent about a comment.

    Attributes:
        ticket_id: The ticket.
        comment_id: The comment it is about.
        user_id: Who was told.
        email: Their address.
        via: Why: a follower, an email CC, or the requester.
        public: Whether the comment was public.
    """

    ticket_id: int
    comment_id: int
    user_id: int
    email: str
    via: Via
    public: bool


def stage(
    users: dict[int, Json], ticket: Json, fields: Mapping[str, Any], *, new_user: Any
) -> dict[str, Any]:
    """The ``follower_ids``/``email_cc_ids`` an update's ``followers``/``email_ccs`` make.

    Raises:
        FakeApiError: 422 for an entry that is not an object with a user and a known action.
    """
    staged: dict[str, Any] = {}
    for name, key, agents_only in (("followers", "follower_ids", True), ("email_ccs", "email_cc_ids", False)):
        if name not in fields:
            continue
        entries = fields[name]
        if not isinstance(entries, list):
            raise record_invalid(name, f"{name}: must be an array")
        ids: list[int] = list(ticket.get(key) or [])
        for entry in entries:
            user = _user(users, entry, name, create=not agents_only, new_user=new_user)
            if user is None or (agents_only and user["role"] not in AGENT_ROLES):
                continue
            if entry.get("action", "put") == "delete":
                ids = [i for i in ids if i != user["id"]]
            elif user["id"] not in ids:
                ids.append(user["id"])
        staged[key] = ids
    return staged


def _user(users: dict[int, Json], entry: Any, name: str, *, create: bool, new_user: Any) -> Json | None:
    if not isinstance(entry, Mapping) or entry.get("action", "put") not in ("put", "delete"):
        raise record_invalid(name, f"{name}: each entry is an object with action put or delete")
    raw_id = entry.get("user_id")
    if raw_id is not None:
        try:
            return users.get(int(str(raw_id)))
        except ValueError:
            raise record_invalid(name, f"{name}: user_id is not an id") from None
    email = entry.get("user_email")
    if not isinstance(email, str) or "@" not in email:
        raise record_invalid(name, f"{name}: each entry names a user_id or a user_email")
    found = next((u for u in users.values() if str(u.get("email", "")).lower() == email.lower()), None)
    if found is None and create:
        found = new_user(str(entry.get("user_name") or email), email)
    return found


def told(users: Mapping[int, Json], ticket: Json, comment: Json) -> list[Notification]:
    """Who Zendesk emails about ``comment`` (see the module docstring)."""
    author = comment.get("author_id")
    public = bool(comment.get("public"))
    out: list[Notification] = []
    seen: set[int] = set()

    def add(user_id: Any, via: Via) -> None:
        user = users.get(user_id)
        if user is None or user_id == author or user_id in seen or not user.get("active", True):
            return
        seen.add(user_id)
        out.append(Notification(ticket["id"], comment["id"], user_id, str(user.get("email")), via, public))

    for follower in ticket.get("follower_ids") or ():
        add(follower, "follower")
    if public:
        add(ticket.get("requester_id"), "requester")
        for cc in ticket.get("email_cc_ids") or ():
            add(cc, "cc")
    return out


__all__ = ["Notification", "stage", "told"]
