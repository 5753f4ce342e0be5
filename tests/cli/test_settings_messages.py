"""A refused setting is named with its value as it was written, never a Python object's repr."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()


def test_a_missing_file_setting_shows_the_path_as_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The command's options hand the setting over as a path (typer reads the variable)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVICEFLOW_TEMPORAL_TLS_CERT", "/nonexist")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.startswith("error: SERVICEFLOW_TEMPORAL_TLS_CERT: no such file '/nonexist'"), message
    assert "PosixPath" not in message and message.endswith("(got '/nonexist')")
