"""The scenario shown in the README runs and passes, so the README cannot drift."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from serviceflow.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_readme_scenario_passes(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    scenario = next(b for b in blocks if "kind: Scenario" in b)
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copytree(REPO / "workflows", tmp_path / "workflows")
    (tmp_path / "policies" / "scenarios" / "readme.yaml").write_text(scenario)
    result = CliRunner().invoke(app, ["policy", "test", str(tmp_path / "policies"), "-k", "readme"])
    assert result.exit_code == 0, result.output
    assert "readme-example PASSED" in result.output
