"""serviceflow.plugins.http: the retry policy over real HTTP on 127.0.0.1, errors, the client cache."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serviceflow.fakes.faults import Fault, FaultPlan
from serviceflow.fakes.server import ServerThread
from serviceflow.plugins import http

log = logging.getLogger("test_plugin_http")


class _Flaky:
    """Answers queued faults first, then 200."""

    def __init__(self) -> None:
        self.faults = FaultPlan()
        self.hits = 0
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "PUT"])])

    async def handle(self, request: Request) -> Response:
        self.hits += 1
        fault = self.faults.take(request.method, request.url.path)
        if fault is None:
            return Response("ok")
        return Response(str(fault.payload({})), status_code=fault.status, headers=fault.headers())


async def _call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    try:
        response = await client.request(method, path)
    except httpx.TransportError as exc:
        raise http.TransportFailed(str(exc), retry_safe=http.is_retry_safe(exc, method)) from exc
    retry_after = http.parse_retry_after(response.headers.get("retry-after"))
    if response.status_code == 429:
        raise http.RateLimited("429", status=429, retry_after=retry_after)
    if response.status_code >= 500:
        raise http.ServerError("5xx", status=response.status_code, retry_after=retry_after)
    return response


@pytest.fixture(scope="module")
def flaky() -> Iterator[_Flaky]:
    server_app = _Flaky()
    with ServerThread(server_app.app) as server:
        server_app.base_url = server.base_url
        yield server_app


async def test_retry_policy_honours_retry_after_and_backs_off(flaky: _Flaky) -> None:
    flaky.faults.add(Fault(1, 429, retry_after=2))
    flaky.faults.add(Fault(2, 500, retry_after=None))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = http.RetryPolicy(backoff_initial=1, backoff_max=8, sleep=sleep)
    async with httpx.AsyncClient(base_url=flaky.base_url) as client:
        response = await policy.run(lambda: _call(client, "GET", "/t"), log=log, label="test")
    assert response.text == "ok" and slept[0] == 2
    # attempts 2 and 3: bases 2 and 4 ("equal jitter": half fixed, half random)
    assert 1 <= slept[1] <= 2 and 2 <= slept[2] <= 4
    assert flaky.faults.pending == 0


async def test_retry_policy_gives_up_on_long_retry_after_and_501(flaky: _Flaky) -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("no wait expected")

    policy = http.RetryPolicy(max_retry_after=60, sleep=sleep)
    async with httpx.AsyncClient(base_url=flaky.base_url) as client:
        flaky.faults.add(Fault(1, 429, retry_after=120))
        with pytest.raises(http.RateLimited) as limited:
            await policy.run(lambda: _call(client, "GET", "/t"), log=log, label="test")
        assert limited.value.retry_after == 120 and limited.value.retryable
        flaky.faults.add(Fault(1, 501))
        with pytest.raises(http.ServerError):
            await policy.run(lambda: _call(client, "GET", "/t"), log=log, label="test")


async def test_retry_policy_stops_after_max_retries(flaky: _Flaky) -> None:
    async def sleep(seconds: float) -> None:
        pass

    flaky.faults.add(Fault(5, 503, retry_after=0))
    before = flaky.hits
    policy = http.RetryPolicy(max_retries=2, sleep=sleep)
    async with httpx.AsyncClient(base_url=flaky.base_url) as client:
        with pytest.raises(http.ServerError):
            await policy.run(lambda: _call(client, "PUT", "/t"), log=log, label="test")
    assert flaky.hits - before == 3
    flaky.faults.clear()


async def test_unsent_requests_are_retried_and_sent_writes_are_not() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    server = ServerThread(Starlette())
    server.start()
    url = server.base_url
    server.stop()  # nothing listens there now: every connect is refused
    policy = http.RetryPolicy(max_retries=2, sleep=sleep)
    async with httpx.AsyncClient(base_url=url) as client:
        with pytest.raises(http.TransportFailed) as failed:
            await policy.run(lambda: _call(client, "PUT", "/t"), log=log, label="test")
    assert failed.value.retry_safe and len(slept) == 2
    assert not http.is_retry_safe(httpx.ReadTimeout("slow"), "PUT")
    assert http.is_retry_safe(httpx.ReadTimeout("slow"), "GET")
    assert http.request_url(httpx.ReadTimeout("slow"), "/fallback") == "/fallback"


def test_parse_retry_after_and_backoff_bounds() -> None:
    assert http.parse_retry_after("12") == 12 and http.parse_retry_after("-3") == 0
    assert http.parse_retry_after(None) is None and http.parse_retry_after("soon") is None
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
    assert http.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30
    assert all(4 <= http.backoff_delay(10, initial=0.5, cap=8) <= 8 for _ in range(20))


def test_vendor_errors_chain_keyword_arguments() -> None:
    class AcmeError(http.ApiError):
        def __init__(self, message: str, *, code: str | None = None, **kwargs: object) -> None:
            super().__init__(message, **kwargs)  # type: ignore[arg-type]
            self.code = code

    class AcmeRateLimited(http.RateLimited, AcmeError):
        pass

    exc = AcmeRateLimited("slow down", retry_after=3, code="limit", status=429, method="GET")
    assert (exc.retry_after, exc.code, exc.status, exc.method, exc.url) == (3, "limit", 429, "GET", None)
    assert exc.retryable and str(exc) == "slow down" and isinstance(exc, AcmeError)
    assert http.RetryPolicy().should_retry(exc)


class _Closable:
    def __init__(self) -> None:
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_client_cache_is_per_key_and_closes_the_running_loops_clients() -> None:
    cache: http.ClientCache[_Closable] = http.ClientCache()
    first = cache.get(("a",), _Closable)
    assert cache.get(("a",), _Closable) is first and cache.get(("b",), _Closable) is not first
    await cache.aclose()
    assert first.closed and cache.get(("a",), _Closable) is not first
    await cache.aclose()
    assert asyncio.get_running_loop() is not None
