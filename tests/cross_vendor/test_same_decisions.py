"""One policy set, three helpdesks: the same story and the shipped policies give the same
decisions on Zendesk, Freshdesk and Help Scout.

The story: a customer opens a ticket by email, priority high; writes again; an agent replies;
the ticket is set pending, then solved; two days later the timers have nothing left to do. Each
step is done in the vendor's fake as a person would do it; the fake sends its webhooks (Zendesk:
signed event envelopes; Freshdesk: the README's automation rules; Help Scout: signed webhooks of
the bare conversation, whose threads the adapter reads); they are verified and parsed through
serviceflow's plugin manager (``serviceflow.adapters.parse_events``, as the receiver does); the
events go through the pure engine with the shipped policies and a roster read through each
plugin's ``load_roster``; every action is carried out through the plugin's ``apply_action`` on
its fake at once, as the durable shell does, so the webhooks those changes cause are part of the
story too. Every vendor must give the same decisions: action types, policies, rules, keys,
owners, statuses, and every target's due, warn and met times, with vendor ids replaced by names.
Times are fixed (one stepping clock shared by the fakes and the webhook endpoints): every event
is dated on it, never by the wall clock.

The echo is on, as in production: every write serviceflow makes through a fake's API comes back
as the webhooks that vendor sends for it, and each adapter recognises them as serviceflow's own
by the integration's identity (``whoami``): they change no decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cross_vendor_desks import Desk, FreshdeskDesk, HelpScoutDesk, SteppingClock, ZendeskDesk
from serviceflow_freshdesk.adapter import aclose_clients as close_freshdesk
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_helpscout.adapter import aclose_clients as close_helpscout
from serviceflow_helpscout.fake import FakeHelpScout
from serviceflow_zendesk.adapter import aclose_clients as close_zendesk
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.adapters import Identity, adapter_for, parse_events
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import Action, ActorRole, CaseState, Roster, TicketEvent
from serviceflow.policy import load_policy_set
from serviceflow.testing import ContractReceiver

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam, the office calendar
STEPS = ("created", "customer wrote again", "agent replied", "set pending", "set solved", "two days later")
VENDORS = ("zendesk", "freshdesk", "helpscout")
ACCOUNT = "127.0.0.1"  # every fake's host: each plugin's account when no name is configured
WRITES = ("add_internal_note", "add_public_reply", "notify")
STORY_SPAN = timedelta(hours=4, minutes=5)  # from the ticket's opening to its solving


def marker(key: str) -> str:
    """The line every plugin ends serviceflow's notes and replies with."""
    return f"[sf:{key}]"


@pytest.fixture(scope="module")
def rules() -> Rules:
    """The shipped default policy set, compiled once."""
    return Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))


@dataclass
class Run:
    """One vendor's story: what the engine decided at each step, with vendor ids normalised."""

    vendor: str
    account: str = ACCOUNT
    identity: Identity | None = None
    ticket_id: str = ""
    roster: Roster = field(default_factory=Roster)
    names: dict[str, str] = field(default_factory=dict)
    events: list[TicketEvent] = field(default_factory=list)
    state: CaseState | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def name(self, value: str | None) -> str | None:
        """A vendor id as a name: agents by email, groups by name, event ids by kind and time."""
        if value is None:
            return None
        text = self.names.get(value, value)
        for event_id, label in self.event_labels().items():
            text = text.replace(event_id, label)
        return text.replace(f"{self.vendor}:{self.account}:{self.ticket_id}", "CASE")

    def event_labels(self) -> dict[str, str]:
        """Events by what they were and when: the vendors send different numbers of events for
        one change (Zendesk one per changed field, Freshdesk the first change only, Help Scout
        one per event it documents), so positions would not line up, but the event an action
        answers does."""
        return {e.id: f"{e.kind.value}@{e.time:%Y-%m-%dT%H:%M}" for e in self.events}

    def normalised(self, action: Action) -> dict[str, Any]:
        data = action.model_dump(exclude={"reason", "body"})
        data["key"] = self.name(action.key)
        for name in ("agent", "group"):
            if name in data:
                data[name] = self.name(data[name])
        if "recipients" in data:
            data["recipients"] = [self.name(r) for r in data["recipients"]]
        return data

    def snapshot(self, label: str, actions: list[Action]) -> None:
        assert self.state is not None
        self.steps.append(
            {
                "step": label,
                "owner": self.name(self.state.owner),
                "actions": [self.normalised(a) for a in actions],
                "targets": sorted(
                    (t.policy, t.name, t.kind.value, t.status.value, t.due_at, t.warn_at, t.met_at)
                    for t in self.state.targets
                ),
                "ticket": (
                    self.state.ticket.status.value,
                    self.state.ticket.priority.value,
                    self.state.ticket.channel.value,
                ),
            }
        )


