from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

MINIMAL_SET = """\
apiVersion: serviceflow/v1
kind: PolicySet
name: test
defaults:
  calendar: office
  escalation: standard
fallback:
  owner: group:triage
calendars:
  office:
    timezone: Europe/Amsterdam
    hours:
      mon-fri: 09:00-17:00
escalations:
  standard:
    levels:
      - notify: [owner.lead]
"""


@pytest.fixture
def write_policies(tmp_path: Path) -> Callable[..., Path]:
    """Write a minimal PolicySet plus the given files (name -> YAML text) into a fresh folder."""

    def write(files: dict[str, str], *, with_set: bool = True) -> Path:
        folder = tmp_path / "policies"
        folder.mkdir(exist_ok=True)
        if with_set:
            (folder / "policyset.yaml").write_text(MINIMAL_SET)
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text))
        return folder

    return write
