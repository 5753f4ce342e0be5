"""`serviceflow policy diff --live` against a real Temporal dev server, as processes: a worker runs
a case under one policy set; the what-if over the running cases names that case and the due time
a tighter target would give it, and a change that touches no running case says so. Temporal down
is one line and exit code 2, never a traceback."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from lab_support import QUICK_SET, cli, dev_server, lab_environment, open_case, serviceflow_worker

from serviceflow.durable.devserver import DevServer
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import connect
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import wait_until

__all__ = ["dev_server"]

LONG_SET = QUICK_SET.replace("within: 2s", "within: 4h")


def policy_folder(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "quick.yaml").write_text(text)
    return folder


async def test_diff_live_names_the_running_case_a_change_would_touch(
    dev_server: DevServer, tmp_path: Path
) -> None:
    queue = f"diff-{uuid.uuid4()}"
    env = lab_environment(dev_server, tmp_path, queue)
    (tmp_path / "policies" / "quick.yaml").write_text(LONG_SET)  # the worker's set: 4 h to reply
    old = policy_folder(tmp_path, "old", LONG_SET)
    tighter_later = policy_folder(tmp_path, "later", LONG_SET.replace("within: 4h", "within: 1h"))
    recomputed = LONG_SET.replace("within: 4h", "within: 1h").replace(
        "name: quick\n", "name: quick\non_change: recompute\n", 1
    )
    tighter = policy_folder(tmp_path, "tighter", recomputed)
    renamed_owner_rule = policy_folder(tmp_path, "same-dues", LONG_SET.replace("name: desk,", "name: front,"))
    with serviceflow_worker(env, tmp_path):
        client = await connect(Settings(temporal_address=dev_server.address))
        case = await open_case(client, queue, "7")
        actions = tmp_path / "actions.jsonl"
        await wait_until(lambda: actions.exists() and "assign_owner" in actions.read_text(), 60, "the owner")

        shown = cli("policy", "diff", str(old), str(tighter), "--live", env=env, cwd=tmp_path)
        assert shown.returncode == 1, shown.stderr  # something changed
        assert "Traceback" not in shown.stderr
        out = shown.stdout
        assert "quick/reply" in out, out  # the rule that changed
        assert "1 of 1 running cases would change:" in out, out
        lines = out.splitlines()
        at = lines.index(f"  {case}")
        change = lines[at + 1].strip()  # "quick/reply: due 2026-12-01T10:00+00:00 -> 2026-12-01T07:00+00:00"
        assert change.startswith("quick/reply: due "), out
        was, now = (
            datetime.fromisoformat(side.strip())
            for side in change.removeprefix("quick/reply: due ").split("->")
        )
        assert was - now == timedelta(hours=3), out  # the open target recomputed under the new 1 h

        # open_cases (the default): the running target keeps its due; only later cycles change
        later = cli("policy", "diff", str(old), str(tighter_later), "--live", env=env, cwd=tmp_path)
        assert "0 of 1 running cases would change:" in later.stdout, later.stdout + later.stderr
        same = cli("policy", "diff", str(old), str(renamed_owner_rule), "--live", env=env, cwd=tmp_path)
        assert "0 of 1 running cases would change:" in same.stdout, same.stdout + same.stderr


def test_diff_live_with_temporal_down_is_one_line(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[2] / "policies", tmp_path / "policies")
    env = {"PATH": "/usr/bin:/bin", "SERVICEFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    shown = cli("policy", "diff", "policies", "policies", "--live", env=env, cwd=tmp_path)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert "Traceback" not in shown.stderr
    assert shown.stderr.strip().splitlines()[-1].startswith("error: cannot read the running cases"), (
        shown.stderr
    )
