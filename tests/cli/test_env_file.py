"""A ``.env`` file the settings cannot be read from says so in one line (exit 2), from the real
CLI in a subprocess (attack14 F14). Before, a ``.env`` saved as UTF-16 (Windows Notepad's
"Unicode") or with bytes that are not UTF-8 was a 100- to 200-line UnicodeDecodeError traceback
in every command, ``settings`` included; and one saved as UTF-8 with a byte-order mark lost its
first variable without a word (its name began with U+FEFF, which nothing reads)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lab_support import cli, without_settings

COMMANDS = [["settings"], ["case", "list", "--address", "127.0.0.1:1"], ["worker"]]
UTF16 = "SERVICEFLOW_TASK_QUEUE=from-the-file\n".encode("utf-16")
LATIN1 = "SERVICEFLOW_TASK_QUEUE=caf\xe9\n".encode("latin-1")
BOM = b"\xef\xbb\xbfSERVICEFLOW_TASK_QUEUE=from-the-file\n"


def _run(tmp_path: Path, content: bytes, command: list[str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / ".env").write_bytes(content)
    return cli(*command, env=without_settings(), cwd=tmp_path)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c[0] != "case" else "case list")
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (UTF16, "error: .env: not UTF-8 text (invalid start byte at byte 0); save it as UTF-8"),
        (LATIN1, "error: .env: not UTF-8 text (invalid continuation byte at byte 26); save it as UTF-8"),
        (
            BOM,
            "error: .env: starts with a byte-order mark, which hides its first variable; "
            "save it as UTF-8 without one",
        ),
    ],
    ids=["utf-16", "latin-1", "utf-8 with BOM"],
)
def test_a_dot_env_that_cannot_be_read_is_one_line(
    tmp_path: Path, command: list[str], content: bytes, said: str
) -> None:
    done = _run(tmp_path, content, command)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stderr.strip().splitlines() == [said]


def test_a_utf8_dot_env_is_read(tmp_path: Path) -> None:
    done = _run(tmp_path, b"# comment\nSERVICEFLOW_TASK_QUEUE=from-the-file\n", ["settings"])
    assert done.returncode == 0, done.stderr
    assert "from-the-file" in done.stdout
