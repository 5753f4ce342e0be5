"""The worker's policy store: a change is taken at the next decision, the versions it replaces are
kept for ``on_change: new_cases``, and a broken change keeps the last good set."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from durable_support import wait_until

from serviceflow.durable.policy_store import PolicyStore
from serviceflow.errors import PolicySetError
from serviceflow.policy.loader import PolicyPathError

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


def _settle(folder: Path) -> None:
    """Every folder's mtime an hour old (as an extracted release's): with ``settled_ns=0`` the
    store trusts the folders' stamps at once, and stats files only, until one moves."""
    past = time.time() - 3600
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        os.utime(path, (past, past), follow_symlinks=False)


async def test_changes_are_seen_while_the_folders_stand_still(tmp_path: Path) -> None:
    """The store walks its folders again only when one's mtime moved: an edit in place (a file's
    own stamp), a file added to a subfolder or removed (that folder's mtime), each is taken at
    the next look, as when every look walked the folders."""
    policies = _copy(tmp_path)
    extra = policies / "extra"
    extra.mkdir()
    _settle(policies)
    store = PolicyStore([policies], settled_ns=0)
    versions = [store.current().version]

    def changed() -> bool:
        version = store.current().version
        if version == versions[-1]:
            return False
        versions.append(version)
        return True

    standard = policies / "standard.yaml"
    standard.write_text(standard.read_text().replace("within: 8 business hours", "within: 7 business hours"))
    await wait_until(changed, 10, "the edit in place")
    _settle(policies)
    assert store.current().version == versions[-1]  # settled: the same set, no reload
    urgent = policies / "urgent.yaml"
    (extra / "urgent.yaml").write_text(urgent.read_text())
    urgent.unlink()  # moved into a subfolder: discovery reads both folders
    await wait_until(changed, 10, "the file moved into a subfolder")
    assert len(set(versions)) == 3
    _settle(policies)
    (extra / "urgent.yaml").unlink()
    await wait_until(changed, 10, "the file removed")
    assert "urgent" not in {p.name for p in store.current().policy_set.policies}


async def test_a_config_map_update_is_seen(tmp_path: Path) -> None:
    """Kubernetes updates a mounted ConfigMap by writing a new hidden folder and switching the
    ``..data`` link to it: the files' own links stay, their targets change."""
    policies = _copy(tmp_path)
    first = policies / "..2026_12_01_00_00_00.000000001"
    first.mkdir()
    for file in list(policies.glob("*.yaml")):
        shutil.move(file, first / file.name)
        file.symlink_to(Path("..data") / file.name)
    (policies / "..data").symlink_to(first.name)
    _settle(policies)
    store = PolicyStore([policies], settled_ns=0)
    before = store.current().version
    second = policies / "..2026_12_02_00_00_00.000000001"
    shutil.copytree(first, second)
    standard = second / "standard.yaml"
    standard.write_text(standard.read_text().replace("within: 8 business hours", "within: 5 business hours"))
    (policies / "..data_tmp").symlink_to(second.name)
    os.replace(policies / "..data_tmp", policies / "..data")
    shutil.rmtree(first)
    await wait_until(lambda: store.current().version != before, 10, "the new ConfigMap")


async def test_a_file_added_with_the_folders_mtime_set_back_is_seen(tmp_path: Path) -> None:
    """A release extracted with fixed mtimes (``tar --mtime``, ``cp -p``, ``rsync -a`` of one)
    adds a file and leaves the folder's mtime as it was; so does a same-size edit. The folder's
    and the file's change times still move: both are taken at the next look (review of durable7:
    the mtime-based store never found the new file)."""
    policies = _copy(tmp_path)
    _settle(policies)
    store = PolicyStore([policies], settled_ns=0)
    before = store.current()
    kept = os.stat(policies)
    urgent = policies / "urgent.yaml"
    (policies / "later.yaml").write_text(urgent.read_text().replace("name: urgent", "name: later"))
    os.utime(policies, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert os.stat(policies).st_mtime_ns == kept.st_mtime_ns
    await wait_until(
        lambda: "later" in {p.name for p in store.current().policy_set.policies}, 10, "the new file"
    )
    changed = store.current().version
    assert changed != before.version
    standard = policies / "standard.yaml"
    old = os.stat(standard)
    standard.write_text(standard.read_text().replace("within: 8 business hours", "within: 7 business hours"))
    os.utime(standard, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(standard).st_size == old.st_size
    await wait_until(lambda: store.current().version != changed, 10, "the same-size edit")


def test_a_named_path_that_does_not_exist_is_an_error_naming_it(tmp_path: Path) -> None:
    """``SERVICEFLOW_POLICIES='["<dir>/policies","<dir>/workflowz"]'`` started a worker without
    the journeys: the misspelt folder was dropped without a word."""
    policies = _copy(tmp_path)
    with pytest.raises(PolicyPathError, match="no such file or directory: .*workflowz") as raised:
        PolicyStore([policies, tmp_path / "workflowz"])
    assert "SERVICEFLOW_POLICIES" in str(raised.value)


def test_the_defaults_may_lack_workflows_but_not_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicySetError, match=r"found in policies, workflows \(none of them exists\)"):
        PolicyStore([Path("policies"), Path("workflows")])  # an empty folder: both named
    _copy(tmp_path)
    store = PolicyStore([Path("policies"), Path("workflows")])  # a project without journeys
    assert store.paths == [Path("policies")] and store.current().policy_set.policies


def test_a_folder_without_policies_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolicySetError, match=f"no policy files \\(\\*.yaml\\) found in {tmp_path / 'empty'}"):
        PolicyStore([tmp_path / "empty"])
