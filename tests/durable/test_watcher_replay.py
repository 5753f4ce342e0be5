"""Determinism guard for the loops: histories recorded by earlier code replay with today's.

- quarantine_watcher.json: fa2daf2's code (three polls, each a listing and a timer, before its
  start decoded as ``WatchStartInput`` and was checked in the run; recorded by the reviewer of
  2026-12-04 on the time-skipping server).
- watcher_signals.json, reconciler_signals.json: each loop's ``configure`` and ``poll_now`` /
  ``sweep_now`` signals, which take ``*args`` since 2026-12-04 (durable/signal_args.py), valid
  and not (tests/durable/make_loop_histories.py records them).

The reconciler's sweeps are tests/reconcile/test_reconciler_replay.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from serviceflow.durable.quarantine import QuarantineWatcher
from serviceflow.durable.reconcile import Reconciler

HERE = Path(__file__).parent / "loop_histories"
HISTORY = HERE / "quarantine_watcher.json"


async def replayed(path: Path, loop: type) -> WorkflowHistory:
    replayer = Replayer(workflows=[loop], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
    return history


async def test_the_recorded_watcher_replays_with_todays_code() -> None:
    history = await replayed(HISTORY, QuarantineWatcher)
    assert sum("activityTaskScheduledEventAttributes" in e for e in history.to_json_dict()["events"]) >= 3


def steps(path: Path) -> list[str]:
    """What a loop's history did, in order: its signals (with their arguments' JSON), timers
    started (their duration), timers cancelled or fired, activities scheduled."""
    found = []
    for event in json.loads(path.read_text())["events"]:
        if "workflowExecutionSignaledEventAttributes" in event:
            signal = event["workflowExecutionSignaledEventAttributes"]
            payloads = signal.get("input", {}).get("payloads", [])
            given = [base64.b64decode(p["data"]).decode() for p in payloads]
            found.append(f"{signal['signalName']}({', '.join(given)})")
        elif "timerStartedEventAttributes" in event:
            found.append(f"timer {event['timerStartedEventAttributes']['startToFireTimeout']}")
        elif "timerCanceledEventAttributes" in event:
            found.append("cancelled")
        elif "timerFiredEventAttributes" in event:
            found.append("fired")
        elif "activityTaskScheduledEventAttributes" in event:
            found.append(event["activityTaskScheduledEventAttributes"]["activityType"]["name"])
    return found


@pytest.mark.parametrize(
    ("name", "loop", "sweep", "now_signal"),
    [
        ("watcher_signals", QuarantineWatcher, "list_quarantined", "poll_now"),
        ("reconciler_signals", Reconciler, "reconcile_page", "sweep_now"),
    ],
)
async def test_a_loops_signals_replay_with_todays_code(
    name: str, loop: type, sweep: str, now_signal: str
) -> None:
    """The recorded signals replay, and did what they say: ``configure`` set the next timers to
    600 s (the string and the missing argument ignored), each ``*_now`` cancelled the timer and
    swept at once (the one with an argument too)."""
    path = HERE / f"{name}.json"
    await replayed(path, loop)
    assert steps(path)[:16] == [
        sweep, "timer 3600s",
        "configure(600.0)", 'configure("ten minutes")', "configure()", f"{now_signal}()",
        "cancelled", sweep, "timer 600s",
        f'{now_signal}({{"at":"once"}})', "cancelled", sweep, "timer 600s",
        "fired", sweep, "timer 600s",
    ]  # fmt: skip
