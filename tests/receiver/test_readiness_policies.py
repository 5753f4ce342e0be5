"""``/readyz`` of a receiver whose policy set cannot load says what to fix, over real HTTP on
127.0.0.1 (attack14 F10). Before it said only "policies: 1 problem(s)", and for policy paths none
of which exists (run outside the project, a typo in SERVICEFLOW_POLICIES) that one problem was
"no policy files (*.yaml) found in " with no path."""

from __future__ import annotations

from pathlib import Path

import httpx

from serviceflow.durable.settings import Settings
from serviceflow.fakes.server import free_port
from serviceflow.receiver.server import receiver_for, serving

WITHIN = 20.0


async def problems(settings: Settings) -> list[str]:
    port = free_port()
    async with serving(receiver_for(settings, require_account=False), "127.0.0.1", port):
        async with httpx.AsyncClient(timeout=WITHIN) as http:
            answer = await http.get(f"http://127.0.0.1:{port}/readyz")
    assert answer.status_code == 503
    found: list[str] = answer.json()["problems"]
    return found


async def test_policy_paths_that_do_not_exist_are_named(tmp_path: Path) -> None:
    settings = Settings(temporal_address="127.0.0.1:1", policies=[tmp_path / "nowhere", tmp_path / "typo"])
    found = await problems(settings)
    paths = f"{tmp_path / 'nowhere'}, {tmp_path / 'typo'}"
    assert f"policies: no such file or directory: {paths} (SERVICEFLOW_POLICIES)" in found


async def test_a_misspelt_path_beside_one_that_exists_is_named(tmp_path: Path) -> None:
    """The policy store refuses a named path that does not exist (it dropped it before): its
    refusal is the problem, never an error out of the check (a 500)."""
    (tmp_path / "policies").mkdir()
    settings = Settings(
        temporal_address="127.0.0.1:1", policies=[tmp_path / "policies", tmp_path / "workflowz"]
    )
    found = await problems(settings)
    (policies,) = [p for p in found if p.startswith("policies: ")]
    assert policies.startswith(f"policies: no such file or directory: {tmp_path / 'workflowz'} "), policies


async def test_a_broken_policy_file_is_named_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "broken.yaml").write_text("apiVersion: serviceflow/v1\nkind: [\n")
    found = await problems(Settings(temporal_address="127.0.0.1:1", policies=[tmp_path / "policies"]))
    (policies,) = [p for p in found if p.startswith("policies: ")]
    assert policies.startswith("policies: 1 problem(s); first: ") and "broken.yaml:" in policies, policies
