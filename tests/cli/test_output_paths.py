"""An output file the CLI cannot write (``policy test --junit-xml``, ``policy schema --output``):
a folder, a path under a file, is a usage error naming the option and the path (exit 2), said
before any scenario runs, from the real CLI in a subprocess (attack14 F5). Before: a 35- to
100-line traceback (IsADirectoryError, NotADirectoryError, FileExistsError), after every
scenario had run and passed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lab_support import cli, without_settings

REPO = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return cli(*arguments, env=without_settings(), cwd=tmp_path)


def _places(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each unwritable place: (the path given, what the error says of it)."""
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    return {
        "a folder": ("a-folder", "a-folder is a folder; give a file's path"),
        "under a file": ("a-file/report.xml", "a-file is a file, not a folder"),
    }


COMMANDS = {
    "junit": (["policy", "test", str(REPO / "policies"), "--junit-xml"], "--junit-xml"),
    "schema": (["policy", "schema", "--output"], "--output"),
}


@pytest.mark.parametrize("place", ["a folder", "under a file"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_path_it_cannot_write_is_a_usage_error(tmp_path: Path, command: str, place: str) -> None:
    given, said = _places(tmp_path)[place]
    arguments, option = COMMANDS[command]
    done = _run(tmp_path, *arguments, given)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stderr.strip().splitlines() == [f"error: {option} {given}: cannot write there: {said}"]
    assert "PASSED" not in done.stdout  # refused before any scenario ran


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_new_file_in_a_new_folder_is_written(tmp_path: Path, command: str) -> None:
    arguments, _ = COMMANDS[command]
    done = _run(tmp_path, *arguments, "reports/new/out.xml")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "reports" / "new" / "out.xml").stat().st_size > 0
