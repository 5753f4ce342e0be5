"""The fake Zendesk's people endpoints: users (show, show many, search, the current user),
groups and group memberships, over :class:`~.state.FakeState`.

They go through the same pipeline as every other route (:mod:`.app`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .pages import paginate
from .records import FakeApiError

if TYPE_CHECKING:
    from .app import Answer, Ctx, Handler


def _list_users(ctx: Ctx) -> Answer:
    query = ctx.info.query
    roles = [v for k, v in query if k in ("role", "role[]")]
    params = dict(query)
    users = ctx.fake.state.list_users(roles=roles, external_id=params.get("external_id"))
    if "permission_set" in params:
        users = [u for u in users if str(u.get("custom_role_id")) == params["permission_set"]]
    return 200, paginate(users, key="users", query=query, url=ctx.url("/api/v2/users.json")), {}


def _show_me(ctx: Ctx) -> Answer:
    return 200, {"user": ctx.fake.state.get_user(ctx.actor["id"])}, {}


def _show_many_users(ctx: Ctx) -> Answer:
    """ShowManyUsers: "a comma-separated list of up to 100 user ids" (OAS); unknown ids are left
    out of the answer (the fake's reading)."""
    raw = dict(ctx.info.query).get("ids", "")
    try:
        wanted = [int(i) for i in raw.split(",") if i.strip()]
    except ValueError as exc:
        raise FakeApiError(400, "InvalidParameter", "ids must be comma-separated integers") from exc
    if len(wanted) > 100:
        raise FakeApiError(400, "InvalidParameter", "ids accepts up to 100 user ids")
    state = ctx.fake.state
    with state.lock:
        users = [copy.deepcopy(state.users[u]) for u in dict.fromkeys(wanted) if u in state.users]
    return 200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)}, {}


def _search_users(ctx: Ctx) -> Answer:
    """SearchUsers: the fake reads ``email:<address>`` (exact) and otherwise matches the text in
    names and emails, ignoring case (the search syntax itself is Zendesk's, not copied)."""
    query = dict(ctx.info.query).get("query", "").strip()
    state = ctx.fake.state
    with state.lock:
        everyone = list(state.users.values())
        if query.lower().startswith("email:"):
            address = query[len("email:") :].strip().strip('"').lower()
            found = [u for u in everyone if str(u.get("email", "")).lower() == address]
        else:
            text = query.strip('"').lower()
            found = [
                u for u in everyone if text and (text in u["name"].lower() or text in str(u["email"]).lower())
            ]
        users = copy.deepcopy(sorted(found, key=lambda u: u["id"])[:100])
    return 200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)}, {}


def _show_user(ctx: Ctx) -> Answer:
    return 200, {"user": ctx.fake.state.get_user(int(ctx.params["user_id"]))}, {}


def _list_groups(ctx: Ctx) -> Answer:
    groups = ctx.fake.state.list_groups()
    if dict(ctx.info.query).get("exclude_deleted") == "true":
        groups = [g for g in groups if not g["deleted"]]
    return 200, paginate(groups, key="groups", query=ctx.info.query, url=ctx.url("/api/v2/groups.json")), {}


def _list_memberships(ctx: Ctx) -> Answer:
    """ListGroupMemberships at its three URLs: all, ``/groups/{group_id}/memberships``,
    ``/users/{user_id}/group_memberships`` (the filters are path parameters, CONTRACTS.md §8)."""
    group_id, user_id = ctx.params.get("group_id"), ctx.params.get("user_id")
    memberships = ctx.fake.state.list_memberships(
        group_id=None if group_id is None else int(group_id),
        user_id=None if user_id is None else int(user_id),
    )
    url = ctx.url(ctx.info.path.removesuffix(".json") + ".json")
    return 200, paginate(memberships, key="group_memberships", query=ctx.info.query, url=url), {}


PEOPLE_ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/api/v2/users", {"GET": _list_users}),
    ("/api/v2/users/me", {"GET": _show_me}),
    ("/api/v2/users/show_many", {"GET": _show_many_users}),
    ("/api/v2/users/search", {"GET": _search_users}),
    ("/api/v2/users/{user_id:int}", {"GET": _show_user}),
    ("/api/v2/groups", {"GET": _list_groups}),
    ("/api/v2/group_memberships", {"GET": _list_memberships}),
    ("/api/v2/groups/{group_id:int}/memberships", {"GET": _list_memberships}),
    ("/api/v2/users/{user_id:int}/group_memberships", {"GET": _list_memberships}),
]
