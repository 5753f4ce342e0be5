"""The worker's policy store: a change is taken at the next decision, the versions it replaces are
kept for ``on_change: new_cases``, and a broken change keeps the last good set."""

from __future__ import annotations

import shutil
from pathlib import Path

from serviceflow.durable.policy_store import PolicyStore

REPO = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("scenarios"))
    return tmp_path / "policies"


def test_a_reload_keeps_the_version_it_replaces(tmp_path: Path) -> None:
    policies = _copy(tmp_path)
    store = PolicyStore([policies])
    first = store.current()
    standard = policies / "standard.yaml"
    standard.write_text(standard.read_text().replace("within: 8 business hours", "within: 6 business hours"))
    second = store.current()
    assert second.version != first.version
    assert first.version in second.earlier  # a case that started on it can go on deciding with it
    assert second.earlier[first.version].policy_set is first.policy_set


def test_a_broken_change_keeps_the_last_good_set(tmp_path: Path) -> None:
    policies = _copy(tmp_path)
    store = PolicyStore([policies])
    good = store.current()
    (policies / "standard.yaml").write_text("apiVersion: serviceflow/v1\nkind: Policy\nname: [broken\n")
    assert store.current() is good


def test_a_folder_mounted_from_a_config_map_is_read_once(tmp_path: Path) -> None:
    """Kubernetes mounts a ConfigMap as symlinks into a hidden ``..data`` folder."""
    from serviceflow.policy.loader import discover

    policies = _copy(tmp_path)
    hidden = policies / "..2026_12_01_00_00_00.000000001"
    hidden.mkdir()
    for file in list(policies.glob("*.yaml")):
        shutil.move(file, hidden / file.name)
        file.symlink_to(Path("..data") / file.name)
    (policies / "..data").symlink_to(hidden.name)
    found = discover([policies])
    assert found == sorted(policies.glob("*.yaml")) and found
    assert PolicyStore([policies]).current().policy_set.policies
