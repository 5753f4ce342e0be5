"""The worker records outcomes as cases decide: on a real time-skipping Temporal server, into a
real SQLite store; a store that fails never holds a case up; shadow rows are would-have."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporal_support import Case, build_worker, policies_in
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from serviceflow.durable.binaries import temporal_test_server
from serviceflow.fakes.waiting import skip_time, wait_until
from serviceflow.outcomes import OutcomeKind
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.outcomes.settings import OutcomeSettings
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

K = OutcomeKind


def metric(outcomes: OutcomeActivities, name: str) -> float:
    return outcomes.registry.get_sample_value(f"serviceflow_outcomes_{name}_total") or 0.0


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture(autouse=True)
def demo_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    log = tmp_path / "demo-actions.jsonl"
    monkeypatch.setenv("SERVICEFLOW_DEMO_LOG", str(log))
    yield log


async def test_a_case_records_its_outcomes_as_it_decides(
    env: WorkflowEnvironment, write_policies_fixture: Path, tmp_path: Path
) -> None:
    store = OutcomeStore(str(tmp_path / "outcomes.sqlite3"))
    worker, outcomes = build_worker(env.client, write_policies_fixture, store)
    async with worker:
        case = Case(env.client, worker.task_queue)
        opened = await env.get_current_time()
        await case.send("created", opened)
        await skip_time(env, timedelta(hours=2, minutes=5))  # warned at 1.5 h, breached at 2 h
        replied = await env.get_current_time()
        await case.send("agent_reply", replied)

        def kinds() -> list[OutcomeKind]:
            return [r.kind for r in store.read() if r.kind is not K.ACTION_DONE]

        await wait_until(lambda: K.FIRST_RESPONSE in kinds(), 30, "the first response recorded")
    rows = store.read()
    assert kinds()[:3] == [K.WARNING_SENT, K.TARGET_BREACHED, K.ESCALATION]
    assert sorted(kinds()[3:]) == [K.FIRST_RESPONSE, K.TARGET_MET_LATE]  # the reply: both at once
    first = next(r for r in rows if r.kind is K.FIRST_RESPONSE)
    assert first.seconds == pytest.approx((replied - opened).total_seconds(), abs=1)
    breach = next(r for r in rows if r.kind is K.TARGET_BREACHED)
    assert breach.at == opened + timedelta(hours=2) and breach.agent == "cat" and breach.team == "frontline"
    assert {r.detail for r in rows if r.kind is K.ACTION_DONE} == {"assign_owner", "notify"}
    assert not any(r.would_have for r in rows)
    assert metric(outcomes, "written") == len(rows)
    assert metric(outcomes, "failed") == 0


async def test_a_failing_store_never_holds_a_case_up(
    env: WorkflowEnvironment, write_policies_fixture: Path, tmp_path: Path, demo_log: Path
) -> None:
    broken = tmp_path / "a-folder-not-a-database"
    broken.mkdir()
    store = OutcomeStore(str(broken))  # SQLite cannot open a folder: every write fails
    worker, outcomes = build_worker(env.client, write_policies_fixture, store)
    async with worker:
        case = Case(env.client, worker.task_queue)
        await case.send("created", await env.get_current_time())
        await wait_until(
            lambda: demo_log.exists() and "assign_owner" in demo_log.read_text(), 30, "the owner"
        )
        await skip_time(env, timedelta(hours=2, minutes=5))
        await wait_until(
            lambda: demo_log.read_text().count('"notify"') >= 2, 30, "the warning and escalation"
        )
        assert metric(outcomes, "failed") >= 3 and metric(outcomes, "written") == 0
        assert outcomes.failing_since is not None  # from now on one try a decision, at once
        broken.rmdir()  # the store can be made again: the next decision's rows are kept
        await case.send("agent_reply", await env.get_current_time())
        await wait_until(lambda: metric(outcomes, "written") > 0, 30, "the store taking rows again")
    assert outcomes.failing_since is None and outcomes.missed == 0
    assert [r.kind for r in OutcomeStore(str(broken)).read() if r.kind is K.FIRST_RESPONSE] == [
        K.FIRST_RESPONSE
    ]


def test_a_store_that_cannot_be_made_does_not_stop_the_worker(tmp_path: Path) -> None:
    # A read-only file system (a container's): the worker starts, and says so when it writes.
    outcomes = OutcomeActivities.from_settings(settings=OutcomeSettings(outcomes_url="/proc/nope/o.sqlite3"))
    with pytest.raises(OutcomeStoreError, match="cannot create the folder /proc/nope"):
        outcomes.store.open()


async def test_rows_recorded_in_shadow_mode_are_would_have(
    env: WorkflowEnvironment, write_policies_fixture: Path, tmp_path: Path
) -> None:
    store = OutcomeStore(str(tmp_path / "shadow.sqlite3"))
    worker, _ = build_worker(env.client, write_policies_fixture, store, shadow=True)
    async with worker:
        case = Case(env.client, worker.task_queue)
        await case.send("created", await env.get_current_time())
        await wait_until(lambda: store.read(), 30, "the first decision's rows")
    rows = store.read()
    assert rows and all(r.would_have for r in rows)
    assert [r.kind for r in rows] == [K.ACTION_WOULD_HAVE]


@pytest.fixture
def write_policies_fixture(write_policies: Callable[..., Path]) -> Path:
    return policies_in(write_policies)
