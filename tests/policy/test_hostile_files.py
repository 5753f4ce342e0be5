"""Hostile policy files: `policy validate`, `policy test` and the worker's hot reload each answer
with one `file: problem` line, never a traceback or a hang, and the reload keeps the last good set."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.policy.files import MAX_FILE_BYTES
from serviceflow.policy.yaml_source import MAX_ALIASES, MAX_DEPTH, MAX_DOCUMENTS

runner = CliRunner()
BOUND = 60.0  # seconds; a hang fails the test instead of the suite

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
)


def _write(text: str | bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return make


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inner.txt").write_text("not yaml")


def _broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.yaml")


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _unreadable_once_open(path: Path) -> None:
    """A regular file that opens and then fails to read: /proc/self/mem (EIO at offset 0)."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem on this system (Linux's procfs)")
    path.symlink_to("/proc/self/mem")


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "billion-laughs": (_write(LAUGHS), "values once aliases are expanded"),
    "many-aliases": (_write("a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"), "aliases"),
    "self-alias": (_write("a: &a [1, *a]\n"), "contains it"),
    "deep-flow": (_write("a: " + "[" * 5000 + "]" * 5000 + "\n"), f"nested more than {MAX_DEPTH} deep"),
    "deep-block": (
        _write("".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n"),
        f"nested more than {MAX_DEPTH} deep",
    ),
    "nul": (_write("apiVersion: serviceflow/v1\nkind: Policy\x00\n"), "not allowed in YAML"),
    "control": (_write("name: bell\x07\n"), "not allowed in YAML"),
    "not-utf8": (_write(b"name: caf\xe9\n"), "not UTF-8 text"),
    "huge-int": (_write("n: " + "9" * 5000 + "\n"), "cannot be read"),
    "too-large": (_write("# " + "x" * MAX_FILE_BYTES + "\n"), "over the"),
    "many-documents": (_write("--- {}\n" * 140_000), f"more than {MAX_DOCUMENTS} documents in one file"),
    "directory": (_directory, "a directory"),
    "broken-link": (_broken_link, "a broken symbolic link"),
    "dev-zero": (_dev_zero, "a device"),
    "fifo": (_fifo, "a FIFO"),
    "unreadable-once-open": (_unreadable_once_open, "cannot be read (Input/output error)"),
}


def bounded(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it takes over BOUND."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"still running after {BOUND} s"
    return result[0]


@pytest.fixture
def policy_folder(write_policies) -> Path:  # type: ignore[no-untyped-def]
    return write_policies({})  # a valid set: PolicySet only


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("command", ["validate", "test"])
def test_each_hostile_file_is_one_line_and_no_traceback(policy_folder: Path, case: str, command: str) -> None:
    make, problem = HOSTILE[case]
    bad = policy_folder / f"{case}.yaml"
    make(bad)
    result = bounded(lambda: runner.invoke(app, ["policy", command, str(policy_folder)]))
    output = result.output  # stdout and stderr, as a person sees them
    assert result.exit_code == (1 if command == "validate" else 2), output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith(str(bad))]
    assert len(lines) == 1 and problem in lines[0], output


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_hot_reload_refuses_a_hostile_file_and_keeps_the_last_good_set(
    policy_folder: Path, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = PolicyStore([policy_folder])
    before = store.current().version
    make, problem = HOSTILE[case]
    make(policy_folder / f"{case}.yaml")
    with caplog.at_level(logging.ERROR):
        assert bounded(store.current).version == before
    assert problem in caplog.text and "policy change refused" in caplog.text
