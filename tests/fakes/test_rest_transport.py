"""serviceflow.plugins.http.RestTransport over real HTTP on 127.0.0.1: pacing by the vendor's
rate-limit headers before a 429 comes, retries only for calls that may be repeated, the vendor's
errors through its mapper."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serviceflow.fakes.server import ServerThread
from serviceflow.plugins import http

log = logging.getLogger("test_rest_transport")


class Budgeted:
    """A vendor with a per-window budget: every answer says what is left; over it, a 429."""

    def __init__(self) -> None:
        self.limit = 10
        self.used = 0
        self.reset_header: str | None = None
        self.fail: list[int] = []
        self.hits: list[str] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PUT"])])

    async def handle(self, request: Request) -> Response:
        with self._lock:
            self.hits.append(request.method)
            self.used += 1
            left = max(self.limit - self.used, 0)
            status = self.fail.pop(0) if self.fail else (429 if self.used > self.limit else 200)
        headers = {"X-RateLimit-Total": str(self.limit), "X-RateLimit-Remaining": str(left)}
        if self.reset_header is not None:
            headers = {"ratelimit-limit": str(self.limit), "ratelimit-remaining": str(left),
                       "ratelimit-reset": self.reset_header}  # fmt: skip
        if status == 429:
            headers["Retry-After"] = "30"
        return JSONResponse({"ok": status == 200}, status_code=status, headers=headers)


class Errors:
    def for_response(self, response: httpx.Response, context: Any) -> http.ApiError:
        retry_after = http.parse_retry_after(response.headers.get("retry-after"))
        if response.status_code == 429:
            return http.RateLimited("429", status=429, retry_after=retry_after)
        if response.status_code >= 500:
            return http.ServerError("5xx", status=response.status_code)
        return http.ApiError(f"{response.status_code}", status=response.status_code)

    def for_transport(
        self, exc: httpx.TransportError, *, method: str, url: str, retry_safe: bool
    ) -> http.ApiError:
        return http.TransportFailed(str(exc), retry_safe=retry_safe)

    def unexpected(self, message: str, *, response: httpx.Response | None = None) -> http.ApiError:
        return http.ApiError(message)


@pytest.fixture
def vendor() -> Iterator[tuple[Budgeted, str]]:
    budgeted = Budgeted()
    with ServerThread(budgeted.app) as server:
        yield budgeted, server.base_url


def transport(
    url: str, slept: list[float], *, reader: http.RateReader | None = http.X_RATELIMIT_HEADERS
) -> http.RestTransport:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return http.RestTransport(
        url, errors=Errors(), label="acme", rate_limits=reader, pace_reserve=3,
        retry=http.RetryPolicy(max_retries=2, backoff_initial=0.1, sleep=sleep),
    )  # fmt: skip


async def test_the_last_requests_of_a_window_are_spread_out_and_no_429_comes(
    vendor: tuple[Budgeted, str],
) -> None:
    budgeted, url = vendor
    slept: list[float] = []
    async with transport(url, slept) as rest:
        for _ in range(budgeted.limit):
            assert (await rest.json("GET", "/t"))["ok"]
    assert budgeted.used == budgeted.limit  # every request answered 200, none refused
    # Remaining 10 - n after request n: from 3 left on, each waits the window's rest / (left + 1).
    assert len(slept) == 3 and all(0 < s <= 60 for s in slept)
    assert slept[0] < slept[1] < slept[2]  # fewer left, longer waits


async def test_a_stated_reset_is_what_is_spread_over(vendor: tuple[Budgeted, str]) -> None:
    budgeted, url = vendor
    budgeted.reset_header = "8"
    slept: list[float] = []
    async with transport(url, slept, reader=http.IETF_HEADERS) as rest:
        for _ in range(budgeted.limit):
            await rest.request("GET", "/t")
    assert slept and max(slept) <= 8


async def test_a_paced_wait_beyond_the_bound_is_a_retryable_429_that_sends_nothing(
    vendor: tuple[Budgeted, str],
) -> None:
    budgeted, url = vendor
    budgeted.limit = 1
    slept: list[float] = []
    rest = transport(url, slept)
    rest.retry = http.RetryPolicy(max_retries=0, max_retry_after=0.001, sleep=rest.retry.sleep)
    try:
        await rest.request("GET", "/t")  # leaves none: the next must wait for the window
        with pytest.raises(http.RateLimited) as limited:
            await rest.request("GET", "/t")
    finally:
        await rest.aclose()
    assert limited.value.retryable and (limited.value.retry_after or 0) > 0
    assert len(budgeted.hits) == 1 and slept == []


async def test_5xx_is_retried_for_what_may_be_repeated_only(vendor: tuple[Budgeted, str]) -> None:
    budgeted, url = vendor
    budgeted.limit = 1000
    slept: list[float] = []
    async with transport(url, slept, reader=None) as rest:
        budgeted.fail = [502, 502]
        assert (await rest.json("PUT", "/t"))["ok"]  # PUT is idempotent: retried
        budgeted.fail = [502]
        with pytest.raises(http.ServerError):
            await rest.request("POST", "/t")  # a POST may have been applied: raised at once
        budgeted.fail = [502]
        with pytest.raises(http.ServerError):
            await rest.request("PUT", "/t", idempotent=False)  # the caller knows better
    assert budgeted.hits == ["PUT", "PUT", "PUT", "POST", "PUT"] and len(slept) == 2


def test_readers_take_the_tightest_budget() -> None:
    reader = http.most_restrictive(
        http.X_RATE_LIMIT_HEADERS,
        http.IETF_HEADERS,
        http.structured_reader("zendesk-ratelimit-tickets-update"),
    )
    headers = {
        "X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "650", "ratelimit-remaining": "640",
        "ratelimit-reset": "20", "Zendesk-RateLimit-tickets-update": "total=100; remaining=3; resets=41",
    }  # fmt: skip
    assert reader(headers) == http.RateBudget(remaining=3, limit=100, resets_in=41)
    assert reader({"content-type": "application/json"}) is None
    assert http.X_RATELIMIT_HEADERS({"x-ratelimit-remaining": "junk"}) is None
