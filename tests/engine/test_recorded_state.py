"""Cases recorded by earlier code still load and decide: CaseState is in running workflows'
histories (every decision's result), so its shape only grows, or migrates on load."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest
from engine_support import shipped_rules  # noqa: F401 - the fixture

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import WakeUp
from serviceflow.engine.rules import Rules
from serviceflow.model import CaseState, Notified

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "durable" / "histories").glob("*.json"))


def recorded_states(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """Every case state a history's decisions returned, as the JSON the workflow holds."""
    states = []
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes")
        for payload in (marker or {}).get("details", {}).get("result", {}).get("payloads", []):
            result = json.loads(base64.b64decode(payload["data"]))
            if isinstance(result, dict) and isinstance(result.get("state"), dict):
                states.append(result["state"])
            elif isinstance(result, dict) and result.get("state_json"):  # case-in-decide
                text = result["state_json"]
                if not text.startswith("{"):  # state-packed: deflated, base64 (durable/compact.py)
                    text = zlib.decompress(base64.b64decode(text)).decode()
                states.append(json.loads(text))
    return states


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_a_recorded_case_loads_and_decides(path: Path, shipped_rules: Rules) -> None:  # noqa: F811
    states = recorded_states(path)
    assert states, "the history holds decisions"
    for data in states:
        state = CaseState.model_validate(data)
        assert all(isinstance(n, Notified) for n in state.notified)
        last = data["decisions"][-1]["policy_version"] if data.get("decisions") else None
        assert state.policy_version == last  # migrated from the decision log
    last = CaseState.model_validate(states[-1])
    later = max([last.opened_at, *(d.time for d in last.decisions)])
    outcome = decide(last, WakeUp(), later, shipped_rules)
    assert outcome.state.case_id == last.case_id
    assert not (outcome.decision and any("decision failed" in e for e in outcome.decision.errors))


def test_old_notified_strings_become_records() -> None:
    states = [
        s
        for path in HISTORIES
        for s in recorded_states(path)
        if s.get("notified") and isinstance(s["notified"][0], str)
    ]  # histories recorded after the records (query_during_read.json) hold records already
    assert states, "a history recorded before escalated"
    raw = states[-1]["notified"][0]
    assert isinstance(raw, str) and raw.count("|") >= 2
    record = CaseState.model_validate(states[-1]).notified[0]
    assert raw.startswith(f"{record.target}|{record.recipient}|")
