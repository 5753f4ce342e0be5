"""One policy set, two helpdesks: the default policies and their scenarios run unchanged for
tickets from either vendor; the same story driven through each plugin and its fake gets the same
decisions.

The story: a customer opens a ticket by email, priority high; writes again; an agent replies;
the ticket is set pending, then solved; two days later the timers have nothing left to do. Each
step is done in the fake helpdesk as a person would do it; the fake sends its webhooks (Zendesk:
signed event envelopes; Freshdesk: the README's automation rules); they are verified and parsed
through serviceflow's plugin manager; the events go through the pure engine with the shipped
policies and a roster read through each plugin's ``load_roster``; every action is carried out
through the plugin's ``apply_action`` on its fake at once, as the durable shell does, so the
webhooks those changes cause are part of the story too. Both vendors must give the same
decisions: action types, policies, rules, keys, owners, statuses, and every target's due times,
with vendor ids replaced by names. Times are fixed (a stepping clock shared by both fakes).

The echo is on, as in production: every write serviceflow makes through a fake's API comes back
as the webhooks that vendor sends for it (Zendesk's event subscriptions, Freshdesk's rules, which
fire on updates by anyone), and each adapter recognises them as serviceflow's own by the
integration's identity (``whoami``): they change no decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freshdesk_testing import SteppingClock, WebhookReceiver
from serviceflow_freshdesk.actions import marker
from serviceflow_freshdesk.adapter import aclose_clients as close_freshdesk
from serviceflow_freshdesk.fake import FakeFreshdesk
from serviceflow_freshdesk.webhooks import DEFAULT_CHANGE_FIELD
from serviceflow_zendesk.adapter import aclose_clients as close_zendesk
from serviceflow_zendesk.fake import FakeZendesk

from serviceflow.adapters import Identity, WebhookRequest, adapter_for
from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EventInput, WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import Action, ActorRole, CaseState, Roster, TicketEvent
from serviceflow.policy import load_policy_set

REPO = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam, the office calendar
ZENDESK_SECRET = "zd-cross-vendor-secret"
FRESHDESK_SECRET = "fd-cross-vendor-secret"
STEPS = ("created", "customer wrote again", "agent replied", "set pending", "set solved", "two days later")


@pytest.fixture(scope="module")
def rules() -> Rules:
    """The shipped default policy set, compiled once."""
    return Rules(load_policy_set([REPO / "policies", REPO / "workflows"]))


@dataclass
class Run:
    """One vendor's story: what the engine decided at each step, with vendor ids normalised."""

    vendor: str
    account: str
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
        one change (Zendesk one per changed field, Freshdesk the first change only), so
        positions would not line up, but the event an action answers does."""
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

    def __init__(self, run: Run, receiver: WebhookReceiver, rules: Rules, wait_idle: Any) -> None:
        self.run = run
        self.receiver = receiver
        self.rules = rules
        self.wait_idle = wait_idle
        self.seen = 0

    def _new_events(self) -> list[TicketEvent]:
        self.wait_idle()
        accepted = self.receiver.accepted()
        fresh, self.seen = accepted[self.seen :], len(accepted)
        events: list[TicketEvent] = []
        adapter = adapter_for(self.run.vendor)
        assert self.run.identity is not None
        for delivery in fresh:
            request = WebhookRequest("POST", delivery.headers, delivery.body)
            events.extend(
                adapter.parse_webhook(request, account=self.run.account, identity=self.run.identity)
            )
        return events

    async def step(self, label: str) -> None:
        """Feed every event the last change caused, carry out the decided actions, and repeat
        for the webhooks those actions cause (bounded)."""
        run, issued = self.run, []
        for _ in range(5):
            events = self._new_events()
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
def receivers() -> Iterator[dict[str, WebhookReceiver]]:
    made = {vendor: WebhookReceiver(vendor) for vendor in ("zendesk", "freshdesk")}
    for receiver in made.values():
        receiver.server.start()
    yield made
    for receiver in made.values():
        receiver.server.stop()


@pytest.fixture
def zendesk(clock: SteppingClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    with FakeZendesk(clock=clock) as fake:
        monkeypatch.delenv("SERVICEFLOW_ZENDESK_SUBDOMAIN", raising=False)
        monkeypatch.delenv("SERVICEFLOW_ZENDESK_OAUTH_TOKEN", raising=False)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_EMAIL", fake.email)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_API_TOKEN", fake.api_token)
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_WEBHOOK_SECRET", ZENDESK_SECRET)
        # The fake's clock stands in 2026-03; signatures are checked against the real now.
        monkeypatch.setenv("SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS", str(10 * 365 * 86400))
        yield fake


@pytest.fixture
def freshdesk(clock: SteppingClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk(clock=clock, webhook_retry_delays=(0.0, 0.0, 0.0)) as fake:
        for name in ("DOMAIN", "CUSTOM_STATUSES", "ON_HOLD_STATUS", "WEBHOOK_HEADER"):
            monkeypatch.delenv(f"SERVICEFLOW_FRESHDESK_{name}", raising=False)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_BASE_URL", fake.base_url)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_API_KEY", fake.api_key)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_WEBHOOK_SECRET", FRESHDESK_SECRET)
        monkeypatch.setenv("SERVICEFLOW_FRESHDESK_CHANGE_FIELD", DEFAULT_CHANGE_FIELD)
        yield fake


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


class ZendeskDesk:
    """The story's moves, done in the fake Zendesk as people would."""

    vendor = "zendesk"

    def __init__(self, fake: FakeZendesk, receiver: WebhookReceiver) -> None:
        self.fake = fake
        frontline, triage = fake.add_group("frontline"), fake.add_group("triage")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[frontline["id"]])
        fake.add_agent("Bea Agent", email="bea@shop.example", groups=[frontline["id"], triage["id"]])
        fake.add_webhook(receiver.url, kind="event", secret=ZENDESK_SECRET)

    def wait_idle(self) -> None:
        self.fake.webhooks.wait_idle(timeout=10)

    def customer(self, name: str, email: str) -> int:
        return int(self.fake.add_user(name, email=email)["id"])

    def open_ticket(self, customer: int, subject: str, body: str) -> int:
        ticket, _audit, _change = self.fake.state.create_ticket(
            {"subject": subject, "comment": {"body": body}, "requester_id": customer, "priority": "high"},
            actor_id=customer,
            system_fields={"via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}}},
        )
        return int(ticket["id"])

    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None:
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=customer)

    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None:
        self.fake.update_ticket(ticket_id, {"comment": {"body": body, "public": True}}, actor_id=agent)

    def set_status(self, ticket_id: int, agent: int, status: str) -> None:
        self.fake.update_ticket(ticket_id, {"status": status}, actor_id=agent)

    def assignee(self, ticket_id: int) -> str | None:
        value = self.fake.ticket(ticket_id)["assignee_id"]
        return None if value is None else str(value)

    def texts(self, ticket_id: int) -> list[str]:
        return [c["body"] for c in self.fake.comments(ticket_id)]


