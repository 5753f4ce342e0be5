"""A plugin's ``SERVICEFLOW_*`` variable with a value its settings class refuses is a usage error
naming the variable (exit 2), from the real CLI in a subprocess (attack14 F2). Before:

- ``serve`` printed its address, then "serviceflow failed unexpectedly: ValidationError: 1
  validation error for ZendeskSettings ... (a bug: please report it ...)" over four lines, exit 1;
- ``worker`` started, and every reconcile or quarantine activity for that helpdesk failed with a
  traceback in its log, retried for ever;
- ``backtest zendesk:acme`` failed "unexpectedly" as ``serve`` did.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from lab_support import cli, without_settings

REPO = Path(__file__).resolve().parents[2]
POLICIES = f'["{REPO / "policies"}", "{REPO / "workflows"}"]'
ZENDESK = {
    "SERVICEFLOW_ZENDESK_SUBDOMAIN": "acme",
    "SERVICEFLOW_ZENDESK_EMAIL": "agent@example.com",
    "SERVICEFLOW_ZENDESK_API_TOKEN": "not-a-real-token",
    "SERVICEFLOW_ZENDESK_WEBHOOK_SECRET": "not-a-real-secret",
}
# (variable, value, what the error says of it)
BAD: list[tuple[str, str, str]] = [
    (
        "SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS",
        "-1",
        "error: SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS: Input should be greater than 0 (got '-1')",
    ),
    (
        "SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS",
        "soon",
        "error: SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS: Input should be a valid number",
    ),
    (
        "SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES",
        "pending=6",
        "error: SERVICEFLOW_FRESHDESK_CUSTOM_STATUSES: not valid JSON",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(tmp_path: Path, variable: str, value: str, *command: str) -> subprocess.CompletedProcess[str]:
    env = (
        without_settings()
        | ZENDESK
        | {
            variable: value,
            "SERVICEFLOW_POLICIES": POLICIES,
            # Nothing listens there: a command that got as far as connecting would exit 3, not 2.
            "SERVICEFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
        }
    )
    return cli(*command, env=env, cwd=tmp_path)


COMMANDS = {
    "worker": lambda: ["worker", "--reconcile", '["zendesk:acme"]'],
    "serve": lambda: ["serve", "--port", str(free_port())],
    "backtest": lambda: ["backtest", "zendesk:acme"],
}


# A backtest of a Zendesk account reads no Freshdesk setting.
RUNS = [
    (command, *bad)
    for command in sorted(COMMANDS)
    for bad in BAD
    if command != "backtest" or bad[0].startswith("SERVICEFLOW_ZENDESK_")
]


@pytest.mark.parametrize(
    ("command", "variable", "value", "message"), RUNS, ids=[f"{c}-{v}={x}" for c, v, x, _ in RUNS]
)
def test_a_plugin_setting_it_refuses_names_its_variable(
    tmp_path: Path, command: str, variable: str, value: str, message: str
) -> None:
    done = _run(tmp_path, variable, value, *COMMANDS[command]())
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert message in done.stderr, done.stderr
    assert "failed unexpectedly" not in done.stderr and "Traceback" not in done.stderr
    assert "validation error for" not in done.stderr  # pydantic's own report, four lines of it
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr


def test_a_valid_plugin_setting_is_not_refused(tmp_path: Path) -> None:
    # The same worker with a valid value gets as far as Temporal: exit 3, it cannot be reached.
    done = _run(tmp_path, "SERVICEFLOW_ZENDESK_WEBHOOK_TOLERANCE_SECONDS", "60", *COMMANDS["worker"]())
    assert done.returncode == 3, done.stderr
    assert "cannot reach Temporal at 127.0.0.1:1" in done.stderr
