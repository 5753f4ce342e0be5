"""Plugin settings are built once and again only when their environment changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from serviceflow.plugins.settings import current_settings


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SF_TEST_DESK_", env_file=".env", extra="ignore", frozen=True
    )

    domain: str = "none"


def test_built_once_while_the_environment_stays(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SF_TEST_DESK_DOMAIN", "acme")
    first = current_settings(DeskSettings)
    assert first.domain == "acme"
    assert current_settings(DeskSettings) is first
    monkeypatch.setenv("UNRELATED_VARIABLE", "changes nothing")
    assert current_settings(DeskSettings) is first


def test_built_again_when_a_variable_or_the_env_file_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SF_TEST_DESK_DOMAIN", "acme")
    assert current_settings(DeskSettings).domain == "acme"
    monkeypatch.setenv("SF_TEST_DESK_DOMAIN", "globex")
    assert current_settings(DeskSettings).domain == "globex"
    monkeypatch.delenv("SF_TEST_DESK_DOMAIN")
    (tmp_path / ".env").write_text("SF_TEST_DESK_DOMAIN=initech\n")
    assert current_settings(DeskSettings).domain == "initech"
    (tmp_path / ".env").write_text("SF_TEST_DESK_DOMAIN=umbrella-corp\n")
    assert current_settings(DeskSettings).domain == "umbrella-corp"


def test_built_again_in_another_directory_with_its_own_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The .env check is one os.stat per call (no os.getcwd): the file's device and inode tell
    # which file the relative name reaches, so a move to another directory is still seen.
    first, second, bare = tmp_path / "first", tmp_path / "second", tmp_path / "bare"
    for folder, domain in ((first, "initech"), (second, "initech")):
        folder.mkdir()
        (folder / ".env").write_text(f"SF_TEST_DESK_DOMAIN={domain}\n")
    bare.mkdir()
    (second / ".env").write_text("SF_TEST_DESK_DOMAIN=globexx\n")  # the same size: told by its inode
    monkeypatch.delenv("SF_TEST_DESK_DOMAIN", raising=False)
    monkeypatch.chdir(first)
    assert current_settings(DeskSettings).domain == "initech"
    monkeypatch.chdir(second)
    assert current_settings(DeskSettings).domain == "globexx"
    monkeypatch.chdir(bare)
    assert current_settings(DeskSettings).domain == "none"
    monkeypatch.chdir(first)
    assert current_settings(DeskSettings).domain == "initech"
