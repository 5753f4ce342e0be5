from __future__ import annotations

import json

from typer.testing import CliRunner

from serviceflow.cli import app

runner = CliRunner()


def test_plugins_lists_both_vendor_plugins() -> None:
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    by_name = {p["name"]: p for p in json.loads(result.stdout)}
    assert by_name["zendesk"]["vendors"] == ["zendesk"]
    assert by_name["freshdesk"]["distribution"] == "serviceflow-freshdesk"
    (zendesk,) = by_name["zendesk"]["helpdesks"]
    assert zendesk == {"vendor": "zendesk", "description": "Zendesk", "quarantine": True, "demo": True}
    assert by_name["demo"]["helpdesks"][0]["demo"] is False  # the built-in one is `--helpdesk builtin`


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("serviceflow ")
