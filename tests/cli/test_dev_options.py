"""``serviceflow dev`` options that cannot work are one line and exit 2, before anything starts,
from the real CLI in a subprocess (attack14 F11). Before: ``--webhook-port 70000`` was a
36-line traceback, ``--port 70000`` "failed unexpectedly: OverflowError", ``--state-dir`` naming
a file "failed unexpectedly: FileExistsError", ``--port 0`` and ``--ui-port -5`` "the Temporal dev
server exited (code 1)", and ``--pace nan`` or ``--pace -1`` ran the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_support import cli, without_settings

CASES = [
    (["--port", "70000"], "Invalid value for '--port'"),
    (["--port", "0"], "Invalid value for '--port'"),
    (["--ui-port", "-5"], "Invalid value for '--ui-port'"),
    (["--webhook-port", "70000"], "Invalid value for '--webhook-port'"),
    (["--pace", "nan"], "error: --pace must be a number above 0, not nan"),
    (["--pace", "-1"], "error: --pace must be a number above 0, not -1.0"),
    (["--pace", "inf"], "error: --pace must be a number above 0, not inf"),
    (["--state-dir", "a-file"], "error: --state-dir a-file is a file; give a folder"),
]


@pytest.mark.parametrize(("options", "said"), CASES, ids=[" ".join(o) for o, _ in CASES])
def test_a_dev_option_that_cannot_work_is_a_usage_error(
    tmp_path: Path, options: list[str], said: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    done = cli("dev", "--no-demo", *options, env=without_settings(), cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert said in done.stderr and "Traceback" not in done.stderr and "unexpectedly" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 6  # click's usage box, or one line
    assert not (tmp_path / ".serviceflow").exists()  # nothing started