class Story:
    """Drives one fake through the story and the engine through its webhooks."""

    def __init__(self, run: Run, desk: Desk, receiver: ContractReceiver, rules: Rules) -> None:
        self.run, self.desk, self.receiver, self.rules = run, desk, receiver, rules

    async def _new_events(self) -> list[TicketEvent]:
        self.desk.wait_idle()
        adapter = adapter_for(self.run.vendor)
        assert self.run.identity is not None
        events: list[TicketEvent] = []
        for delivery in self.receiver.take():
            verdict = adapter.verify_webhook(delivery)
            assert verdict.accepted, (self.run.vendor, verdict.reason)
            events += await parse_events(
                adapter, delivery, account=self.run.account, identity=self.run.identity
            )
        return events

    async def step(self, label: str) -> None:
        """Feed every event the last change caused, carry out the decided actions, and repeat
        for the webhooks those actions cause (bounded)."""
        run, issued = self.run, []
        for _ in range(5):
            events = await self._new_events()
            if not events:
                break
            for event in events:
                run.events.append(event)
                run.ticket_id = run.ticket_id or event.ticket.id
                outcome = decide(
                    run.state, EventInput(event=event), event.time, self.rules, Context(roster=run.roster)
                )
                run.state = outcome.state
                for action in outcome.actions:
                    issued.append(action)
                    await adapter_for(run.vendor).apply_action(run.account, run.ticket_id, action)
        else:
            raise AssertionError(f"{run.vendor}: webhooks kept coming after {label}")
        run.actions.extend(issued)
        run.snapshot(label, issued)

    async def wake(self, label: str, now: datetime) -> None:
        outcome = decide(self.run.state, WakeUp(), now, self.rules, Context(roster=self.run.roster))
        self.run.state = outcome.state
        for action in outcome.actions:
            await adapter_for(self.run.vendor).apply_action(self.run.account, self.run.ticket_id, action)
        self.run.actions.extend(outcome.actions)
        self.run.snapshot(label, list(outcome.actions))


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(START)


@pytest.fixture
def receivers(clock: SteppingClock) -> Iterator[dict[str, ContractReceiver]]:
    """One webhook endpoint per vendor, on the fakes' clock: each delivery's ``received_at`` is
    the simulated time, as the receiver's own clock would give it, so an adapter that checks an
    unsigned time against its receipt (Freshdesk's ``Date``) sees the fake's times as fresh."""
    made = {vendor: ContractReceiver(clock=clock) for vendor in VENDORS}
    for receiver in made.values():
        receiver.server.start()
    yield made
    for receiver in made.values():
        receiver.server.stop()


