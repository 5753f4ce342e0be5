"""The worker names teams and agents in the rows as its roster names them."""

from __future__ import annotations

from test_tally import ROWS

from serviceflow.model import Agent, Group, Roster
from serviceflow.outcomes.activity import named

ROSTER = Roster(
    agents=(Agent(id="cat", name="Cat Stevens"), Agent(id="dan", email="dan@shop.example")),
    groups=(Group(id="frontline", name="Front line"),),
)


def test_rows_get_the_roster_names() -> None:
    rows = named(ROWS[:5], ROSTER)
    assert {(r.agent, r.agent_name) for r in rows} == {("cat", "Cat Stevens"), ("dan", "dan@shop.example")}
    assert {(r.team, r.team_name) for r in rows} == {("frontline", "Front line"), ("billing", None)}


def test_a_row_of_nobody_the_roster_knows_stays_as_it_is() -> None:
    stranger = ROWS[0].model_copy(update={"agent": "zed", "team": "nowhere"})
    assert named([stranger], ROSTER) == (stranger,)