class FreshdeskDesk:
    """The same moves in the fake Freshdesk."""

    vendor = "freshdesk"
    _STATUS = {"pending": 3, "solved": 4}

    def __init__(self, fake: FakeFreshdesk, receiver: WebhookReceiver) -> None:
        self.fake = fake
        frontline, triage = fake.add_group("frontline"), fake.add_group("triage")
        fake.add_agent("Ada Agent", email="ada@shop.example", groups=[frontline["id"]])
        fake.add_agent("Bea Agent", email="bea@shop.example", groups=[frontline["id"], triage["id"]])
        fake.add_serviceflow_rules(receiver.url, secret=FRESHDESK_SECRET)

    def wait_idle(self) -> None:
        self.fake.wait_idle(timeout=10)

    def customer(self, name: str, email: str) -> int:
        return int(self.fake.add_contact(name, email=email)["id"])

    def open_ticket(self, customer: int, subject: str, body: str) -> int:
        ticket = self.fake.add_ticket(
            subject, description=f"<div>{body}</div>", requester_id=customer, priority=3, notify=True
        )
        return int(ticket["id"])

    def customer_writes(self, ticket_id: int, customer: int, body: str) -> None:
        self.fake.customer_reply(ticket_id, body)

    def agent_replies(self, ticket_id: int, agent: int, body: str) -> None:
        self.fake.agent_reply(ticket_id, body, actor_id=agent)

    def set_status(self, ticket_id: int, agent: int, status: str) -> None:
        self.fake.update_ticket(ticket_id, {"status": self._STATUS[status]}, actor_id=agent)

    def assignee(self, ticket_id: int) -> str | None:
        value = self.fake.ticket(ticket_id)["responder_id"]
        return None if value is None else str(value)

    def texts(self, ticket_id: int) -> list[str]:
        return [c["body_text"] for c in self.fake.conversations(ticket_id)]


Desk = ZendeskDesk | FreshdeskDesk


async def the_story(
    desk: Desk, receiver: WebhookReceiver, rules: Rules, clock: SteppingClock
) -> tuple[Run, Story]:
    """Opened by email at high priority, the customer writes again, an agent replies, pending,
    solved, and two days pass."""
    casey = desk.customer("Casey Customer", "casey@example.com")
    run = Run(desk.vendor, "127.0.0.1")
    run.names[str(casey)] = "casey@example.com"
    await roster_of(run)
    story = Story(run, receiver, rules, desk.wait_idle)
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
    return run, story


