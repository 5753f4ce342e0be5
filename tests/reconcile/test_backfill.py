"""Backfill at install, end to end: the fake Zendesk holds open tickets from before install (new,
pending, breached, with a promise note, and a solved one), ``serviceflow reconcile
zendesk:127.0.0.1 --backfill`` runs as its own process against a real Temporal dev server and a
worker, and each ticket gets the case and the targets its history implies. The breach before
install is in one digest to its owner (a real HTTP sink), not escalated on the ticket, and in the
outcome store, where ``serviceflow report --json`` counts it; a second run resumes from the
checkpoint and does nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from reconcile_support import ACCOUNT, Desk
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.environment import fake_zendesk_in_this_process
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.fakes.server import free_port
from serviceflow.fakes.sink import JsonSink
from serviceflow.fakes.waiting import eventually
from serviceflow.model import CaseState, TargetStatus, TicketStatus
from serviceflow.receiver.server import serving_app

PROMISE = """\
promises:
  - name: refund
    recorded: event.kind == "internal_note" && event.body.startsWith("#promise refund")
    due: 120h
    kept: '"refund_paid" in ticket.tags'
    escalation: quick
"""
NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    """The fake's "now", set back while the test writes the tickets' past."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


@pytest.fixture
def past_desk() -> Iterator[tuple[Desk, Clock]]:
    clock = Clock()
    with fake_zendesk_in_this_process(FakeZendesk(clock=clock)) as fake:
        fake.incremental_lag = 0
        frontline = fake.add_group("Frontline")
        ann = fake.add_agent("Ann", email="ann@shop.example", groups=[frontline["id"]])
        casey = fake.add_user("Casey", email="casey@example.com")
        yield Desk(fake, frontline, ann, casey), clock


@pytest_asyncio.fixture
async def sink() -> Any:
    received = JsonSink()
    port = free_port()
    async with serving_app(received.app, "127.0.0.1", port):
        received.url = f"http://127.0.0.1:{port}/digest"  # type: ignore[attr-defined]
        yield received


def history(desk: Desk, clock: Clock) -> dict[str, int]:
    """The helpdesk before install, each change at its own time."""
    fake, ann, casey = desk.fake, desk.ann["id"], desk.casey["id"]

    def at(ago: timedelta) -> None:
        clock.at = NOW - ago

    def ticket(subject: str, ago: timedelta) -> int:
        at(ago)
        return desk.customer_ticket(subject, created_at=(NOW - ago).isoformat().replace("+00:00", "Z"))

    tickets = {
        "new": ticket("Where is my parcel?", timedelta(hours=1)),
        "pending": ticket("Wrong size", timedelta(days=2)),
        "breached": ticket("Charged twice", timedelta(hours=10)),
        "promise": ticket("Refund for order 7", timedelta(days=1)),
        "solved": ticket("Thanks!", timedelta(days=3)),
    }
    at(timedelta(days=2) - timedelta(hours=1))
    asked = {"assignee_id": ann, "status": "pending", "comment": {"body": "Which size?", "public": True}}
    fake.update_ticket(tickets["pending"], asked, actor_id=ann)
    at(timedelta(hours=23))
    answered = {"assignee_id": ann, "comment": {"body": "We will refund you.", "public": True}}
    fake.update_ticket(tickets["promise"], answered, actor_id=ann)
    at(timedelta(hours=20))
    noted = {"comment": {"body": "#promise refund by Friday", "public": False}}
    fake.update_ticket(tickets["promise"], noted, actor_id=ann)
    at(timedelta(days=3) - timedelta(hours=1))
    solved = {"status": "solved", "assignee_id": ann, "comment": {"body": "Glad to help.", "public": True}}
    fake.update_ticket(tickets["solved"], solved, actor_id=ann)
    clock.at = None
    del casey
    return tickets


