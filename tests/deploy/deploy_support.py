"""What the deploy files are held against: the code's settings, commands, ports, health paths
and metric names, and parsers for the files themselves."""

from __future__ import annotations

import json
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import click
import typer
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "serviceflow.json"

_PROMQL_WORDS = {
    "sum", "rate", "irate", "increase", "max", "min", "avg", "count", "by", "without", "histogram_quantile",
    "topk", "bottomk", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
    "clamp_min", "clamp_max", "abs", "delta", "deriv", "time", "vector", "scalar", "le", "bool",
    "sum_over_time", "max_over_time", "avg_over_time", "label_replace", "absent", "changes", "resets",
}  # fmt: skip


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@cache
def settings_variables() -> frozenset[str]:
    from serviceflow.cli.settings_catalog import variable_names

    return frozenset(variable_names())


def cli_command(*path: str) -> click.Command:
    """The click command at ``path`` (``("case", "list")``), or an AssertionError naming it."""
    from serviceflow.cli import app

    command: click.Command = typer.main.get_command(app)
    for name in path:
        commands = getattr(command, "commands", None)
        assert commands is not None, f"{command.name} has no subcommands"
        found = commands.get(name)
        assert found is not None, f"serviceflow has no command {' '.join(path)!r}"
        command = found
    return command


def check_cli_arguments(arguments: list[str]) -> click.Command:
    """``arguments`` (after ``serviceflow``) name a real command and only its real options."""
    words = [a for a in arguments if not a.startswith("-")]
    path: list[str] = []
    from serviceflow.cli import app

    group: click.Command = typer.main.get_command(app)
    for word in words:
        commands = getattr(group, "commands", {})  # typer's group (it vendors click)
        if word in commands:
            path.append(word)
            group = commands[word]
        else:
            break
    command = cli_command(*path) if path else group
    assert path, f"no serviceflow command in {arguments}"
    options = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    for argument in arguments:
        if argument.startswith("-"):
            flag = argument.split("=", 1)[0]
            assert flag in options, f"serviceflow {' '.join(path)} has no option {flag}"
    return command


def option_value(arguments: list[str], flag: str) -> str | None:
    for i, argument in enumerate(arguments):
        if argument == flag and i + 1 < len(arguments):
            return arguments[i + 1]
        if argument.startswith(flag + "="):
            return argument.split("=", 1)[1]
    return None


def receiver_paths() -> set[str]:
    from serviceflow.receiver.app import Receiver

    app = Receiver(connect=None, task_queue="x").app()  # type: ignore[arg-type]
    return {route.path for route in app.routes}  # type: ignore[attr-defined]


def worker_paths() -> set[str]:
    from serviceflow.durable.health import HEALTH_PATHS

    return set(HEALTH_PATHS)


def code_metric_names() -> set[str]:
    """Every series name serviceflow's registries expose (counters with _total, histograms with
    _bucket/_sum/_count), collected from the registries the worker and the receiver build."""
    from prometheus_client import CollectorRegistry

    from serviceflow.durable.metrics import WorkerMetrics
    from serviceflow.durable.open_cases import OpenCases
    from serviceflow.durable.reconcile_activities import ReconcileMetrics
    from serviceflow.outcomes.activity import OutcomeActivities
    from serviceflow.outcomes.store import OutcomeStore
    from serviceflow.receiver.metrics import ReceiverMetrics

    worker = WorkerMetrics()
    # What the worker adds to its registry (durable/worker.py): open cases, reconcile, outcomes.
    OpenCases(worker.registry)
    ReconcileMetrics(worker.registry)
    with tempfile.TemporaryDirectory() as folder:  # the store is never opened: only its metrics
        OutcomeActivities(OutcomeStore(f"sqlite:///{folder}/outcomes.sqlite3"), registry=worker.registry)
    registries: list[CollectorRegistry] = [worker.registry, ReceiverMetrics().registry]
    names = set()
    for registry in registries:
        for family in registry.collect():
            names |= series_names(family.name, family.type)
    return names


def series_names(name: str, kind: str) -> set[str]:
    if kind == "counter":
        return {f"{name}_total", f"{name}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
    return {name}


def metric_names_defined_in_source() -> set[str]:
    """Metric names written in the source next to a prometheus_client constructor."""
    found = set()
    for path in (REPO / "src" / "serviceflow").rglob("*.py"):
        text = path.read_text()
        if "prometheus_client" not in text:
            continue
        found |= set(re.findall(r'(?:Counter|Gauge|Histogram|Summary)\(\s*"(serviceflow_[a-z_]+)"', text))
    return found


def exposed_names(exposition: str) -> set[str]:
    """Series names in a Prometheus text exposition."""
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def dashboard_queries(dashboard: Path = DASHBOARD) -> list[str]:
    data = json.loads(dashboard.read_text())
    return [target["expr"] for panel in data["panels"] for target in panel.get("targets", [])]


def promql_metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions,
    keywords, label names (inside braces or by/without lists) or range/offset durations."""
    text = re.sub(r"\{[^}]*\}", "", expression)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r'"[^"]*"', "", text)  # string arguments (label_replace)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        rest = text[match.end() :].lstrip()
        if word in _PROMQL_WORDS or rest.startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]", word) or word.startswith("$"):
            continue
        names.add(word)
    return names


def dashboard_metric_names(dashboard: Path = DASHBOARD) -> set[str]:
    names = set()
    for query in dashboard_queries(dashboard):
        names |= promql_metric_names(query)
    return names
