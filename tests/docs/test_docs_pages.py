"""The docs pages say what the code does: every duration in docs/concepts.md parses as it says
(and the ones it calls wrong are refused), several matching policies add their targets up as it
says, and every relative link of every page points at a file and heading that exist."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput
from serviceflow.engine.rules import Rules
from serviceflow.model import Actor, ActorRole, Agent, EventKind, Requester, Roster, Ticket, TicketEvent
from serviceflow.policy import load_policy_set
from serviceflow.policy.durations import Clock, DurationSyntaxError, parse_duration

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
CONCEPTS = (DOCS / "concepts.md").read_text()


def duration_table() -> list[tuple[list[str], str]]:
    """The rows of the concepts page's duration table: the literals written, and the meaning."""
    section = CONCEPTS.split("## Durations", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            written, meaning = line.strip("|").split("|", 1)
            rows.append((re.findall(r"`([^`]+)`", written), meaning))
    return rows


def test_the_table_lists_the_business_forms_and_30_business_minutes() -> None:
    literals = [literal for written, _ in duration_table() for literal in written]
    assert {"30 business minutes", "8 business hours", "5 business days", "1w", "1h30m"} <= set(literals)


@pytest.mark.parametrize(("written", "meaning"), duration_table())
def test_every_literal_in_the_table_parses_with_the_clock_it_claims(written: list[str], meaning: str) -> None:
    for literal in written:
        if not literal[0].isdigit():
            continue  # CEL, checked by `policy validate` against a sample ticket
        span = parse_duration(literal)
        if "business" in literal and "day" in literal:
            assert span.clock is Clock.BUSINESS_DAYS
        elif "business" in literal:
            assert span.clock is Clock.BUSINESS_HOURS
        else:
            assert span.clock is Clock.ELAPSED, literal
    assert meaning.strip()


@pytest.mark.parametrize("literal", ["0h", "2.5 business days", "1h30m business hours", "4 hourz"])
def test_the_literals_the_page_calls_wrong_are_refused(literal: str) -> None:
    assert f"`{literal}`" in CONCEPTS
    with pytest.raises(DurationSyntaxError):
        parse_duration(literal)


def test_same_kind_targets_of_two_matching_policies_add_up() -> None:
    """The shipped set: an urgent ticket gets the standard policy's first response and the urgent
    policy's, each a deadline of its own (docs/concepts.md says so; change both together)."""
    rules = Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    ticket = Ticket(
        id="1", vendor="demo", account="demo", subject="Site down", priority="urgent", channel="email",
        requester=Requester(id="c1"), created_at=monday, updated_at=monday,
    )  # fmt: skip
    created = TicketEvent(
        id="created-1",
        kind=EventKind.CREATED,
        time=monday,
        actor=Actor(role=ActorRole.CUSTOMER),
        ticket=ticket,
    )
    roster = Roster(agents=(Agent(id="cat", groups=("frontline", "triage"), lead="lee"), Agent(id="lee")))
    outcome = decide(None, EventInput(event=created), monday, rules, Context(roster=roster))
    first_responses = sorted(
        f"{t.policy}/{t.name}" for t in outcome.state.targets if "first-response" in t.name
    )
    assert first_responses == ["standard/first-response", "urgent/urgent-first-response"]


PAGES = sorted([REPO / "README.md", *DOCS.glob("*.md"), *REPO.glob("plugins/*/README.md")])


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
    hyphens (outside fenced code)."""
    found, fenced = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_relative_links_point_at_files_and_headings_that_exist(page: Path) -> None:
    """The README was split into pages: every relative link of every page, and every #anchor
    into a Markdown page, must still land."""
    text = page.read_text()
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
        if target.startswith(("http:", "https:", "mailto:")):
            continue
        linked = (page.parent / target).resolve() if target else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name} links to {target}#{anchor}: no such heading"
