"""Determinism guard for outcome recording: the histories recorded with it (a local activity per
decision, then inside the decide activity) replay with today's code, and so do the histories
recorded before it (they replay without it: the patch marker).
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
from serviceflow.outcomes.recording import OUTCOMES_IN_DECIDE, RECORD_OUTCOMES

HERE = Path(__file__).parent
RECORDED = HERE / "histories" / "record_outcomes.json"
IN_DECIDE = HERE / "histories" / "outcomes_in_decide.json"
FALLBACK = HERE / "histories" / "outcomes_in_decide_fallback.json"
BEFORE = sorted((HERE.parent / "durable" / "histories").glob("*.json"))


def markers(history: dict) -> list[dict]:  # type: ignore[type-arg]
    return [
        e["markerRecordedEventAttributes"] for e in history["events"] if "markerRecordedEventAttributes" in e
    ]


def patches(found: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [
        json.loads(base64.b64decode(p["data"]))["id"]
        for m in found
        if m["markerName"] == "core_patch"
        for p in m["details"]["patch-data"]["payloads"]
    ]


def results(found: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """The local activities' results the markers carry."""
    answers = []
    for marker in found:
        for payload in marker.get("details", {}).get("result", {}).get("payloads", []):
            result = json.loads(base64.b64decode(payload["data"]))
            if isinstance(result, dict):
                answers.append(result)
    return answers


def test_the_history_records_outcomes_behind_the_patch() -> None:
    found = markers(json.loads(RECORDED.read_text()))
    assert RECORD_OUTCOMES in patches(found)
    recorded = [r for r in results(found) if "written" in r]
    assert len(recorded) >= 4 and all(r["failed"] is None for r in recorded)  # one per decision


def test_the_decide_activity_records_outcomes_behind_the_patch_asked_at_run_start() -> None:
    """One patch marker (the newest change's, first: it implies the older ones), no
    record_outcomes marker, and every decide marker says its decision's outcomes were recorded
    (and carries its actions once, in the decision)."""
    found = markers(json.loads(IN_DECIDE.read_text()))
    assert patches(found) == [OUTCOMES_IN_DECIDE] and found[0]["markerName"] == "core_patch"
    answers = results(found)
    assert not [r for r in answers if "written" in r]
    decided = [r for r in answers if r.get("decided")]
    assert len(decided) >= 4 and all(r["recorded"] for r in decided)
    assert all(r["decided_actions"] and not r["actions"] for r in decided)
    assert any(r["state"]["decisions"][-1]["actions"] for r in decided)


def test_a_decision_the_decide_activity_did_not_record_goes_to_record_outcomes() -> None:
    """The fallback branch under `outcomes-in-decide`: a worker whose decide activity has no
    store says recorded=False, and the workflow records each decision with record_outcomes."""
    found = markers(json.loads(FALLBACK.read_text()))
    assert patches(found) == [OUTCOMES_IN_DECIDE] and found[0]["markerName"] == "core_patch"
    answers = results(found)
    decided = [r for r in answers if r.get("decided")]
    assert len(decided) >= 4 and not any(r["recorded"] for r in decided)
    written = [r for r in answers if "written" in r]
    assert len(written) == len(decided) and all(r["failed"] is None and r["written"] for r in written)


@pytest.mark.parametrize("path", [RECORDED, IN_DECIDE, FALLBACK, *BEFORE], ids=lambda p: p.stem)
async def test_history_replays_with_todays_code(path: Path) -> None:
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
