"""Tracing in the deployment files, held against the code (they are parsed, not run): the compose
file's serviceflow services send their spans to the Jaeger service on the port its OTLP/HTTP
receiver listens on, each process under a service name of its own; the image installs the otel
extra; the Kubernetes settings name the tracing settings (commented out) with valid values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from serviceflow.durable.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "deploy" / "compose" / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SERVICEFLOW = {name: s for name, s in SERVICES.items() if s.get("image") == "serviceflow:local"}


def otlp_http_port(service: dict[str, Any]) -> int:
    """The port a Jaeger v2 service's OTLP/HTTP receiver listens on beyond localhost."""
    command = " ".join(service.get("command", []))
    found = re.search(r"receivers\.otlp\.protocols\.http\.endpoint=0\.0\.0\.0:(\d+)", command)
    assert found, f"the OTLP/HTTP receiver listens on localhost only: {command}"
    return int(found.group(1))


def test_every_serviceflow_service_sends_its_spans_to_the_tracing_service() -> None:
    assert SERVICEFLOW
    for name, service in SERVICEFLOW.items():
        environment = service["environment"]
        endpoint = urlsplit(environment["SERVICEFLOW_OTEL_ENDPOINT"])
        assert endpoint.hostname in SERVICES, f"{name}: no service {endpoint.hostname}"
        assert endpoint.port == otlp_http_port(SERVICES[endpoint.hostname])
        Settings(
            otel_endpoint=environment["SERVICEFLOW_OTEL_ENDPOINT"],
            otel_sample_ratio=environment["SERVICEFLOW_OTEL_SAMPLE_RATIO"],
            otel_service_name=environment["SERVICEFLOW_OTEL_SERVICE_NAME"],
        )
        assert endpoint.hostname in service["depends_on"]


def test_the_tracing_service_is_pinned_and_its_ui_published() -> None:
    jaeger = SERVICES["jaeger"]
    assert re.fullmatch(r"jaegertracing/jaeger:\d+\.\d+\.\d+", jaeger["image"])
    assert "16686:16686" in jaeger["ports"]
    assert not any(p.endswith(":4318") for p in jaeger["ports"])  # OTLP stays inside the network


def test_the_worker_and_the_receivers_trace_under_service_names_of_their_own() -> None:
    names = {name: s["environment"]["SERVICEFLOW_OTEL_SERVICE_NAME"] for name, s in SERVICEFLOW.items()}
    commands = {name: s["command"][0] for name, s in SERVICEFLOW.items()}
    by_command: dict[str, set[str]] = {}
    for name, command in commands.items():
        by_command.setdefault(command, set()).add(names[name])
    assert by_command == {"worker": {"serviceflow-worker"}, "serve": {"serviceflow-receiver"}}


def test_the_image_installs_the_otel_extra() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"pip install '\.\[otel\]'", dockerfile)


def test_the_kubernetes_settings_name_the_tracing_settings_with_valid_values() -> None:
    base = REPO / "deploy" / "k8s" / "base"
    text = (base / "kustomization.yaml").read_text()
    commented = dict(re.findall(r"#\s*-\s*(SERVICEFLOW_OTEL_[A-Z_]+)=(\S+)", text))
    assert set(commented) == {"SERVICEFLOW_OTEL_ENDPOINT", "SERVICEFLOW_OTEL_SAMPLE_RATIO"}
    Settings(**{name.removeprefix("SERVICEFLOW_").lower(): value for name, value in commented.items()})
    for manifest, service in (
        ("worker.yaml", "serviceflow-worker"),
        ("receiver.yaml", "serviceflow-receiver"),
    ):
        (deployment,) = [
            d for d in yaml.safe_load_all((base / manifest).read_text()) if d["kind"] == "Deployment"
        ]
        env = {
            e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["SERVICEFLOW_OTEL_SERVICE_NAME"] == service
