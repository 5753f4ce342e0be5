"""The CLI answers a person (typer's CliRunner, in this process): every option names its
SERVICEFLOW_* variable, invalid settings and an unreachable Temporal end in one line and an exit
code, and `serviceflow settings` tells what is in effect and where it came from."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.cli.options import env_name, is_secret
from serviceflow.cli.run import SERVE_SETTINGS, WORKER_SETTINGS
from serviceflow.durable.settings import Settings
from serviceflow.fakes.server import free_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SERVICEFLOW_* variable and no .env of the developer's leaks into a test."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("SERVICEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


def help_of(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # help wraps; compare words


@pytest.mark.parametrize(
    ("command", "fields"),
    [
        (("worker",), WORKER_SETTINGS),
        (("serve",), SERVE_SETTINGS),
        (("case", "list"), ()),
        (("case", "show"), ()),
    ],
)
def test_help_names_every_setting_variable(command: tuple[str, ...], fields: tuple[str, ...]) -> None:
    text = help_of(*command)
    for field in fields or ("temporal_address", "temporal_namespace", "roster", "roster_from"):
        assert env_name(field) in text, f"{env_name(field)} missing from {' '.join(command)} --help"
    assert "Temporal address ." not in text  # what the help formatter made of "[env ...]" before


def test_credentials_are_never_options_but_are_named_in_the_help() -> None:
    text = help_of("worker")
    for name, field in Settings.model_fields.items():
        if is_secret(field):
            assert f"--{name.replace('_', '-')}" not in text
            assert env_name(name) in text
    assert "Read from the environment only" in text


def test_an_invalid_setting_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_ROSTER_REFRESH", "-1")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    expected = "error: SERVICEFLOW_ROSTER_REFRESH: Input should be greater than or equal to 1 (got -1.0)"
    assert lines == [expected]


def test_a_list_setting_that_is_not_json_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_QUARANTINE_WATCH", "zendesk:acme")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: SERVICEFLOW_QUARANTINE_WATCH: not valid JSON (lists and maps are JSON")


def test_an_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_TEMPORAL_ADDRESS", "127.0.0.1:1")
    port = free_port()  # nothing listens: both are unreachable, the message names the one used
    result = runner.invoke(app, ["case", "list", "--address", f"127.0.0.1:{port}"])
    assert result.exit_code == 3
    assert f"cannot reach Temporal at 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize(
    "command", [["case", "list"], ["case", "show", "zendesk:acme:1"], ["case", "list", "--json"]]
)
def test_temporal_down_is_one_line_and_exit_status_3(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--address", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach Temporal at 127.0.0.1:")
    assert "Connection refused" in lines[0] and "Traceback" not in result.output


def test_a_host_that_does_not_resolve_is_said_in_words() -> None:
    result = runner.invoke(app, ["case", "list", "--address", "no-such-host.invalid:7233"])
    assert result.exit_code == 3
    assert "the host name does not resolve" in result.output


@pytest.mark.parametrize(
    ("command", "what"),
    [(["serve", "--port", "{port}"], "the webhook receiver (--port)"),
     (["worker", "--metrics-port", "{port}"], "the worker's metrics (SERVICEFLOW_METRICS_PORT)")],
)  # fmt: skip
def test_a_port_in_use_is_one_line(command: list[str], what: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, [arg.format(port=port) for arg in command])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: cannot listen on ") and f":{port} for {what}: " in line


def test_settings_says_where_each_value_came_from(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SERVICEFLOW_TASK_QUEUE=from-the-file\nSERVICEFLOW_ZENDESK_API_TOKEN=zd-secret\n"
    )
    monkeypatch.setenv("SERVICEFLOW_TEMPORAL_API_KEY", "tc-secret-key")
    monkeypatch.setenv("SERVICEFLOW_NOTIFY_URL", "https://hooks.example/T000/B000/secret-path")
    monkeypatch.setenv("SERVICEFLOW_ROSTER_REFRESH", "60")
    monkeypatch.setenv("SERVICEFLOW_TASK_QUEUUE", "typo")
    result = runner.invoke(app, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_name = {row["name"]: row for row in data["settings"]}
    assert by_name["SERVICEFLOW_TASK_QUEUE"] == {
        "name": "SERVICEFLOW_TASK_QUEUE", "value": "from-the-file", "source": ".env file", "secret": False,
        "read_by": "serviceflow",
    }  # fmt: skip
    assert by_name["SERVICEFLOW_ROSTER_REFRESH"]["source"] == "environment"
    assert by_name["SERVICEFLOW_ROSTER_REFRESH"]["value"] == "60.0"
    assert by_name["SERVICEFLOW_TEMPORAL_ADDRESS"] == {
        "name": "SERVICEFLOW_TEMPORAL_ADDRESS", "value": "localhost:7233", "source": "default",
        "secret": False, "read_by": "serviceflow",
    }  # fmt: skip
    assert by_name["SERVICEFLOW_ZENDESK_API_TOKEN"]["read_by"] == "serviceflow_zendesk"
    for secret in ("SERVICEFLOW_TEMPORAL_API_KEY", "SERVICEFLOW_NOTIFY_URL", "SERVICEFLOW_ZENDESK_API_TOKEN"):
        assert by_name[secret]["secret"] and by_name[secret]["value"] == "********"
    assert data["unknown"] == ["SERVICEFLOW_TASK_QUEUUE"]
    table = runner.invoke(app, ["settings", "--all"])
    for secret in ("tc-secret-key", "zd-secret", "secret-path"):
        assert secret not in table.output and secret not in result.output
    assert "SERVICEFLOW_TEMPORAL_TLS_CERT" in table.output  # --all lists what is not set
    assert "SERVICEFLOW_TASK_QUEUUE is set but nothing reads it" in " ".join(table.output.split())


def test_settings_lists_every_field_of_the_core_settings() -> None:
    result = runner.invoke(app, ["settings", "--all", "--json"])
    names = {row["name"] for row in json.loads(result.output)["settings"]}
    assert {env_name(field) for field in Settings.model_fields} <= names


@pytest.mark.parametrize("case_id", ["", "   "])
def test_an_empty_case_id_is_a_usage_error(case_id: str) -> None:
    # attack14: it was "error: Temporal refused: WorkflowId is not set on request. (INVALID_ARGUMENT)".
    result = runner.invoke(app, ["case", "show", case_id, "--address", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "error: give a case id: vendor:account:ticket (`serviceflow case list` lists them)"
    ]
