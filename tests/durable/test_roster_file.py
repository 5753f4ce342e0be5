"""A roster file (``--roster``, ``SERVICEFLOW_ROSTER``) is read with the policy files' bounds: no
file hangs, exhausts memory or shows a traceback; every problem names ``file:line:col`` and the
field, never the value (attack findings on main, 2026-12-04)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.durable.roster_source import RosterFileError, RosterSource, load_roster_file

HERE = Path(__file__).resolve().parent
POLICIES = HERE.parents[1] / "policies"
BACKTEST = HERE.parent / "backtest"
runner = CliRunner()
BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    + "".join(f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "agents: *i\n"
)


def _fails(path: Path) -> str:
    with pytest.raises(RosterFileError) as caught:
        load_roster_file(path)
    return str(caught.value)


def test_an_alias_bomb_stops_at_the_values_limit(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(BOMB)
    assert "more than 100000 values once aliases are expanded" in _fails(path)


def test_a_device_is_refused_not_read() -> None:
    message = _fails(Path("/dev/zero"))
    assert message == "/dev/zero:1:1: a device, not a roster file; only regular files are read"


def test_a_tab_and_deep_nesting_name_the_line(tmp_path: Path) -> None:
    tab = tmp_path / "tab.yaml"
    tab.write_text("agents: [\n  {id: a\n\tb: c\n")
    assert _fails(tab).startswith(f"{tab}:3:1: YAML error: found character '\\t'")
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 5000 + "]" * 5000)
    assert _fails(deep) == f"{deep}:1:65: YAML error: nested more than 64 deep"


def test_a_list_root_and_bad_fields_name_the_field_not_the_value(tmp_path: Path) -> None:
    root = tmp_path / "list.yaml"
    root.write_text("- {id: a}\n")
    assert "a roster is a mapping with 'agents' and 'groups', not a list" in _fails(root)
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents:\n  - {name: secret-value}\n  - {id: a, bogus: 1}\n")
    message = _fails(bad)
    assert f"{bad}:2:5: agents.0: missing required key 'id'" in message
    assert f"{bad}:3:13: agents.1.bogus: unknown key 'bogus'" in message
    assert "secret-value" not in message and "input_value" not in message and "pydantic.dev" not in message


def test_the_worker_source_refuses_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(BOMB)
    with pytest.raises(RosterFileError):
        RosterSource(path, None)


def test_the_backtest_cli_answers_one_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("[" * 5000 + "]" * 5000)
    export = BACKTEST / "policies-a"
    result = runner.invoke(
        app, ["backtest", str(_export(tmp_path)), "--roster", str(path), "--policies", str(export)]
    )
    assert result.exit_code == 2
    assert "nested more than 64 deep" in result.stderr
    assert "unexpectedly" not in result.stderr and "Traceback" not in result.stderr


def test_the_cli_does_not_hang_on_dev_zero(tmp_path: Path) -> None:
    serviceflow = shutil.which("serviceflow", path=str(Path(sys.executable).parent))
    assert serviceflow is not None
    done = subprocess.run(
        [serviceflow, "backtest", str(_export(tmp_path)), "--roster", "/dev/zero"]
        + ["--policies", str(POLICIES)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "a device, not a roster file" in done.stderr


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("")
    return path


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["agents", "groups", "x"]), yaml_values, max_size=3))
def test_any_yaml_gives_a_roster_or_a_roster_error(tmp_path: Path, data: object) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        load_roster_file(path)
    except RosterFileError as exc:
        assert str(exc).startswith(str(path)) and "input_value" not in str(exc)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_give_a_roster_or_a_roster_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(raw)
    try:
        load_roster_file(path)
    except RosterFileError as exc:
        assert str(exc).startswith(str(path))
