"""The worker's roster from the helpdesk, with what only people know laid over it from YAML."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from serviceflow.durable.roster_source import RosterSource, RosterUnavailable, load_helpdesk_roster
from serviceflow.errors import ServiceflowError
from serviceflow.model import Agent, Group, Roster
from serviceflow.plugins import get_plugin_manager, hookimpl

HELPDESK = Roster(
    agents=(
        Agent(id="101", name="Ann", email="ann@shop.example", groups=("9",)),
        Agent(id="102", name="Lee", email="lee@shop.example", groups=("8",)),
    ),
    groups=(Group(id="9", name="Frontline"), Group(id="8", name="Leads")),
)
OVERLAY = """\
agents:
  - {id: ann@shop.example, lead: lee@shop.example, skills: [de], out_of_office: true}
  - {id: max, email: max@shop.example}
groups:
  - {id: Frontline, name: Frontline, lead: lee@shop.example}
  - {id: on-call, name: on-call, lead: max}
"""


class Helpdesk:
    """An adapter for the vendor ``acme-desk`` whose roster a test controls."""

    vendor = "acme-desk"

    def __init__(self) -> None:
        self.roster = HELPDESK
        self.down = False
        self.reads = 0

    @hookimpl
    def serviceflow_register_adapters(self, register):  # type: ignore[no-untyped-def]
        register(self)

    async def load_roster(self, account: str) -> Roster:
        assert account == "acme"
        self.reads += 1
        if self.down:
            raise ServiceflowError("503 from the helpdesk")
        return self.roster


@pytest.fixture
def helpdesk():  # type: ignore[no-untyped-def]
    fake = Helpdesk()
    get_plugin_manager().register(fake, name="roster-helpdesk")
    yield fake
    get_plugin_manager().unregister(name="roster-helpdesk")


def test_the_overlay_adds_leads_skills_and_absence_by_email() -> None:
    roster = HELPDESK.overlaid(Roster.model_validate(yaml.safe_load(OVERLAY)))
    ann = roster.agent("101")
    assert ann is not None and ann.lead == "102" and ann.skills == ("de",) and ann.out_of_office
    assert roster.group("9") is not None and roster.group("9").lead == "102"  # type: ignore[union-attr]
    assert roster.agent("max") is not None  # a lead who is no agent in the helpdesk
    assert roster.group("on-call") is not None and len(roster.agents) == 3


async def test_the_helpdesk_roster_is_read_and_a_failed_refresh_keeps_the_last(
    helpdesk: Helpdesk, tmp_path: Path
) -> None:
    (tmp_path / "roster.yaml").write_text(OVERLAY)
    source = RosterSource(tmp_path / "roster.yaml", "acme-desk:acme", refresh_seconds=0.01)
    first = await source.refresh()
    assert first.agent("101").lead == "102"  # type: ignore[union-attr]
    helpdesk.down = True
    assert await source.refresh() == first
    helpdesk.down = False
    helpdesk.roster = HELPDESK.model_copy(update={"agents": HELPDESK.agents[:1]})
    seen: list[Roster] = []
    stop = asyncio.Event()

    def use(roster: Roster) -> None:
        seen.append(roster)
        stop.set()

    await asyncio.wait_for(source.keep_fresh(use, stop), 10)
    assert seen and seen[-1].agent("102") is None and seen[-1].agent("101") is not None


async def test_a_source_no_plugin_serves_says_so(helpdesk: Helpdesk) -> None:
    with pytest.raises(RosterUnavailable, match="no installed plugin loads a roster for vendor 'nobody'"):
        await load_helpdesk_roster("nobody:acme")
    with pytest.raises(RosterUnavailable, match="is not 'vendor:account'"):
        await load_helpdesk_roster("acme")
