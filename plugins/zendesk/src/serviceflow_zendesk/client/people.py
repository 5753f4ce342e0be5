"""People calls of the Zendesk client: who the credentials act as, users, agents, groups and
group memberships (the roster)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ..errors import AuthenticationFailed
from ..models import Group, GroupMembership, User
from .session import ZendeskSession, body_field

#: ShowManyUsers takes "up to 100 user ids" (OAS).
SHOW_MANY_LIMIT = 100


class PeopleCalls(ZendeskSession):
    """Users, agents, groups and memberships."""

    async def me(self) -> User:
        """ShowCurrentUser: who the credentials act as (a cheap credentials check).

        The endpoint is "Allowed for: Anonymous users" (OAS ShowCurrentUser): credentials Zendesk
        does not accept may answer 200 with an anonymous user (no id) instead of a 401, so that
        is refused here rather than taken for someone.

        Raises:
            AuthenticationFailed: the answer names no user (the credentials act as no one).
        """
        data = await self._json("GET", "/api/v2/users/me")
        user = body_field(data, "user")
        if not isinstance(user, dict) or user.get("id") is None:
            raise AuthenticationFailed(
                "Zendesk GET /api/v2/users/me answered an anonymous user: the credentials act as no "
                "one (check SERVICEFLOW_ZENDESK_EMAIL and SERVICEFLOW_ZENDESK_API_TOKEN, or the OAuth token)",
                status=200,
                method="GET",
                url="/api/v2/users/me",
            )
        return User.model_validate(user)

    async def get_user(self, user_id: int) -> User:
        """ShowUser.

        Raises:
            NotFound: no such user.
        """
        data = await self._json("GET", f"/api/v2/users/{user_id}")
        return User.model_validate(body_field(data, "user"))

    async def get_users(self, user_ids: Sequence[int]) -> list[User]:
        """ShowManyUsers, ``ids`` in chunks of 100 ("Accepts a comma-separated list of up to 100
        user ids", OAS); users Zendesk does not know are simply not in the answer."""
        found: list[User] = []
        wanted = list(dict.fromkeys(user_ids))
        for start in range(0, len(wanted), SHOW_MANY_LIMIT):
            chunk = ",".join(str(u) for u in wanted[start : start + SHOW_MANY_LIMIT])
            data = await self._json("GET", "/api/v2/users/show_many", params=[("ids", chunk)])
            found += [User.model_validate(u) for u in body_field(data, "users")]
        return found

    async def find_users_by_email(self, email: str) -> list[User]:
        """SearchUsers with ``query=email:<address>`` (the Zendesk search syntax; OAS: "It can
        specify a partial or full value of any user property, including name, email address"),
        first page only, kept to exact matches (ignoring case)."""
        data = await self._json("GET", "/api/v2/users/search", params=[("query", f"email:{email}")])
        users = [User.model_validate(u) for u in body_field(data, "users")]
        return [u for u in users if u.email and u.email.casefold() == email.casefold()]

    async def list_agents(self, *, roles: Sequence[str] = ("agent", "admin")) -> AsyncIterator[User]:
        """ListUsers filtered by ``role[]`` (admins are agents too), every page."""
        params = [("role[]", role) for role in roles]
        async for item in self._cursor("/api/v2/users", "users", params):
            yield User.model_validate(item)

    async def list_groups(self, *, exclude_deleted: bool = True) -> AsyncIterator[Group]:
        """ListGroups, every page."""
        params = [("exclude_deleted", "true")] if exclude_deleted else []
        async for item in self._cursor("/api/v2/groups", "groups", params):
            yield Group.model_validate(item)

    async def list_memberships(
        self, *, group_id: int | None = None, user_id: int | None = None
    ) -> AsyncIterator[GroupMembership]:
        """ListGroupMemberships, every page: all of them, one group's, or one agent's.

        The filtered lists are their own paths, ``/api/v2/groups/{group_id}/memberships`` and
        ``/api/v2/users/{user_id}/group_memberships`` (CONTRACTS.md §8; the OAS folds the three
        URLs into one operation and declares ``group_id``/``user_id`` as its *path* parameters),
        never query filters on ``/api/v2/group_memberships``, which takes none.
        """
        if group_id is not None and user_id is not None:
            raise ValueError("give group_id or user_id, not both (filter the other yourself)")
        if group_id is not None:
            path = f"/api/v2/groups/{group_id}/memberships"
        elif user_id is not None:
            path = f"/api/v2/users/{user_id}/group_memberships"
        else:
            path = "/api/v2/group_memberships"
        async for item in self._cursor(path, "group_memberships", []):
            yield GroupMembership.model_validate(item)

    async def list_group_memberships(self, group_id: int) -> AsyncIterator[GroupMembership]:
        """One group's memberships (``GET /api/v2/groups/{group_id}/memberships``), every page."""
        async for membership in self.list_memberships(group_id=group_id):
            yield membership
