"""Determinism guard for outcome recording: the history recorded with it replays with today's
code, and so do the histories recorded before it (they replay without it: the patch marker).
Re-record on purpose only: `.venv/bin/python tests/outcomes/make_history.py --force`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.outcomes.recording import RECORD_OUTCOMES

HERE = Path(__file__).parent
RECORDED = HERE / "histories" / "record_outcomes.json"
BEFORE = sorted((HERE.parent / "durable" / "histories").glob("*.json"))


def markers(history: dict) -> list[dict]:  # type: ignore[type-arg]
    return [
        e["markerRecordedEventAttributes"] for e in history["events"] if "markerRecordedEventAttributes" in e
    ]


def test_the_history_records_outcomes_behind_the_patch() -> None:
    found = markers(json.loads(RECORDED.read_text()))
    patches = [
        json.loads(base64.b64decode(p["data"]))["id"]
        for m in found
        if m["markerName"] == "core_patch"
        for p in m["details"]["patch-data"]["payloads"]
    ]
    assert RECORD_OUTCOMES in patches
    recorded = []
    for marker in found:
        for payload in marker.get("details", {}).get("result", {}).get("payloads", []):
            result = json.loads(base64.b64decode(payload["data"]))
            if isinstance(result, dict) and "written" in result:
                recorded.append(result)
    assert len(recorded) >= 4 and all(r["failed"] is None for r in recorded)  # one per decision


@pytest.mark.parametrize("path", [RECORDED, *BEFORE], ids=lambda p: p.stem)
async def test_history_replays_with_todays_code(path: Path) -> None:
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
