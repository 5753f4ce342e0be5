"""A worker or a backfill whose policy paths do not exist (run outside the project folder, a
typo in ``--policies``, ``SERVICEFLOW_POLICIES='[]'``) is a usage error that names the paths and
the variable (exit 2), from the real CLI in a subprocess (attack14 F4). Before: "no policy files
(*.yaml) found in " with nothing after "in", then "error: the policy set is broken" (exit 1), as
the policy store drops the paths that do not exist before it loads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lab_support import cli, without_settings

COMMANDS = {
    "worker": ["worker"],
    "backfill": ["reconcile", "demo:desk", "--backfill"],
}
# (extra arguments, SERVICEFLOW_POLICIES or None, the paths the error names)
WHERE: list[tuple[list[str], str | None, str]] = [
    ([], None, "policies, workflows"),
    (["--policies", "nowhere"], None, "nowhere"),
    ([], '["typo/policies"]', "typo/policies"),
]


def _run(tmp_path: Path, arguments: list[str], policies: str | None) -> subprocess.CompletedProcess[str]:
    env = without_settings()
    env["SERVICEFLOW_TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # never reached: the paths are checked first
    if policies is not None:
        env["SERVICEFLOW_POLICIES"] = policies
    return cli(*arguments, env=env, cwd=tmp_path)  # tmp_path: no policies/ and no workflows/ here


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("extra", "policies", "named"), WHERE, ids=["defaults", "option", "variable"])
def test_policy_paths_that_do_not_exist_are_named(
    tmp_path: Path, command: str, extra: list[str], policies: str | None, named: str
) -> None:
    done = _run(tmp_path, [*COMMANDS[command], *extra], policies)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().splitlines() == [
        f"error: no policies at {named} (no such file or directory): point SERVICEFLOW_POLICIES "
        '(--policies) at your policy folders, e.g. ["policies", "workflows"] in your project'
    ]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_policy_paths_at_all_is_named(tmp_path: Path, command: str) -> None:
    done = _run(tmp_path, COMMANDS[command], "[]")
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().splitlines() == [
        "error: SERVICEFLOW_POLICIES is an empty list: name your policy folders, "
        'e.g. ["policies", "workflows"]'
    ]


def test_one_missing_folder_beside_one_that_exists_is_not_refused(tmp_path: Path) -> None:
    # The defaults are policies/ and workflows/; a project without journeys has no workflows/.
    (tmp_path / "policies").mkdir()
    done = _run(tmp_path, ["worker"], None)
    assert "no policies at" not in done.stderr, done.stderr
    assert done.returncode != 2, done.stderr
