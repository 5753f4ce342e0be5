"""Whatever a file holds, reading it gives events or an ExportError naming a line; nothing else
escapes (bounded hypothesis runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import month
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.sources import read_file
from serviceflow.model import TicketEvent

BOUNDED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PLANS = month.plan_month(days=1, per_day=2)
SAMPLES = {
    "serviceflow": list(month.neutral_lines(PLANS)),
    "zendesk": list(month.zendesk_lines(PLANS)),
    "freshdesk": list(month.freshdesk_lines(PLANS)),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _read(tmp_path: Path, text: bytes) -> list[TicketEvent] | ExportError:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(text)
    try:
        return read_file(path).events
    except ExportError as exc:
        return exc


def _mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """``value`` with the node found by walking ``path`` (indices into keys/items) replaced."""
    if not path:
        return replacement
    if isinstance(value, dict) and value:
        key = sorted(value)[path[0] % len(value)]
        return {**value, key: _mutate(value[key], path[1:], replacement)}
    if isinstance(value, list) and value:
        index = path[0] % len(value)
        return [*value[:index], _mutate(value[index], path[1:], replacement), *value[index + 1 :]]
    return replacement


@BOUNDED
@given(st.binary(max_size=400))
def test_any_bytes(tmp_path: Path, data: bytes) -> None:
    outcome = _read(tmp_path, data)
    if isinstance(outcome, ExportError):
        assert outcome.file is not None and str(outcome)


@BOUNDED
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.data(),
    st.lists(st.integers(0, 50), min_size=1, max_size=6),
    json_values,
)
def test_a_documented_file_with_one_value_changed(
    tmp_path: Path, fmt: str, data: st.DataObject, path: list[int], replacement: Any
) -> None:
    lines = SAMPLES[fmt]
    line = data.draw(st.integers(0, len(lines) - 1))
    changed = _mutate(json.loads(lines[line]), path, replacement)
    text = "\n".join([*lines[:line], json.dumps(changed), *lines[line + 1 :]]) + "\n"
    outcome = _read(tmp_path, text.encode())
    if isinstance(outcome, ExportError):
        assert outcome.line is None or 1 <= outcome.line <= len(lines)
    else:
        assert all(isinstance(event, TicketEvent) for event in outcome)


@BOUNDED
@given(st.sampled_from(sorted(SAMPLES)), st.integers(1, 10_000))
def test_a_documented_file_cut_anywhere(tmp_path: Path, fmt: str, cut: int) -> None:
    text = ("\n".join(SAMPLES[fmt]) + "\n").encode()
    outcome = _read(tmp_path, text[: cut % len(text)])
    assert isinstance(outcome, ExportError | list)
