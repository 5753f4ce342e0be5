"""The worker's HTTP side: Prometheus metrics, and health for a container orchestrator.

- ``GET /metrics``: serviceflow's metrics (the worker's registry);
- ``GET /healthz``: 200 while the process answers (a liveness probe);
- ``GET /readyz``: 200 when Temporal answers a health check and the worker runs; 503 with the
  reasons in words otherwise (a readiness probe).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")


def worker_app(registry: CollectorRegistry, client: Client, running: Callable[[], bool]) -> Starlette:
    async def metrics(request: Request) -> Response:
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        problems = []
        try:
            await asyncio.wait_for(client.service_client.check_health(), timeout=5)
        except Exception as exc:  # any failure to reach Temporal means not ready
            problems.append(f"Temporal does not answer a health check: {exc or type(exc).__name__}")
        if not running():
            problems.append("the worker is not polling its task queue (starting or stopping)")
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    return Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )
