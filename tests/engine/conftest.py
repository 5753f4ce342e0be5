"""Fixtures for the engine tests; shared helpers live in engine_support.py (a unique module name,
so several test folders' helpers never shadow each other)."""

from collections.abc import Iterator

import pytest
from engine_support import rules_from, shipped_rules

from serviceflow.engine import records

__all__ = ["rules_from", "shipped_rules"]


@pytest.fixture(autouse=True)
def records_as_validated() -> Iterator[None]:
    """Every engine test also checks each record a decision builds without validation against
    the validated one (serviceflow.engine.records): a difference fails the test."""
    if records.mode != "fast":  # a test that sets the mode itself
        yield
        return
    records.mode = "check"
    records.differences.clear()
    try:
        yield
        assert records.differences == [], records.differences[:3]
    finally:
        records.mode = "fast"
