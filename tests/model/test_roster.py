"""The roster's lookups: by id or email (agents), id or name (groups), the first in roster order;
answered from an index of the roster last asked, never from another roster's."""

from __future__ import annotations

from serviceflow.model import Agent, Roster
from serviceflow.model.roster import Group


def test_the_first_agent_in_roster_order_answers_an_id_or_email() -> None:
    roster = Roster(
        agents=(
            Agent(id="ann", email="desk@example.com", groups=("billing",)),
            Agent(id="desk@example.com", groups=("frontline",)),  # an id that is another's email
            Agent(id="bob", email="bob@example.com", groups=("frontline", "billing")),
        ),
        groups=(Group(id="g1", name="billing"), Group(id="billing", name="other")),
    )
    assert roster.agent("desk@example.com") is roster.agents[0]
    assert roster.agent("bob@example.com") is roster.agents[2]
    assert roster.agent("nobody") is None and roster.agent(None) is None
    assert roster.group("billing") is roster.groups[0]  # g1's name comes before the id "billing"
    assert roster.group("other") is roster.groups[1]
    assert [a.id for a in roster.members("billing")] == ["ann", "bob"]
    assert [a.id for a in roster.members("g1")] == ["ann", "bob"]
    found = roster.members("frontline")
    found.clear()  # the caller's own list
    assert [a.id for a in roster.members("frontline")] == ["desk@example.com", "bob"]


def test_another_roster_is_never_answered_from_the_last_ones_index() -> None:
    first = Roster(agents=(Agent(id="ann", groups=("billing",)),))
    second = Roster(agents=(Agent(id="ann", email="a@example.com", groups=("frontline",)),))
    for _ in range(2):
        assert first.agent("a@example.com") is None
        assert second.agent("a@example.com") is second.agents[0]
        assert [a.id for a in first.members("frontline")] == []
        assert [a.id for a in second.members("frontline")] == ["ann"]
