"""A backfill whose helpdesk cannot be reached retries with backoff, saying so each time, then
stops with one clear line that names the account and how to resume (the checkpoint is kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from serviceflow.adapters.registry import registry
from serviceflow.durable.backfill_checkpoint import BackfillError, Checkpoint
from serviceflow.durable.backfill_run import ATTEMPTS, Backfill, Progress
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.fakes.server import free_port
from serviceflow.model import Roster

REPO = Path(__file__).resolve().parents[2]


def backfill(env: WorkflowEnvironment, account: str, path: Path) -> tuple[Backfill, list[str], list[float]]:
    """A backfill of Zendesk ``account`` that records what it told and how long it would wait
    (its sleep returns at once)."""
    adapter = registry().get("zendesk")
    assert adapter is not None
    told: list[str] = []
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    run = Backfill(
        client=env.client,
        task_queue="unused",
        adapter=adapter,
        account=account,
        rules=PolicyStore([REPO / "policies", REPO / "workflows"]).current(),
        roster=Roster(),
        checkpoint_path=path,
        now=datetime.now(UTC),
        progress=Progress(waiting=told.append),
        sleep=no_wait,
    )
    return run, told, waits


async def test_an_unreachable_helpdesk_is_retried_with_progress_then_named(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SUBDOMAIN", "OAUTH_TOKEN"):
        monkeypatch.delenv(f"SERVICEFLOW_ZENDESK_{name}", raising=False)
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_EMAIL", "sf@shop.example")
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_API_TOKEN", "token")
    run, told, waits = backfill(env, "127.0.0.1", tmp_path / "checkpoint.json")
    with pytest.raises(BackfillError) as raised:
        await run.run(datetime.now(UTC) - timedelta(days=1))
    message = str(raised.value)
    assert (
        "zendesk:127.0.0.1 could not be reached after" in message and "run the same command again" in message
    )
    assert len(told) == ATTEMPTS - 1 and all("retrying in" in line for line in told)
    assert waits == sorted(waits) and waits[0] == 2.0  # backing off


async def test_an_unconfigured_helpdesk_stops_at_once_naming_what_to_set(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``reconcile zendesk:acme --backfill`` with Zendesk unconfigured retried the missing setting
    for minutes (``...set SERVICEFLOW_ZENDESK_SUBDOMAIN...; retrying in 32 s (attempt 5/8)``)."""
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("SUBDOMAIN", "BASE_URL", "OAUTH_TOKEN", "EMAIL", "API_TOKEN"):
        monkeypatch.delenv(f"SERVICEFLOW_ZENDESK_{name}", raising=False)
    run, told, waits = backfill(env, "acme", tmp_path / "checkpoint.json")
    with pytest.raises(BackfillError, match="set SERVICEFLOW_ZENDESK_SUBDOMAIN") as raised:
        await run.run(datetime.now(UTC) - timedelta(days=1))
    assert "zendesk:acme" in str(raised.value) and "could not be reached" not in str(raised.value)
    assert told == [] and waits == []  # not retried


def test_a_checkpoint_of_another_account_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    Checkpoint(vendor="zendesk", account="acme", since=datetime.now(UTC)).save(path)
    with pytest.raises(BackfillError, match="checkpoint of zendesk:acme, not zendesk:other"):
        Checkpoint.load_or_new(path, "zendesk", "other", datetime.now(UTC))
    path.write_text("{not json")
    with pytest.raises(BackfillError, match="is not a backfill checkpoint"):
        Checkpoint.load_or_new(path, "zendesk", "acme", datetime.now(UTC))


def test_a_checkpoint_of_the_wrong_shape_names_the_field_never_its_value(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    path.write_text('{"vendor": "zendesk", "account": "acme", "since": "customer-secret-text"}')
    with pytest.raises(BackfillError, match="is not a backfill checkpoint") as refused:
        Checkpoint.load_or_new(path, "zendesk", "acme", datetime.now(UTC))
    assert "since" in str(refused.value) and "customer-secret-text" not in str(refused.value)
