"""The backfill's replay without I/O: each event and each timer at its own time; what the case
would have done before install is withheld; ``backfill.breaches: escalate`` leaves the timers
after the last event to the live case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from reconcile_support import POLICIES

from serviceflow.durable.backfill import digest_text, digests, replay
from serviceflow.durable.backfill_run import Backfill, Progress
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.engine.inputs import Context
from serviceflow.model import (
    Actor,
    ActorRole,
    Agent,
    EventKind,
    Group,
    Requester,
    Roster,
    Ticket,
    TicketEvent,
)
from serviceflow.outcomes.store import OutcomeStore

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
ROSTER = Roster(
    agents=(Agent(id="ann", name="Ann", groups=("g1",)),), groups=(Group(id="g1", name="Frontline"),)
)


def created(hours_ago: float) -> TicketEvent:
    at = NOW - timedelta(hours=hours_ago)
    ticket = Ticket(id="9", vendor="demo", account="acme", subject="Charged twice",
                    requester=Requester(id="casey"), created_at=at, updated_at=at)  # fmt: skip
    casey = Actor(id="casey", role=ActorRole.CUSTOMER)
    return TicketEvent(id="h1", kind=EventKind.CREATED, time=at, actor=casey, ticket=ticket, reconciled=True)


def rules(tmp_path: Path, extra: str = "") -> object:
    (tmp_path / "p.yaml").write_text(POLICIES.replace("name: reconcile\n", f"name: reconcile\n{extra}", 1))
    return PolicyStore([tmp_path]).current()


def test_a_breach_before_install_is_recorded_and_its_escalation_withheld(tmp_path: Path) -> None:
    done = replay([created(10)], NOW, rules(tmp_path), Context(roster=ROSTER))  # type: ignore[arg-type]
    assert done is not None
    (reply,) = done.state.targets
    assert reply.breached_at == NOW - timedelta(hours=6)  # 4 h after creation, at its own time
    assert [b.target for b in done.breaches] == ["reply"] and done.state.owner == "ann"
    assert any(a.type == "notify" for a in done.withheld)  # the escalation it would have sent
    # The past's facts for the outcome store: the breach, keyed as the live case keys it; not
    # the warning or the escalation, which were withheld.
    assert [(r.kind.value, r.key, r.at) for r in done.outcomes] == [
        ("target_breached", f"demo:acme:9|breached|{reply.id}", NOW - timedelta(hours=6))
    ]
    ((owner, mine),) = digests(done.breaches).items()
    subject, body = digest_text(owner, mine)
    assert owner == "ann" and subject.startswith("1 target") and "Charged twice" in body


def test_escalate_leaves_the_timers_after_the_last_event_to_the_live_case(tmp_path: Path) -> None:
    chosen = rules(tmp_path, "backfill: {breaches: escalate}\n")
    assert chosen.policy_set.settings.backfill.breaches == "escalate"  # type: ignore[attr-defined]
    live = replay([created(10)], NOW, chosen, Context(roster=ROSTER), catch_up=False)  # type: ignore[arg-type]
    assert live is not None and live.breaches == []
    assert live.wake_at is not None and live.wake_at <= NOW  # wakes at once, then escalates itself


async def test_the_past_reaches_the_store_once_and_a_broken_store_stops_nothing(tmp_path: Path) -> None:
    done = replay([created(10)], NOW, rules(tmp_path), Context(roster=ROSTER))  # type: ignore[arg-type]
    assert done is not None and done.outcomes
    told: list[str] = []

    def backfill(store: OutcomeStore) -> Backfill:
        return Backfill(
            client=None, task_queue="q", adapter=SimpleNamespace(vendor="demo"), account="acme", rules=None,  # type: ignore[arg-type]
            roster=ROSTER, checkpoint_path=tmp_path / "c.json", now=NOW, outcomes=store,
            progress=Progress(waiting=told.append),
        )  # fmt: skip

    store = OutcomeStore(f"sqlite:///{tmp_path}/outcomes.sqlite3")
    assert await backfill(store)._record(done.outcomes) == ""
    assert await backfill(store)._record(done.outcomes) == ""  # again: the same keys, kept once
    (row,) = store.read()
    assert row.kind.value == "target_breached" and row.agent_name == "Ann"
    (tmp_path / "a-file").write_text("")
    broken = OutcomeStore(f"sqlite:///{tmp_path}/a-file/outcomes.sqlite3")  # its folder cannot be made
    assert (await backfill(broken)._record(done.outcomes)).startswith("; outcomes not recorded: ")
    assert told and "outcomes not recorded" in told[0]
