"""Determinism guard for the reconciler: a history recorded by earlier code (a run that opened a
case, caught it up and ended it, over several sweeps) replays with today's. Re-record on purpose
only: ``SERVICEFLOW_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/reconcile/test_reconciler.py``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from serviceflow.durable.reconcile import Reconciler

HISTORY = Path(__file__).parent / "histories" / "reconciler.json"


async def test_the_recorded_reconciler_replays_with_todays_code() -> None:
    replayer = Replayer(workflows=[Reconciler], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json("reconciler", HISTORY.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
    assert len(history.events) > 20  # several sweeps, not an empty run