async def cli(
    env: WorkflowEnvironment, built: Worker, root: Path, desk: Desk, url: str, store: str | None = None
) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    environment.update(
        {
            "SERVICEFLOW_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "SERVICEFLOW_TASK_QUEUE": built.task_queue,
            "SERVICEFLOW_POLICIES": json.dumps([str(root / "policies")]),
            "SERVICEFLOW_ROSTER_FROM": f"zendesk:{ACCOUNT}",
            "SERVICEFLOW_NOTIFY_URL": url,
            "SERVICEFLOW_OUTCOMES_URL": store or f"sqlite:///{root}/outcomes.sqlite3",  # the worker fixture's
            **{k: v for k, v in os.environ.items() if k.startswith("SERVICEFLOW_ZENDESK_")},
        }
    )
    command = ["-m", "serviceflow", "reconcile", f"zendesk:{ACCOUNT}", "--backfill", "--since", "30d"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, "--checkpoint", str(root / "backfill.json"),
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode or 0, out.decode(), err.decode()


async def test_backfill_gives_every_open_ticket_the_case_its_history_implies(
    env: WorkflowEnvironment,
    past_desk: tuple[Desk, Clock],
    worker: Callable[..., Worker],
    sink: Any,
    tmp_path: Path,
) -> None:
    desk, clock = past_desk
    tickets = history(desk, clock)
    built = worker(desk, extra=PROMISE)
    ann = str(desk.ann["id"])
    async with built:
        code, out, err = await cli(env, built, tmp_path, desk, sink.url)
        assert code == 0, f"{out}\n{err}"

        async def state(name: str) -> CaseState:
            handle = env.client.get_workflow_handle(f"zendesk:{ACCOUNT}:{tickets[name]}")
            found = await handle.query(CaseWorkflow.case_state)
            assert found is not None
            return found

        def created(name: str) -> datetime:
            return datetime.fromisoformat(
                desk.fake.ticket(tickets[name])["created_at"].replace("Z", "+00:00")
            )

        def target(found: CaseState, name: str) -> Any:
            return next(t for t in found.targets if t.name == name)

        new = await state("new")
        assert new.owner == ann and new.opened_at == created("new")
        assert target(new, "reply").status is TargetStatus.RUNNING
        assert target(new, "reply").due_at == created("new") + timedelta(hours=4)
        pending = await state("pending")
        assert pending.ticket.status is TicketStatus.PENDING and pending.owner == ann
        assert target(pending, "reply").met_at == NOW - timedelta(days=2) + timedelta(hours=1)
        breached = await state("breached")
        assert target(breached, "reply").breached_at == created("breached") + timedelta(hours=4)
        promise = await state("promise")
        refund = target(promise, "refund")
        assert (
            refund.due_at == NOW - timedelta(hours=20) + timedelta(hours=120) and refund.breached_at is None
        )
        solved = env.client.get_workflow_handle(f"zendesk:{ACCOUNT}:{tickets['solved']}")
        with pytest.raises(Exception, match="not found"):
            await solved.describe()
        # The owner comes through the case's own action; nothing else is written to the helpdesk.
        await eventually(
            lambda: _true(all(desk.fake.ticket(tickets[n])["assignee_id"] == desk.ann["id"]
                              for n in ("new", "breached"))), 30, "the owners' assignments",
        )  # fmt: skip
        writes = [c for c in desk.fake.calls if c.method != "GET"]
        assert sorted(c.path for c in writes) == sorted(
            f"/api/v2/tickets/{tickets[n]}" for n in ("new", "breached")
        ), writes
        assert not [c for t in tickets.values() for c in desk.fake.comments(t) if "[sf:" in (c["body"] or "")]
        # One digest for Ann, with the one breach before install.
        (digest,) = sink.received
        assert digest["recipients"] == [ann] and "Charged twice" in json.dumps(digest)
        checkpoint = json.loads((tmp_path / "backfill.json").read_text())
        assert [b["case_id"] for b in checkpoint["breaches"]] == [f"zendesk:{ACCOUNT}:{tickets['breached']}"]
        assert "case opened" in out and "breached before install" in out
        # The past reached the outcome store the report reads: the breach before install, and the
        # two replies in time (the pending ticket's question, the promise ticket's answer).
        report = json.loads(await serviceflow_report(root=tmp_path))
        targets = [
            (r["name"], r["met"], r["breached"])
            for r in report["tally"]["rates"]
            if r["dimension"] == "target"
        ]
        assert targets == [("desk/reply", 2, 1)], report
        assert report["tally"]["first_response"]["count"] == 2
        # Again: resumed from the checkpoint, nothing done twice.
        code, out, err = await cli(env, built, tmp_path, desk, sink.url)
        assert code == 0, err
        assert len(sink.received) == 1
        assert [c for c in desk.fake.calls if c.method != "GET"] == writes
        again = json.loads(await serviceflow_report(root=tmp_path))
        assert again["tally"] == report["tally"]  # nothing counted twice


async def test_the_past_is_kept_by_a_later_run_when_the_store_failed(
    env: WorkflowEnvironment,
    past_desk: tuple[Desk, Clock],
    worker: Callable[..., Worker],
    sink: Any,
    tmp_path: Path,
) -> None:
    desk, clock = past_desk
    history(desk, clock)
    built = worker(desk, extra=PROMISE)
    (tmp_path / "a-file").write_text("")  # the store's folder cannot be made: every write fails
    async with built:
        code, out, err = await cli(
            env, built, tmp_path, desk, sink.url, f"sqlite:///{tmp_path}/a-file/o.sqlite3"
        )
        assert code == 0, f"{out}\n{err}"
        assert "outcomes not recorded" in out + err
        checkpoint = json.loads((tmp_path / "backfill.json").read_text())
        # pending, breached, promise: cases opened with a past to keep (the new one has none yet)
        assert len(checkpoint["rows_pending"]) == 3
        code, out, err = await cli(env, built, tmp_path, desk, sink.url)  # the store works again
        assert code == 0, f"{out}\n{err}"
        assert json.loads((tmp_path / "backfill.json").read_text())["rows_pending"] == []
        report = json.loads(await serviceflow_report(root=tmp_path))
        targets = [
            (r["name"], r["met"], r["breached"])
            for r in report["tally"]["rates"]
            if r["dimension"] == "target"
        ]
        assert targets == [("desk/reply", 2, 1)], report  # as when the store never failed
        assert len(sink.received) == 1  # one digest, not a second one


async def serviceflow_report(root: Path) -> str:
    """``serviceflow report --json`` over the test's outcome store, as its own process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_")}
    environment["SERVICEFLOW_OUTCOMES_URL"] = f"sqlite:///{root}/outcomes.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "serviceflow", "report", "--json",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _true(value: bool) -> bool:
    return value
