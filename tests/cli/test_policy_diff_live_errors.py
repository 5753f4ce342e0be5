"""``policy diff --live`` when the running cases cannot be read: one line saying why, exit 2
(diff's 1 means "changed"), never a traceback, from the real CLI in a subprocess (attack14 F6).
Before: an invalid Temporal setting (a TLS path that is a folder, an address with a space) and
a namespace Temporal does not know were 95- and 160-line tracebacks, and a frontend that does
not speak gRPC was the SDK's whole tonic error."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from lab_support import cli, dev_server, without_settings

from serviceflow.durable.devserver import DevServer

REPO = Path(__file__).resolve().parents[2]


def _diff(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    policies = str(REPO / "policies")
    env = without_settings() | variables
    return cli("policy", "diff", policies, policies, "--live", env=env, cwd=tmp_path)


def _one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and "tonic" not in done.stderr, done.stderr[-3000:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: cannot read the running cases: "), line
    return line


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("SERVICEFLOW_TEMPORAL_TLS_CA", ".", "SERVICEFLOW_TEMPORAL_TLS_CA: '.' is a folder, not a file"),
        (
            "SERVICEFLOW_TEMPORAL_ADDRESS",
            "bad address",
            "SERVICEFLOW_TEMPORAL_ADDRESS: 'bad address' is empty",
        ),
    ],
)
def test_an_invalid_temporal_setting_is_one_line(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    assert said in _one_error(_diff(tmp_path, **{variable: value}))


def test_a_frontend_that_is_not_temporal_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as listening:  # accepts, then closes: no gRPC spoken there
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        line = _one_error(_diff(tmp_path, SERVICEFLOW_TEMPORAL_ADDRESS=f"127.0.0.1:{port}"))
    assert f"cannot reach Temporal at 127.0.0.1:{port}" in line


async def test_a_namespace_temporal_does_not_know_is_one_line(dev_server: DevServer, tmp_path: Path) -> None:
    done = _diff(
        tmp_path, SERVICEFLOW_TEMPORAL_ADDRESS=dev_server.address, SERVICEFLOW_TEMPORAL_NAMESPACE="no-such-ns"
    )
    assert "no-such-ns" in _one_error(done)


__all__ = ["dev_server"]  # a fixture, used by name
