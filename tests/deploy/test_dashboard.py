"""The Grafana dashboard queries only metrics the code exports: serviceflow's are collected from
the worker's and the receiver's registries; the Temporal SDK's are scraped from a real worker in
test_sdk_and_worker_metrics.py."""

from __future__ import annotations

import json

import pytest
from deploy_support import (
    DASHBOARD,
    code_metric_names,
    dashboard_metric_names,
    dashboard_queries,
    metric_names_defined_in_source,
    promql_metric_names,
)


def test_every_serviceflow_metric_the_dashboard_queries_is_exported() -> None:
    queried = {n for n in dashboard_metric_names() if not n.startswith("temporal_")}
    assert queried, "the dashboard queries nothing"
    missing = queried - code_metric_names()
    assert not missing, f"the dashboard queries metrics no registry exports: {sorted(missing)}"


def test_the_registries_collected_are_all_the_code_defines() -> None:
    """A metric defined in a module whose registry the check above does not collect would
    escape it: every name written beside a prometheus_client constructor is collected."""
    collected = {_family(n) for n in code_metric_names()}
    defined = {_family(n) for n in metric_names_defined_in_source()}
    assert defined <= collected, sorted(defined - collected)


def _family(series: str) -> str:
    for suffix in ("_total", "_created", "_bucket", "_sum", "_count"):
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


@pytest.mark.parametrize(
    "metric",
    [
        "serviceflow_breaches_total", "serviceflow_escalations_total",
        "serviceflow_at_risk_warnings_total", "serviceflow_open_cases",
        "serviceflow_webhook_deliveries_total", "serviceflow_webhook_seconds_bucket",
        "serviceflow_webhook_rejected_total", "serviceflow_actions_total",
        "serviceflow_quarantine_messages",
    ],
)  # fmt: skip
def test_the_dashboard_shows_what_a_support_lead_asks(metric: str) -> None:
    assert metric in dashboard_metric_names()


def test_breaches_and_escalations_are_split_by_policy_and_level() -> None:
    queries = dashboard_queries()
    assert any("serviceflow_breaches_total" in q and "by (policy, rule)" in q for q in queries)
    assert any("serviceflow_escalations_total" in q and "by (policy, level)" in q for q in queries)


def test_panels_have_ids_titles_and_positions() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert all(p["title"] and {"h", "w", "x", "y"} <= p["gridPos"].keys() for p in panels)


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("sum by (policy, rule) (increase(serviceflow_breaches_total[1h]))", {"serviceflow_breaches_total"}),
        (
            "histogram_quantile(0.99, sum by (le, vendor) (rate(serviceflow_webhook_seconds_bucket[5m])))",
            {"serviceflow_webhook_seconds_bucket"},
        ),
        ('max(up{job="worker"}) / on (instance) group_left count(x_total)', {"up", "x_total"}),
        ("sum(rate(a[5m])) or vector(0)", {"a"}),
    ],
)
def test_the_promql_reader_finds_the_metric_names(expression: str, names: set[str]) -> None:
    assert promql_metric_names(expression) == names
