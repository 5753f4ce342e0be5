"""For every test of the repository (tests/ and each plugin's tests/): the process environment
is as it was before the test. A demo helpdesk started in-process sets its plugin's variables
(``SERVICEFLOW_<VENDOR>_*``) the way ``serviceflow dev`` needs them; without this, a later test in
the same process (the suite runs in two, with pytest-xdist) would read another account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)