@pytest.fixture
async def desks(
    clock: SteppingClock, receivers: dict[str, ContractReceiver], monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The three fakes on the shared clock, each plugin's settings pointing at its own."""
    zendesk = FakeZendesk(clock=clock)
    freshdesk = FakeFreshdesk(clock=clock, webhook_retry_delays=(0.0, 0.0, 0.0))
    helpscout = FakeHelpScout(clock=clock, webhook_retry_delays=(0.0, 0.0, 0.0))
    with zendesk, freshdesk, helpscout:
        ZendeskDesk.configure(zendesk, monkeypatch)
        FreshdeskDesk.configure(freshdesk, monkeypatch)
        HelpScoutDesk.configure(helpscout, monkeypatch)

        def make() -> list[Desk]:
            url = {v: receivers[v].url(v) for v in VENDORS}
            return [
                ZendeskDesk(zendesk, url["zendesk"]),
                FreshdeskDesk(freshdesk, url["freshdesk"]),
                HelpScoutDesk(helpscout, url["helpscout"]),
            ]

        try:
            yield make
        finally:
            await close_zendesk()
            await close_freshdesk()
            await close_helpscout()


async def roster_of(run: Run) -> Roster:
    adapter = adapter_for(run.vendor)
    run.identity = await adapter.whoami(run.account)
    roster = await adapter.load_roster(run.account)
    run.roster = roster
    run.names.update({a.id: a.email or a.id for a in roster.agents})
    run.names.update({g.id: g.name for g in roster.groups})
    return roster


SUBJECT = "Order 1042 arrived broken"
FIRST = "The vase in order 1042 arrived in pieces."
AGAIN = "Photos attached. Can you send a new one?"
REPLY = "So sorry! A new vase is on its way."


async def the_story(desk: Desk, receiver: ContractReceiver, rules: Rules, clock: SteppingClock) -> Run:
    """Opened by email at high priority, the customer writes again, an agent replies, pending,
    solved, and two days pass."""
    casey = desk.customer("Casey Customer", "casey@example.com")
    run = Run(desk.vendor)
    run.names[str(casey)] = "casey@example.com"
    await roster_of(run)
    story = Story(run, desk, receiver, rules)
    ticket = desk.open_ticket(casey, SUBJECT, FIRST)
    await story.step(STEPS[0])
    owner = run.roster.agent(run.state.owner if run.state else None)
    assert owner is not None
    agent = int(owner.id)
    clock.advance(timedelta(minutes=30))
    desk.customer_writes(ticket, casey, AGAIN)
    await story.step(STEPS[1])
    clock.advance(timedelta(minutes=30))
    desk.agent_replies(ticket, agent, REPLY)
    await story.step(STEPS[2])
    clock.advance(timedelta(minutes=5))
    desk.set_status(ticket, agent, "pending")
    await story.step(STEPS[3])
    clock.advance(timedelta(hours=3))
    desk.set_status(ticket, agent, "solved")
    await story.step(STEPS[4])
    await story.wake(STEPS[5], clock.advance(timedelta(days=2)))
    return run


async def solved_unanswered(
    desk: Desk, receiver: ContractReceiver, rules: Rules, clock: SteppingClock
) -> Run:
    """A ticket solved without any human reply: the policies reopen it and leave a note."""
    dana = desk.customer("Dana Customer", "dana@example.com")
    run = Run(desk.vendor)
    run.names[str(dana)] = "dana@example.com"
    await roster_of(run)
    story = Story(run, desk, receiver, rules)
    ticket = desk.open_ticket(dana, "Where is my parcel?", "It has been a week.")
    await story.step("created")
    clock.advance(timedelta(minutes=20))
    bea = run.roster.agent("bea@shop.example")
    assert bea is not None
    desk.set_status(ticket, int(bea.id), "solved")
    await story.step("solved without a reply")
    return run


def own_echoes(run: Run) -> set[str]:
    """The kinds of serviceflow's own writes that came back as webhooks, recognised as its own;
    nothing the integration did was taken for a person's."""
    assert run.identity is not None
    for event in run.events:
        if event.actor.id == run.identity.id or event.actor.name == run.identity.name:
            assert event.actor.role is ActorRole.SERVICEFLOW, (run.vendor, event.kind, event.actor)
    return {e.kind.value for e in run.events if e.actor.role is ActorRole.SERVICEFLOW}


def comparable(run: Run) -> list[dict[str, Any]]:
    """The steps as compared. Freshdesk and Help Scout have no "new" status: a new ticket is
    "open" there, so "new" counts as "open" here (no shipped policy tells them apart)."""
    out = []
    for step in run.steps:
        status, priority, channel = step["ticket"]
        out.append({**step, "ticket": ("open" if status == "new" else status, priority, channel)})
    return out


async def check_written_once(desk: Desk, run: Run) -> int:
    """Every note or reply serviceflow wrote is in the helpdesk exactly once, and stays so when
    every action is carried out again (an activity retry). Returns how many were checked."""
    texts = desk.texts(int(run.ticket_id))
    written = [a for a in run.actions if a.type in WRITES]
    for action in written:
        assert sum(marker(action.key) in t for t in texts) == 1, (run.vendor, action.key)
    for action in run.actions:
        outcome = await adapter_for(run.vendor).apply_action(run.account, run.ticket_id, action)
        assert outcome.startswith("skipped"), (run.vendor, action.type, outcome)
    desk.wait_idle()
    assert desk.texts(int(run.ticket_id)) == texts
    return len(written)


async def each_vendor(
    make: Callable[[], list[Desk]],
    receivers: dict[str, ContractReceiver],
    clock: SteppingClock,
    story: Callable[[Desk, ContractReceiver, SteppingClock], Awaitable[Run]],
) -> tuple[list[Desk], list[Run]]:
    desks = make()
    runs = []
    for desk in desks:
        clock.now = START
        runs.append(await story(desk, receivers[desk.vendor], clock))
    return desks, runs


async def test_one_policy_set_three_helpdesks_same_decisions(
    rules: Rules,
    clock: SteppingClock,
    desks: Callable[[], list[Desk]],
    receivers: dict[str, ContractReceiver],
) -> None:
    made, runs = await each_vendor(desks, receivers, clock, lambda d, r, c: the_story(d, r, rules, c))
    zd = runs[0]
    assert [r.vendor for r in runs] == list(VENDORS)
    for run in runs:  # on the simulated clock: 08:00 to 12:05 on the story's Monday
        late = [(e.kind.value, e.time) for e in run.events if not START <= e.time <= START + STORY_SPAN]
        assert not late, f"{run.vendor}: events dated off the simulated clock: {late}"
    assert [s["step"] for s in zd.steps] == list(STEPS)
    assert {a["type"] for s in zd.steps for a in s["actions"]} >= {"assign_owner"}
    assert any(t[3] == "met" for t in zd.steps[2]["targets"])  # the reply met first response
    for other in runs[1:]:
        for zd_step, other_step in zip(comparable(zd), comparable(other), strict=True):
            assert zd_step == other_step, f"zendesk and {other.vendor} disagree at {zd_step['step']!r}"
    owner = zd.steps[-1]["owner"]
    assert owner == "ada@shop.example"
    for desk, run in zip(made, runs, strict=True):  # the owner serviceflow picked is the assignee
        assert run.names[desk.assignee(int(run.ticket_id)) or ""] == owner
        await check_written_once(desk, run)
        assert "assigned" in own_echoes(run), (
            run.vendor
        )  # the echo is on: its assignment came back, as its own
    for receiver in receivers.values():
        assert receiver.received == []  # every delivery was taken by the story


async def test_an_unanswered_solve_is_reopened_with_one_note_in_all_three(
    rules: Rules,
    clock: SteppingClock,
    desks: Callable[[], list[Desk]],
    receivers: dict[str, ContractReceiver],
) -> None:
    made, runs = await each_vendor(desks, receivers, clock, lambda d, r, c: solved_unanswered(d, r, rules, c))
    reopened = runs[0].steps[1]["actions"]
    assert {(a["type"], a["rule"]) for a in reopened} >= {
        ("set_status", "acknowledge"),
        ("add_internal_note", "acknowledge"),
    }
    for other in runs[1:]:
        assert comparable(runs[0]) == comparable(other), other.vendor
    for desk, run in zip(made, runs, strict=True):
        assert await check_written_once(desk, run) >= 1
        assert desk.status(int(run.ticket_id)) == "open", run.vendor
        # the reopening and its note came back, as serviceflow's own
        assert {"status_changed", "internal_note"} <= own_echoes(run), (run.vendor, own_echoes(run))


def test_vendor_ids_never_leak_into_the_comparison() -> None:
    """The normalisation the comparison relies on: ids become names, the case key a constant."""
    run = Run("freshdesk", "acme", ticket_id="7", names={"80002": "ada@shop.example"})
    assert run.name("80002") == "ada@shop.example"
    assert run.name("freshdesk:acme:7/assign/1@x") == "CASE/assign/1@x"
