"""The Kubernetes manifests (kustomize), held against the code: commands, variables, ports,
probes, the policies ConfigMap, the HPA and the Service all line up with what the processes do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import (
    DEPLOY,
    REPO,
    check_cli_arguments,
    load_yaml_documents,
    option_value,
    receiver_paths,
    settings_variables,
    worker_paths,
)

from serviceflow.policy.loader import load_policy_set

K8S = DEPLOY / "k8s"
BASE = K8S / "base"
KUSTOMIZATION = yaml.safe_load((BASE / "kustomization.yaml").read_text())
OBJECTS = [doc for name in KUSTOMIZATION["resources"] for doc in load_yaml_documents(BASE / name)]


def objects(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in OBJECTS if o["kind"] == kind}


def generated(name: str, kustomization: dict[str, Any] = KUSTOMIZATION) -> dict[str, Any]:
    return next(g for g in kustomization["configMapGenerator"] if g["name"] == name)


def literals(name: str, kustomization: dict[str, Any] = KUSTOMIZATION) -> dict[str, str]:
    return dict(item.split("=", 1) for item in generated(name, kustomization).get("literals", []))


DEPLOYMENTS = objects("Deployment")
CONTAINERS = {name: d["spec"]["template"]["spec"]["containers"][0] for name, d in DEPLOYMENTS.items()}
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))


def test_every_resource_file_exists_and_parses() -> None:
    for name in KUSTOMIZATION["resources"]:
        assert (BASE / name).is_file()
    assert set(DEPLOYMENTS) == {"serviceflow-worker", "serviceflow-receiver"}
    assert set(objects("Service")) == {"serviceflow-receiver"}
    assert set(objects("HorizontalPodAutoscaler")) == {"serviceflow-receiver"}
    assert set(objects("Secret")) == {"serviceflow-credentials"}


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_containers_run_real_commands_as_non_root(name: str) -> None:
    check_cli_arguments(CONTAINERS[name]["args"])
    pod = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert CONTAINERS[name]["image"] == "serviceflow"  # replaced by the kustomization's images:
    assert any(i["name"] == "serviceflow" for i in KUSTOMIZATION["images"])


def every_variable_set() -> dict[str, str]:
    found = dict(literals("serviceflow-settings"))
    found |= objects("Secret")["serviceflow-credentials"]["stringData"]
    for container in CONTAINERS.values():
        found |= {e["name"]: e.get("value", "") for e in container.get("env", [])}
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
        found |= literals("serviceflow-settings", kustomization)
        for patch in kustomization.get("patches", []):
            for op in yaml.safe_load(patch["patch"]):
                found[op["path"].rsplit("/", 1)[1]] = op.get("value", "")
    return found


def test_every_variable_set_anywhere_is_a_setting() -> None:
    variables = every_variable_set()
    unknown = {v for v in variables if v.startswith("SERVICEFLOW_")} - settings_variables()
    assert not unknown, sorted(unknown)
    assert all(v.startswith("SERVICEFLOW_") for v in variables)


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_both_deployments_read_the_settings_and_the_credentials(name: str) -> None:
    sources = CONTAINERS[name]["envFrom"]
    assert {"configMapRef": {"name": "serviceflow-settings"}} in sources
    assert {"secretRef": {"name": "serviceflow-credentials"}} in sources


def ports(container: dict[str, Any]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container["ports"]}


def test_probes_ask_health_paths_the_processes_serve_on_their_ports() -> None:
    worker, receiver = CONTAINERS["serviceflow-worker"], CONTAINERS["serviceflow-receiver"]
    worker_port = int(next(e["value"] for e in worker["env"] if e["name"] == "SERVICEFLOW_METRICS_PORT"))
    receiver_port = int(option_value(receiver["args"], "--port") or 0)
    for container, port, paths in (
        (worker, worker_port, worker_paths()),
        (receiver, receiver_port, receiver_paths()),
    ):
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
        for probe in ("livenessProbe", "readinessProbe"):
            named = container[probe]["httpGet"]["port"]
            assert ports(container)[named] == port
    sdk = int(literals("serviceflow-settings")["SERVICEFLOW_TEMPORAL_METRICS_PORT"])
    assert ports(worker)["sdk-metrics"] == sdk == ports(receiver)["sdk-metrics"]
    worker_annotations = DEPLOYMENTS["serviceflow-worker"]["spec"]["template"]["metadata"]["annotations"]
    assert int(worker_annotations["prometheus.io/port"]) == worker_port


def test_the_service_and_the_hpa_point_at_the_receiver() -> None:
    service = objects("Service")["serviceflow-receiver"]
    receiver = DEPLOYMENTS["serviceflow-receiver"]
    labels = receiver["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] in ports(CONTAINERS["serviceflow-receiver"])
    hpa = objects("HorizontalPodAutoscaler")["serviceflow-receiver"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "serviceflow-receiver",
    }
    assert CONTAINERS["serviceflow-receiver"]["resources"]["requests"]["cpu"]  # the HPA's CPU % needs it
    assert hpa["spec"]["minReplicas"] >= 2


def policy_files() -> dict[str, Path]:
    """The ConfigMap's keys and the repository files they come from."""
    found = {}
    for item in generated("serviceflow-policies")["files"]:
        key, _, source = item.partition("=")
        found[key] = (BASE / source).resolve()
    return found


def test_the_policies_configmap_holds_every_shipped_policy_and_journey() -> None:
    files = policy_files()
    for key, path in files.items():
        assert path.is_file(), f"{key} comes from {path}, which does not exist"
    shipped = {p.resolve() for folder in ("policies", "workflows") for p in (REPO / folder).glob("*.yaml")}
    assert set(files.values()) == shipped, "a policy file is missing from the ConfigMap (or one is extra)"
    load_policy_set(list(files.values()))  # the set the pods load is a valid one


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_the_pods_load_exactly_the_mounted_policy_files(name: str) -> None:
    mounts = {m["name"]: m["mountPath"] for m in CONTAINERS[name]["volumeMounts"]}
    volumes = {v["name"]: v for v in DEPLOYMENTS[name]["spec"]["template"]["spec"]["volumes"]}
    policy_volume = next(
        n for n, v in volumes.items() if v.get("configMap", {}).get("name") == "serviceflow-policies"
    )
    folder = mounts[policy_volume]
    configured = json.loads(literals("serviceflow-settings")["SERVICEFLOW_POLICIES"])
    # The folder the ConfigMap is mounted at (the loader skips the volume's hidden ..data copies).
    assert configured == [folder]
    assert policy_files()  # and the ConfigMap holds the shipped files (checked above)


def test_the_overlays_point_at_a_temporal_cluster_or_temporal_cloud() -> None:
    addresses = {}
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
        assert kustomization["resources"] == ["../../base"]
        addresses[overlay.name] = literals("serviceflow-settings", kustomization)[
            "SERVICEFLOW_TEMPORAL_ADDRESS"
        ]
    assert addresses["self-hosted"].startswith("temporal-frontend.") and addresses["self-hosted"].endswith(
        ":7233"
    )
    assert addresses["temporal-cloud"].endswith(".api.temporal.io:7233")
