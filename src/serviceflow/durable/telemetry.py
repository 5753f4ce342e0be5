"""The Temporal SDK's own metrics, exported for Prometheus beside serviceflow's.

The SDK's core keeps its metrics (workflow and activity task latencies, slots, pollers, RPC
requests and failures) in a :class:`temporalio.runtime.Runtime`; with ``TelemetryConfig(metrics=
PrometheusConfig(bind_address=...))`` it serves them itself on ``/metrics`` of that address
(python.temporal.io, ``temporalio.runtime.PrometheusConfig``). A runtime is made once per
process and port: clients made later (the receiver reconnects) share it.

The names follow Prometheus conventions (``_total`` on counters, units as suffixes, durations in
seconds), as the SDK dashboard of temporalio/samples-server (compose/deployment/grafana/
dashboards/sdk.json) expects: ``temporal_workflow_task_execution_latency_seconds_bucket``.
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

_runtimes: dict[str, Runtime] = {}


def sdk_runtime(port: int | None, host: str = "0.0.0.0") -> Runtime | None:
    """The runtime that serves the SDK's metrics on ``host:port``; None (the SDK's default
    runtime, no metrics served) when no port is set."""
    if port is None:
        return None
    address = f"{host}:{port}"
    if address not in _runtimes:
        _runtimes[address] = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(
                    bind_address=address,
                    counters_total_suffix=True,
                    unit_suffix=True,
                    durations_as_seconds=True,
                )
            )
        )
    return _runtimes[address]
