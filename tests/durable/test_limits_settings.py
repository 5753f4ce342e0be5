"""Every limit is a named setting: read from SERVICEFLOW_*, bounded, passed where it acts, and
documented in docs/security.md; the worker's metrics listen on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pydantic
import pytest

from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import metrics_address, serve_until
from serviceflow.fakes.server import free_port
from serviceflow.fakes.waiting import eventually
from serviceflow.policy import files, yaml_source
from serviceflow.receiver.limits import ReceiverLimits

REPO = Path(__file__).resolve().parents[2]
RECEIVER_SETTINGS = {
    "receiver_max_body_bytes": ("2048", "max_body_bytes", 2048),
    "receiver_body_timeout": ("3.5", "body_timeout", 3.5),
    "receiver_header_timeout": ("2", "header_timeout", 2.0),
    "receiver_max_connections": ("10", "max_connections", 10),
    "receiver_max_in_flight": ("7", "max_in_flight", 7),
    "receiver_clock_skew": ("60", "clock_skew", timedelta(seconds=60)),
}


def test_each_receiver_limit_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (raw, _, _) in RECEIVER_SETTINGS.items():
        monkeypatch.setenv(f"SERVICEFLOW_{name.upper()}", raw)
    limits = ReceiverLimits.from_settings(Settings())
    for _, attribute, expected in RECEIVER_SETTINGS.values():
        assert getattr(limits, attribute) == expected


@pytest.mark.parametrize("name", sorted(RECEIVER_SETTINGS))
def test_a_limit_out_of_its_range_is_refused(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(f"SERVICEFLOW_{name.upper()}", "-1")
    with pytest.raises(pydantic.ValidationError, match=name):
        Settings()


def test_every_limit_is_documented() -> None:
    text = (REPO / "docs" / "security.md").read_text()
    for name in [*RECEIVER_SETTINGS, "metrics_host"]:
        assert f"SERVICEFLOW_{name.upper()}" in text, name
    for constant in (
        files.MAX_FILE_BYTES, yaml_source.MAX_ALIASES, yaml_source.MAX_DEPTH, yaml_source.MAX_VALUES,
    ):  # fmt: skip
        assert f"{constant:,}" in text or str(constant) in text, constant


async def test_the_worker_metrics_listen_on_loopback_by_default() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    port = free_port()
    address = metrics_address(Settings(metrics_port=port))
    assert address == ("127.0.0.1", port)
    assert metrics_address(Settings()) is None
    assert metrics_address(Settings(metrics_port=port, metrics_host="0.0.0.0")) == ("0.0.0.0", port)

    async def metrics(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    stop = asyncio.Event()
    serving = asyncio.create_task(serve_until(Starlette(routes=[Route("/metrics", metrics)]), address, stop))
    try:
        async with httpx.AsyncClient() as client:

            async def status() -> int:
                return (await client.get(f"http://127.0.0.1:{port}/metrics")).status_code

            assert await eventually(status, timeout=10, what="the metrics endpoint") == 200
    finally:
        stop.set()
        await serving
