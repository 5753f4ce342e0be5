"""Determinism guard for the quarantine watcher: a history recorded by fa2daf2's code (three polls,
each a listing and a timer, before its start decoded as ``WatchStartInput`` and was checked in
the run; recorded by the reviewer of 2026-12-04 on the time-skipping server) replays with
today's. The reconciler's is tests/reconcile/test_reconciler_replay.py."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from serviceflow.durable.quarantine import QuarantineWatcher

HISTORY = Path(__file__).parent / "loop_histories" / "quarantine_watcher.json"


async def test_the_recorded_watcher_replays_with_todays_code() -> None:
    replayer = Replayer(workflows=[QuarantineWatcher], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json("quarantine-watcher", HISTORY.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
    assert sum("activityTaskScheduledEventAttributes" in e for e in history.to_json_dict()["events"]) >= 3
