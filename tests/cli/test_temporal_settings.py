"""Temporal connection settings that cannot work are usage errors naming their variable (exit 2),
from the real CLI in a subprocess: they were "serviceflow failed unexpectedly ... a bug" when the
SDK's connect met them (a missing or folder TLS path, an empty, non-UTF-8 or unparsable address,
a non-UTF-8 API key: attack11 F7). The environment is passed as bytes, as a shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from serviceflow.fakes.server import free_port

CASES: list[tuple[bytes, bytes, str]] = [
    (
        b"SERVICEFLOW_TEMPORAL_TLS_CA",
        b"-1",
        "SERVICEFLOW_TEMPORAL_TLS_CA: no such file '-1'; set it to a PEM",
    ),
    (b"SERVICEFLOW_TEMPORAL_TLS_CA", b"", "SERVICEFLOW_TEMPORAL_TLS_CA: '.' is a folder, not a file"),
    (
        b"SERVICEFLOW_TEMPORAL_TLS_CERT",
        b"missing.pem",
        "SERVICEFLOW_TEMPORAL_TLS_CERT: no such file 'missing.pem'",
    ),
    (b"SERVICEFLOW_TEMPORAL_TLS_KEY", b"", "SERVICEFLOW_TEMPORAL_TLS_KEY: '.' is a folder, not a file"),
    (
        b"SERVICEFLOW_TEMPORAL_ADDRESS",
        b"",
        "SERVICEFLOW_TEMPORAL_ADDRESS: '' is empty or has spaces; set it to a host:port",
    ),
    (
        b"SERVICEFLOW_TEMPORAL_ADDRESS",
        b"\xff\xfe",
        "SERVICEFLOW_TEMPORAL_ADDRESS: not UTF-8 text; set it to a host:port",
    ),
    (b"SERVICEFLOW_TEMPORAL_ADDRESS", b"[{", "SERVICEFLOW_TEMPORAL_ADDRESS: '[{' is not host:port"),
    (
        b"SERVICEFLOW_TEMPORAL_ADDRESS",
        b"localhost:99999",
        "SERVICEFLOW_TEMPORAL_ADDRESS: 'localhost:99999' is not host:port",
    ),
    (
        b"SERVICEFLOW_TEMPORAL_API_KEY",
        b"\xff\xfe",
        "SERVICEFLOW_TEMPORAL_API_KEY: not UTF-8 text; set it to the key",
    ),
    (
        b"SERVICEFLOW_TEMPORAL_API_KEY",
        b"two words",
        "SERVICEFLOW_TEMPORAL_API_KEY: empty or has spaces or control",
    ),
]


def _run(tmp_path: Path, name: bytes, value: bytes, *command: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"SERVICEFLOW_")}
    env[name] = value
    return subprocess.run(
        [sys.executable, "-m", "serviceflow", *command],
        env=env,
        cwd=tmp_path,  # no .env, no policies: the settings are read first
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"), CASES, ids=[f"{n.decode()}={v!r}" for n, v, _ in CASES]
)
def test_a_temporal_setting_that_cannot_work_names_its_variable(
    tmp_path: Path, name: bytes, value: bytes, message: str
) -> None:
    done = _run(tmp_path, name, value, "worker")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "failed unexpectedly" not in done.stderr and "Traceback" not in done.stderr
    if name.endswith(b"API_KEY"):
        assert "words" not in done.stderr and "\\udc" not in done.stderr  # a credential is never shown


@pytest.mark.parametrize(
    ("name", "value"),
    [(b"SERVICEFLOW_TEMPORAL_API_KEY", b""), (b"SERVICEFLOW_TEMPORAL_TLS_CA", b"ca.pem")],
    ids=["empty API key: not set", "a TLS file that exists"],
)
def test_a_setting_that_can_work_is_taken(tmp_path: Path, name: bytes, value: bytes) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    done = _run(tmp_path, name, value, "worker")
    # The settings are taken: the worker goes on to its policies, and this folder has none
    # (a usage error naming SERVICEFLOW_POLICIES, tests/cli/test_policies_missing.py).
    assert done.returncode == 2, done.stderr
    assert "error: no policies at policies, workflows" in done.stderr and name.decode() not in done.stderr


@pytest.mark.parametrize(
    ("name", "command"),
    [
        (b"SERVICEFLOW_TASK_QUEUE", "serve"),
        (b"SERVICEFLOW_TASK_QUEUE", "worker"),
        (b"SERVICEFLOW_TEMPORAL_NAMESPACE", "serve"),
        (b"SERVICEFLOW_TEMPORAL_NAMESPACE", "worker"),
    ],
)
@pytest.mark.parametrize("value", [b"", b"  "], ids=["empty", "blank"])
def test_an_empty_task_queue_or_namespace_is_a_usage_error(
    tmp_path: Path, name: bytes, command: str, value: bytes
) -> None:
    """attack14 F9: ``SERVICEFLOW_TASK_QUEUE=`` (an unset variable in a manifest) let ``serve``
    start and answer every signed delivery 400 "refused_by_temporal: missing task queue name", a
    4xx the helpdesk does not deliver again (the deliveries were lost), and ``worker`` start
    polling the queue ""; an empty namespace was "Temporal refused: Namespace is empty"."""
    port = ["--port", str(free_port())] if command == "serve" else []
    done = _run(tmp_path, name, value, command, *port)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {name.decode()}: {value.decode()!r} is empty; set it to a name, or unset it for the default"
    ]
