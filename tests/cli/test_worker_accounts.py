"""The helpdesk accounts a worker is to watch, reconcile or read its roster from are checked
before it starts: one that is not ``vendor:account`` of an installed plugin is a usage error
naming the variable (exit 2), from the real CLI in a subprocess (attack14 F12). Before, the
worker started, then a quarantine entry without a colon was "serviceflow failed unexpectedly:
ValueError: ... (a bug: please report it)", and an unknown vendor (reconcile, roster) was logged
and skipped while the worker ran on without it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lab_support import cli, without_settings

REPO = Path(__file__).resolve().parents[2]
INSTALLED = "(installed: demo, freshdesk, helpscout, zendesk)"
CASES = [
    ("SERVICEFLOW_QUARANTINE_WATCH", '["zendesk"]', "'zendesk' is not vendor:account (e.g. zendesk:acme)"),
    (
        "SERVICEFLOW_QUARANTINE_WATCH",
        '["nope:acme"]',
        f"no installed plugin serves 'nope' in 'nope:acme' {INSTALLED}",
    ),
    ("SERVICEFLOW_RECONCILE", '["zendesk:"]', "'zendesk:' is not vendor:account (e.g. zendesk:acme)"),
    (
        "SERVICEFLOW_RECONCILE",
        '["nope:acme"]',
        f"no installed plugin serves 'nope' in 'nope:acme' {INSTALLED}",
    ),
    ("SERVICEFLOW_ROSTER_FROM", "nope", "'nope' is not vendor:account (e.g. zendesk:acme)"),
    ("SERVICEFLOW_ROSTER_FROM", "nope:acme", f"no installed plugin serves 'nope' in 'nope:acme' {INSTALLED}"),
]


def worker(tmp_path: Path, variables: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """``serviceflow worker`` with the shipped policies, pointed at a Temporal it never reaches
    (its accounts are checked before it connects)."""
    env = without_settings() | variables
    env |= {"SERVICEFLOW_POLICIES": f'["{REPO / "policies"}"]', "SERVICEFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1"}
    return cli("worker", *options, env=env, cwd=tmp_path)


@pytest.mark.parametrize(("variable", "value", "said"), CASES, ids=[f"{v}={x}" for v, x, _ in CASES])
def test_an_account_the_worker_cannot_serve_is_named(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    done = worker(tmp_path, {variable: value})
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().splitlines() == [f"error: {variable}: {said}"]


def test_a_list_option_given_as_the_json_list_its_help_shows_is_that_list(tmp_path: Path) -> None:
    # The help says "as a JSON list: ["zendesk:acme"]. Repeat the flag for more."; the flag given
    # that JSON list was one entry, '["zendesk:acme"]', for a vendor named '["zendesk'.
    done = worker(tmp_path, {}, "--reconcile", '["zendesk:acme", "nope:x"]')
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().splitlines() == [
        f"error: SERVICEFLOW_RECONCILE: no installed plugin serves 'nope' in 'nope:x' {INSTALLED}"
    ]
