"""`serviceflow settings` shows a secret setting's default as it is (it is in the code), and masks
whatever was set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()


def rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, dict[str, object]]:
    monkeypatch.chdir(tmp_path)  # no .env
    result = runner.invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)["settings"]}


def test_a_secret_settings_default_is_shown_and_a_set_value_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SERVICEFLOW_CHANNELS", "SERVICEFLOW_OUTCOMES_URL"):
        monkeypatch.delenv(name, raising=False)
    shown = rows(monkeypatch, tmp_path)
    assert (
        shown["SERVICEFLOW_CHANNELS"]["value"] == "{}"
        and shown["SERVICEFLOW_CHANNELS"]["source"] == "default"
    )
    assert shown["SERVICEFLOW_OUTCOMES_URL"]["source"] == "default"
    assert shown["SERVICEFLOW_OUTCOMES_URL"]["value"] != "********"
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", "postgresql://sf:hunter2@db.internal/sf")
    monkeypatch.setenv(
        "SERVICEFLOW_CHANNELS", '{"slack:leads": {"url": "https://hooks.slack.com/services/T/B/x"}}'
    )
    masked = rows(monkeypatch, tmp_path)
    for name in ("SERVICEFLOW_CHANNELS", "SERVICEFLOW_OUTCOMES_URL"):
        assert masked[name] == {**masked[name], "value": "********", "source": "environment", "secret": True}


def test_the_footer_says_which_settings_are_left_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    table = runner.invoke(app, ["settings"])
    assert "settings with no value (not set, and no default) are left out; --all lists them" in " ".join(
        table.output.split()
    )
