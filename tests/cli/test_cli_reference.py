"""The reference pages are what the code says: every command, option, variable and default."""

from __future__ import annotations

from pathlib import Path

from serviceflow.cli.reference import cli_reference, settings_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reference"
REGENERATE = "regenerate them: python -m serviceflow.cli.reference docs/reference"


def test_the_command_reference_is_up_to_date() -> None:
    assert (DOCS / "cli.md").read_text() == cli_reference(), REGENERATE


def test_the_settings_reference_is_up_to_date() -> None:
    assert (DOCS / "settings.md").read_text() == settings_reference(), REGENERATE


def test_the_command_reference_names_every_command() -> None:
    text = cli_reference()
    for command in ("worker", "serve", "dev", "settings", "plugins", "case list", "case show", "policy test"):
        assert f"## `serviceflow {command}`" in text
