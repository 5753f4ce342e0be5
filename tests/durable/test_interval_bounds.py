"""The durable loops' timing is finite and bounded, in the settings and in the workflows' messages:
inf, nan, 1e30 and 1e-9 are refused where they enter (attack findings on main, 2026-12-04)."""

from __future__ import annotations

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.durable.intervals import checked_interval
from serviceflow.durable.messages import WatchStart
from serviceflow.durable.reconcile_messages import ReconcileStart
from serviceflow.durable.settings import Settings

BAD = ["inf", "-inf", "nan", "1e30", "1e-9", "0", "-1"]
RANGES = {
    "SERVICEFLOW_RECONCILE_INTERVAL": (1.0, 86_400.0),
    "SERVICEFLOW_QUARANTINE_INTERVAL": (1.0, 86_400.0),
    "SERVICEFLOW_ROSTER_REFRESH": (1.0, 86_400.0),
    "SERVICEFLOW_RECONCILE_LOOKBACK": (1.0, 2_592_000.0),
    "SERVICEFLOW_RECONCILE_SETTLE": (0.0, 3_600.0),
}


@pytest.mark.parametrize("name", sorted(RANGES))
@pytest.mark.parametrize("raw", BAD)
def test_a_setting_out_of_range_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    if name.endswith("SETTLE") and raw in ("0", "1e-9"):
        pytest.skip("no settling time (or a nanosecond of it) is allowed")
    monkeypatch.setenv(name, raw)
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings()
    assert caught.value.errors()[0]["loc"] == (name.removeprefix("SERVICEFLOW_").lower(),)


@pytest.mark.parametrize("name", sorted(RANGES))
def test_each_end_of_a_range_is_accepted(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for end in RANGES[name]:
        monkeypatch.setenv(name, str(end))
        assert getattr(Settings(), name.removeprefix("SERVICEFLOW_").lower()) == end


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e30, 1e-9, 0.0])
def test_the_workflow_messages_refuse_what_the_settings_refuse(value: float) -> None:
    with pytest.raises(pydantic.ValidationError):
        ReconcileStart(vendor="zendesk", account="acme", interval_seconds=value)
    with pytest.raises(pydantic.ValidationError):
        ReconcileStart(vendor="zendesk", account="acme", lookback_seconds=value)
    with pytest.raises(pydantic.ValidationError):
        WatchStart(vendor="zendesk", account="acme", interval_seconds=value)
    if value not in (0.0, 1e-9):
        with pytest.raises(pydantic.ValidationError):
            ReconcileStart(vendor="zendesk", account="acme", settle_seconds=value)
    assert checked_interval(value) is None


@settings(max_examples=200, deadline=None)
@given(value=st.floats() | st.integers(-(2**64), 2**64))
def test_an_interval_is_in_range_or_none(value: float) -> None:
    checked = checked_interval(value)
    assert checked is None or 1.0 <= checked <= 86_400.0
    if checked is not None:
        ReconcileStart(vendor="zendesk", account="acme", interval_seconds=checked)