async def solved_unanswered(desk: Desk, receiver: WebhookReceiver, rules: Rules, clock: SteppingClock) -> Run:
    """A ticket solved without any human reply: the policies reopen it and leave a note."""
    dana = desk.customer("Dana Customer", "dana@example.com")
    run = Run(desk.vendor, "127.0.0.1")
    run.names[str(dana)] = "dana@example.com"
    await roster_of(run)
    story = Story(run, receiver, rules, desk.wait_idle)
    ticket = desk.open_ticket(dana, "Where is my parcel?", "It has been a week.")
    await story.step("created")
    clock.advance(timedelta(minutes=20))
    bea = run.roster.agent("bea@shop.example")
    assert bea is not None
    desk.set_status(ticket, int(bea.id), "solved")
    await story.step("solved without a reply")
    return run


WRITES = ("add_internal_note", "add_public_reply", "notify")


def own_echoes(run: Run) -> set[str]:
    """The kinds of serviceflow's own writes that came back as webhooks, recognised as its own;
    nothing the integration did was taken for a person's."""
    assert run.identity is not None
    for event in run.events:
        if event.actor.id == run.identity.id or event.actor.name == run.identity.name:
            assert event.actor.role is ActorRole.SERVICEFLOW, (run.vendor, event.kind, event.actor)
    return {e.kind.value for e in run.events if e.actor.role is ActorRole.SERVICEFLOW}


def comparable(run: Run) -> list[dict[str, Any]]:
    """The steps as compared. Freshdesk has no "new" status: a new Freshdesk ticket is "open",
    so "new" counts as "open" here (no shipped policy tells them apart)."""
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


async def test_one_policy_set_two_helpdesks_same_decisions(
    rules: Rules,
    clock: SteppingClock,
    zendesk: FakeZendesk,
    freshdesk: FakeFreshdesk,
    receivers: dict[str, WebhookReceiver],
) -> None:
    desks: list[Desk] = [
        ZendeskDesk(zendesk, receivers["zendesk"]),
        FreshdeskDesk(freshdesk, receivers["freshdesk"]),
    ]
    runs: list[Run] = []
    try:
        for desk in desks:
            clock.now = START
            run, _story = await the_story(desk, receivers[desk.vendor], rules, clock)
            runs.append(run)
        zd, fd = runs
        assert [s["step"] for s in zd.steps] == list(STEPS)
        assert {a["type"] for s in zd.steps for a in s["actions"]} >= {"assign_owner"}
        assert any(t[3] == "met" for t in zd.steps[2]["targets"])  # the reply met first response
        for zd_step, fd_step in zip(comparable(zd), comparable(fd), strict=True):
            assert zd_step == fd_step, f"the vendors disagree at {zd_step['step']!r}"
        # The owner serviceflow picked is the assignee in both helpdesks.
        owner = zd.steps[-1]["owner"]
        assert owner == "ada@shop.example"
        for desk, run in zip(desks, runs, strict=True):
            assert run.names[desk.assignee(int(run.ticket_id)) or ""] == owner
            await check_written_once(desk, run)
        for receiver in receivers.values():
            assert receiver.received and all(r.accepted for r in receiver.received)
        for run in runs:  # the echo is on: serviceflow's assignment came back, as its own
            assert "assigned" in own_echoes(run), run.vendor
    finally:
        await close_zendesk()
        await close_freshdesk()


async def test_unanswered_solve_is_reopened_with_one_note_in_both(
    rules: Rules,
    clock: SteppingClock,
    zendesk: FakeZendesk,
    freshdesk: FakeFreshdesk,
    receivers: dict[str, WebhookReceiver],
) -> None:
    desks: list[Desk] = [
        ZendeskDesk(zendesk, receivers["zendesk"]),
        FreshdeskDesk(freshdesk, receivers["freshdesk"]),
    ]
    runs: list[Run] = []
    try:
        for desk in desks:
            clock.now = START
            runs.append(await solved_unanswered(desk, receivers[desk.vendor], rules, clock))
        zd, fd = runs
        reopened = zd.steps[1]["actions"]
        assert {(a["type"], a["rule"]) for a in reopened} >= {
            ("set_status", "acknowledge"),
            ("add_internal_note", "acknowledge"),
        }
        assert comparable(zd) == comparable(fd)
        for desk, run in zip(desks, runs, strict=True):
            assert await check_written_once(desk, run) >= 1
        assert zendesk.ticket(int(zd.ticket_id))["status"] == "open"
        assert freshdesk.ticket(int(fd.ticket_id))["status"] == 2
        for run in runs:  # the reopening and its note came back, as serviceflow's own
            assert {"status_changed", "internal_note"} <= own_echoes(run), (run.vendor, own_echoes(run))
    finally:
        await close_zendesk()
        await close_freshdesk()


def test_vendor_ids_never_leak_into_the_comparison() -> None:
    """The normalisation the comparison relies on: ids become names, the case key a constant."""
    run = Run("freshdesk", "acme", ticket_id="7", names={"80002": "ada@shop.example"})
    assert run.name("80002") == "ada@shop.example"
    assert run.name("freshdesk:acme:7/assign/1@x") == "CASE/assign/1@x"
