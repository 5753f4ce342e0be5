"""The tracing settings: off (and OpenTelemetry not even imported) unless SERVICEFLOW_OTEL_ENDPOINT
is set; CLI options of `worker` and `serve`; bad values named; a missing extra said in one line;
and, on, spans sent over OTLP/HTTP to a collector stub on 127.0.0.1, sampled by the ratio."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from tracing_support import requires_otel
from typer.testing import CliRunner

from serviceflow import tracing
from serviceflow.cli import app
from serviceflow.durable.settings import Settings

runner = CliRunner()

OFF = """
import sys
import serviceflow.cli, serviceflow.durable.worker, serviceflow.receiver.server, serviceflow.plugins.http
from serviceflow import tracing
from serviceflow.durable.settings import Settings
assert tracing.client_interceptors(Settings()) == [] and not tracing.enabled()
with tracing.span("nothing") as span:
    span.set({"a": 1})
tracing.current().set({"b": 2})
loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
assert not loaded, loaded
"""


def test_unset_tracing_is_off_and_imports_nothing_of_opentelemetry() -> None:
    env = {"PATH": "/usr/bin:/bin", "SERVICEFLOW_LOAD_PLUGINS": ""}
    done = subprocess.run([sys.executable, "-c", OFF], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_the_tracing_settings_are_options_of_the_long_running_commands(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for variable in (
        "SERVICEFLOW_OTEL_ENDPOINT",
        "SERVICEFLOW_OTEL_SERVICE_NAME",
        "SERVICEFLOW_OTEL_SAMPLE_RATIO",
    ):
        assert variable in result.output


@pytest.mark.parametrize(
    ("field", "value"),
    [("otel_endpoint", "collector:4318"), ("otel_endpoint", "http://collector:4318/?q=1"),
     ("otel_sample_ratio", 1.5), ("otel_sample_ratio", -0.1), ("otel_service_name", "")],
)  # fmt: skip
def test_bad_tracing_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_a_bad_endpoint_on_the_command_line_is_one_line_and_status_2() -> None:
    result = runner.invoke(app, ["worker", "--otel-endpoint", "collector:4318"])
    assert result.exit_code == 2
    assert "SERVICEFLOW_OTEL_ENDPOINT" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://otlp.example.com/otlp", "https://otlp.example.com/otlp/v1/traces"),
        ("http://collector:4318/v1/traces", "http://collector:4318/v1/traces"),
    ],
)
def test_the_spans_go_to_the_specs_default_path_under_the_endpoint(endpoint: str, url: str) -> None:
    assert tracing.traces_url(endpoint) == url


def test_an_endpoint_without_the_extra_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(tracing.TracingUnavailable) as missing:
        tracing.configure(Settings(otel_endpoint="http://127.0.0.1:4318"))
    assert "pip install 'serviceflow[otel]'" in str(missing.value)
    assert not tracing.enabled()


@pytest.fixture
def collector() -> Iterator[object]:
    from otlp_collector import CollectorStub

    stub = CollectorStub().start()
    try:
        yield stub
    finally:
        tracing.uninstall()
        stub.stop()


@requires_otel
async def test_spans_reach_an_otlp_collector_with_the_service_name_when_tracing_stops(collector) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(otel_endpoint=collector.endpoint, otel_service_name="serviceflow-test")
    assert tracing.configure(settings) and tracing.enabled()
    with tracing.span("outer", {"serviceflow.case": "zendesk:acme:1"}, kind=tracing.Kind.SERVER):
        with tracing.span("inner"):
            pass
    await tracing.shutdown()  # what a process does before it leaves: nothing queued is lost
    assert not tracing.enabled()
    spans = {span.name: span for span in collector.received()}
    assert set(spans) == {"outer", "inner"}
    assert spans["inner"].parent_span_id == spans["outer"].span_id
    assert spans["outer"].trace_id == spans["inner"].trace_id and spans["outer"].kind == "SERVER"
    assert spans["outer"].service == "serviceflow-test"
    assert spans["outer"].attributes["serviceflow.case"] == "zendesk:acme:1"
    assert collector.requests and set(collector.requests) == {"application/x-protobuf"}


@requires_otel
async def test_a_sample_ratio_of_zero_sends_no_trace(collector) -> None:  # type: ignore[no-untyped-def]
    tracing.configure(Settings(otel_endpoint=collector.endpoint, otel_sample_ratio=0))
    for _ in range(20):
        with tracing.span("webhook", kind=tracing.Kind.SERVER):
            pass
    await tracing.shutdown()
    assert collector.received() == []


@requires_otel
async def test_the_collector_stub_takes_otlp_json_and_refuses_what_the_spec_refuses(collector) -> None:  # type: ignore[no-untyped-def]
    import httpx

    document = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "from-json"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "json",
            "kind": 2, "attributes": [{"key": "n", "value": {"intValue": "3"}}],
        }]}],
    }]}  # fmt: skip
    async with httpx.AsyncClient(base_url=collector.endpoint) as http:
        taken = await http.post("/v1/traces", json=document)
        assert (taken.status_code, taken.headers["content-type"]) == (200, "application/json")
        bad = await http.post(
            "/v1/traces", content=b"\xff\x00", headers={"content-type": "application/x-protobuf"}
        )
        assert bad.status_code == 400
        assert (
            await http.post("/v1/traces", content=b"x", headers={"content-type": "text/plain"})
        ).status_code == 415
        assert (await http.post("/v1/metrics", json={})).status_code == 404
    (span,) = collector.received()
    assert (span.trace_id, span.span_id, span.kind, span.service, span.attributes) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "SERVER",
        "from-json",
        {"n": 3},
    )
