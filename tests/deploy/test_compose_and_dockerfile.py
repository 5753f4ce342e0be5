"""The Dockerfile and the compose file, held against the code (no container runtime here: they
are parsed, not run): every SERVICEFLOW_* variable they set is a setting, every command and
option exists in the CLI, every port lines up from the process to the proxy and Prometheus,
every health check asks a path the process serves, every file they copy or mount exists."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import (
    DASHBOARD,
    DEPLOY,
    REPO,
    check_cli_arguments,
    option_value,
    receiver_paths,
    settings_variables,
    worker_paths,
)

from serviceflow.durable.cases import REQUESTER

COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SERVICEFLOW = {name: s for name, s in SERVICES.items() if s.get("image") == "serviceflow:local"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


# -- the Dockerfile ------------------------------------------------------------------------------


def test_every_file_the_dockerfile_copies_exists() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for keyword, rest in dockerfile_instructions():
        if keyword != "COPY" or "--from=" in rest:
            continue
        *sources, _target = [w for w in shlex.split(rest) if not w.startswith("--")]
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
            assert not any(Path(source).match(p) or source == p for p in ignored), (
                f"{source} is dockerignored"
            )


def test_the_image_is_multi_stage_pinned_and_not_root() -> None:
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+", base), f"{base} is not a pinned version"
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(stages) >= 2 and all(s.startswith("${PYTHON_IMAGE}") for s in stages)
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and not users[-1].startswith(("0", "root"))
    assert any(k == "RUN" and "useradd" in r and "10001" in r for k, r in instructions)


def test_the_image_installs_every_plugin_and_runs_the_cli() -> None:
    instructions = dockerfile_instructions()
    install = next(rest for keyword, rest in instructions if keyword == "RUN" and "pip install" in rest)
    plugins = sorted(d.name for d in (REPO / "plugins").iterdir() if (d / "pyproject.toml").exists())
    assert len(plugins) >= 3
    for plugin in plugins:
        assert f"./plugins/{plugin}" in install
    entrypoint = json.loads(next(rest for keyword, rest in instructions if keyword == "ENTRYPOINT"))
    command = json.loads(next(rest for keyword, rest in instructions if keyword == "CMD"))
    assert entrypoint == ["serviceflow"]
    check_cli_arguments(command)


def test_the_variables_the_image_sets_are_settings_and_name_the_copied_policies() -> None:
    env_line = " ".join(rest for keyword, rest in dockerfile_instructions() if keyword == "ENV")
    variables = dict(re.findall(r"(SERVICEFLOW_[A-Z_]+)='?([^' ]+(?: [^' ]+)*)'?", env_line))
    assert set(variables) <= settings_variables()
    policies = json.loads(re.search(r"SERVICEFLOW_POLICIES='([^']+)'", env_line).group(1))  # type: ignore[union-attr]
    copied = {
        target
        for keyword, rest in dockerfile_instructions()
        if keyword == "COPY"
        for target in rest.split()[-1:]
    }
    assert policies == ["/app/policies", "/app/workflows"] and {"./policies", "./workflows"} <= copied


def test_the_ports_the_image_exposes_are_the_ones_the_processes_use() -> None:
    exposed = {int(p) for k, rest in dockerfile_instructions() if k == "EXPOSE" for p in rest.split()}
    receiver = SERVICES["receiver-1"]
    assert int(option_value(receiver["command"], "--port") or 0) in exposed
    worker_env = SERVICES["worker"]["environment"]
    assert {
        int(worker_env["SERVICEFLOW_METRICS_PORT"]),
        int(worker_env["SERVICEFLOW_TEMPORAL_METRICS_PORT"]),
    } <= exposed


# -- the compose file ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICEFLOW))
def test_serviceflow_services_set_only_real_settings(name: str) -> None:
    environment = SERVICES[name]["environment"]
    unknown = {v for v in environment if v.startswith("SERVICEFLOW_")} - settings_variables()
    assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"
    json.loads(environment["SERVICEFLOW_POLICIES"])  # a JSON list, as the setting reads it


def test_the_example_env_file_names_only_real_settings() -> None:
    names = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (COMPOSE_DIR / "serviceflow.env.example").read_text().splitlines()
        if line.strip().lstrip("# ").startswith("SERVICEFLOW_")
    }
    assert names and names <= settings_variables(), names - settings_variables()


@pytest.mark.parametrize("name", sorted(SERVICEFLOW))
def test_serviceflow_services_run_real_commands(name: str) -> None:
    check_cli_arguments(SERVICES[name]["command"])


def test_a_worker_two_receivers_a_proxy_temporal_on_postgresql_its_ui_prometheus_and_grafana() -> None:
    commands = {name: s["command"][0] for name, s in SERVICEFLOW.items()}
    assert sorted(commands.values()) == ["serve", "serve", "worker"]
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")
    assert SERVICES["temporal"]["environment"]["DB"] == "postgres12"
    assert SERVICES["postgresql"]["image"].startswith("postgres:")
    assert SERVICES["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert SERVICES["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    for service in SERVICES.values():
        image = service.get("image", "")
        assert image and not image.endswith(":latest") and ":" in image, f"{image} is not pinned"


def test_temporal_starts_after_its_schema_and_serviceflow_after_the_namespace() -> None:
    assert (
        SERVICES["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    )
    for name in SERVICEFLOW:
        assert (
            SERVICES[name]["depends_on"]["temporal-namespace"]["condition"]
            == "service_completed_successfully"
        )


def test_the_namespace_setup_creates_the_search_attribute_the_code_uses() -> None:
    script = (COMPOSE_DIR / "temporal" / "setup-namespace.sh").read_text()
    assert f"--name {REQUESTER.name} --type Keyword" in script
    assert (
        SERVICES["temporal-namespace"]["environment"]["SERVICEFLOW_NAMESPACE"]
        == (SERVICES["worker"]["environment"]["SERVICEFLOW_TEMPORAL_NAMESPACE"])
    )


def test_serviceflow_reaches_the_temporal_service_on_its_port() -> None:
    temporal_ports = {p.split(":")[-1] for p in SERVICES["temporal"]["ports"]}
    for name in SERVICEFLOW:
        host, _, port = SERVICES[name]["environment"]["SERVICEFLOW_TEMPORAL_ADDRESS"].partition(":")
        assert host == "temporal" and port in temporal_ports


def test_every_file_the_compose_file_mounts_or_runs_exists() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_DIR / source).exists(), f"{name} mounts {source}, which does not exist"
        entrypoint = service.get("entrypoint") or []
        for word in entrypoint:
            if word.startswith("/setup/"):
                assert (COMPOSE_DIR / "temporal" / word.removeprefix("/setup/")).is_file()
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    local = home.replace("/var/lib/grafana/dashboards", "../grafana/dashboards")
    assert (COMPOSE_DIR / local).resolve() == DASHBOARD.resolve()


def test_health_checks_ask_paths_the_processes_serve_on_their_ports() -> None:
    worker_port = SERVICES["worker"]["environment"]["SERVICEFLOW_METRICS_PORT"]
    checks = {
        "worker": (worker_port, worker_paths()),
        "receiver-1": (option_value(SERVICES["receiver-1"]["command"], "--port"), receiver_paths()),
        "receiver-2": (option_value(SERVICES["receiver-2"]["command"], "--port"), receiver_paths()),
    }
    for name, (port, paths) in checks.items():
        test = " ".join(SERVICES[name]["healthcheck"]["test"])
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", test)
        assert url, test
        assert url.group(1) == port and url.group(2) in paths, f"{name} checks {url.group(0)}"


def test_the_proxy_spreads_webhooks_over_both_receivers_on_their_port() -> None:
    conf = (COMPOSE_DIR / "nginx" / "nginx.conf").read_text()
    upstream = set(re.findall(r"server ([\w-]+):(\d+)", conf))
    receivers = {(n, option_value(SERVICES[n]["command"], "--port")) for n in ("receiver-1", "receiver-2")}
    assert upstream == receivers
    assert "location /webhooks/" in conf and "/webhooks/{vendor}" in receiver_paths()
    listen = re.search(r"listen (\d+);", conf).group(1)  # type: ignore[union-attr]
    assert any(p.endswith(f":{listen}") for p in SERVICES["proxy"]["ports"])


def test_prometheus_scrapes_every_serviceflow_process_where_it_serves_metrics() -> None:
    config = yaml.safe_load((COMPOSE_DIR / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    worker = SERVICES["worker"]["environment"]
    expected = {f"worker:{worker['SERVICEFLOW_METRICS_PORT']}"}
    for name in SERVICEFLOW:
        expected.add(f"{name}:{SERVICES[name]['environment']['SERVICEFLOW_TEMPORAL_METRICS_PORT']}")
        port = option_value(SERVICES[name]["command"], "--port")
        if port:
            expected.add(f"{name}:{port}")  # the receiver serves /metrics on its own port
    assert expected <= targets, expected - targets
    assert "/metrics" in receiver_paths() and "/metrics" in worker_paths()
    assert f"temporal:{SERVICES['temporal']['environment']['PROMETHEUS_ENDPOINT'].split(':')[1]}" in targets


def test_grafana_is_provisioned_with_the_dashboard_and_the_datasource_it_uses() -> None:
    grafana = DEPLOY / "grafana"
    providers = yaml.safe_load((grafana / "provisioning" / "dashboards" / "serviceflow.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert "../grafana/dashboards:/var/lib/grafana/dashboards:ro" in SERVICES["grafana"]["volumes"]
    sources = yaml.safe_load((grafana / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    dashboard = json.loads(DASHBOARD.read_text())
    used = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}
    assert used <= uids
    assert sources["datasources"][0]["url"] == "http://prometheus:9090"
    assert any(p.endswith(":9090") for p in SERVICES["prometheus"]["ports"])
