"""Fixtures for the outcome tests; helpers live in outcomes_support.py (a unique module name)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from outcomes_support import POLICY

from serviceflow.engine.rules import Rules
from serviceflow.policy import load_policy_set


@pytest.fixture
def rules(write_policies: Callable[..., Path]) -> Rules:
    return Rules(load_policy_set([write_policies({"simple.yaml": POLICY})]))
