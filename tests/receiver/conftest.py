"""Fixtures for the receiver's tests: the time-skipping Temporal server of the durable tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "durable"))

from durable_support import env  # noqa: E402

__all__ = ["env"]
