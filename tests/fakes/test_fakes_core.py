"""The fake-helpdesk building blocks of serviceflow.fakes, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serviceflow.fakes.calls import CallLog, RequestInfo
from serviceflow.fakes.faults import Fault, FaultPlan
from serviceflow.fakes.server import ServerThread
from serviceflow.fakes.webhooks import DeliveryWorker


def _info(method: str, path: str, query: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> RequestInfo:
    return RequestInfo(method, path, query, {}, body)


def test_server_thread_serves_on_loopback_and_stops() -> None:
    async def hello(request: Request) -> Response:
        return JSONResponse({"path": request.url.path})

    with ServerThread(Starlette(routes=[Route("/hi", hello)])) as server:
        assert server.running and server.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(server.base_url + "/hi").json() == {"path": "/hi"}
    assert not server.running
    with pytest.raises(RuntimeError):
        server.port  # noqa: B018
    with pytest.raises(ValueError, match="non-loopback"):
        ServerThread(Starlette(), host="0.0.0.0")


def test_request_info_reads_json_and_query() -> None:
    info = _info("GET", "/x", (("role[]", "a"), ("role[]", "b")), b'{"a": 1}')
    assert info.json == {"a": 1} and _info("GET", "/x", body=b"nope").json is None
    assert info.query_values("role[]") == ["a", "b"] and info.param("role[]") == "a"
    assert info.param("missing") is None


def test_call_log_matches_on_the_chosen_path_and_waits_bounded() -> None:
    plain: CallLog[RequestInfo] = CallLog()
    normalised: CallLog[RequestInfo] = CallLog(path_of=lambda c: c.path.removesuffix(".json"))
    for log in (plain, normalised):
        log.append(_info("PUT", "/api/v2/tickets/1.json"))
        log.append(_info("GET", "/api/v2/tickets/1"))
    assert [c.method for c in plain.matching("put", "/api/v2/tickets/*")] == ["PUT"]
    assert plain.matching("PUT", "/api/v2/tickets/1") == []
    assert len(normalised.matching(path="/api/v2/tickets/1")) == 2
    threading.Thread(target=plain.append, args=(_info("POST", "/later"),)).start()
    assert plain.wait_for(lambda calls: len(calls) == 3, timeout=5)[-1].path == "/later"
    with pytest.raises(TimeoutError):
        plain.wait_for(lambda calls: len(calls) > 3, timeout=0.01)
    plain.clear()
    assert plain.snapshot() == []


def test_fault_plan_consumes_matching_faults_in_order() -> None:
    plan = FaultPlan()
    plan.add(Fault(2, 503, retry_after=1.5, method="put", path="/api/v2/tickets/*"))
    plan.add(Fault(1, 429, retry_after=7))
    assert plan.pending == 3
    first = plan.take("GET", "/api/v2/tickets/1")
    assert first is not None and first.status == 429 and first.headers() == {"Retry-After": "7"}
    assert plan.take("GET", "/x") is None
    put = plan.take("PUT", "/api/v2/tickets/1")
    assert put is not None and put.headers() == {"Retry-After": "1.5"}
    assert put.payload({"error": "slow down"}) == "Service Unavailable"
    assert plan.pending == 1
    plan.clear()
    assert plan.pending == 0
    assert Fault(1, 429).payload({"error": "slow down"}) == {"error": "slow down"}
    assert Fault(1, 500, retry_after=3, body={"x": 1}).headers() == {}
    with pytest.raises(ValueError):
        plan.add(Fault(0, 429))


@dataclass
class _Delivery:
    url: str
    statuses: list[int] = field(default_factory=list)


class _Worker(DeliveryWorker[_Delivery]):
    def __init__(self, retry_delay: float) -> None:
        super().__init__(name="test-webhooks", timeout=5)
        self.retry_delay = retry_delay

    def deliver(self, client: httpx.Client, delivery: _Delivery) -> None:
        for attempt in range(3):
            if attempt and self.pause(self.retry_delay):
                return
            delivery.statuses.append(client.post(delivery.url, content=b"{}").status_code)
            if delivery.statuses[-1] == 200:
                return


class _Receiver:
    def __init__(self, *statuses: int) -> None:
        self.script = list(statuses)
        self.hit = threading.Event()
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.hit.set()
        return Response(status_code=self.script.pop(0) if self.script else 200)


def test_delivery_worker_sends_logs_and_waits() -> None:
    worker = _Worker(retry_delay=0)
    with ServerThread(_Receiver(500).app) as receiver:
        worker.start()
        try:
            worker.enqueue(_Delivery(receiver.base_url + "/hook"))
            worker.enqueue(_Delivery(receiver.base_url + "/hook"))
            done = worker.wait_for(lambda d: len(d) == 2, timeout=5)
            worker.wait_idle(timeout=5)
        finally:
            worker.stop()
    assert [d.statuses for d in done] == [[500, 200], [200]]
    with pytest.raises(TimeoutError, match="2 finished, 0 in flight"):
        worker.wait_for(lambda d: len(d) > 2, timeout=0.01)
    worker.clear_log()
    assert worker.deliveries == []


def test_delivery_worker_stop_interrupts_a_retry_delay() -> None:
    worker = _Worker(retry_delay=3600)
    receiver = _Receiver(500)
    with ServerThread(receiver.app) as server:
        worker.start()
        worker.enqueue(_Delivery(server.base_url + "/hook"))
        assert receiver.hit.wait(5)
        worker.stop(timeout=5)  # the worker would otherwise pause for an hour before its retry
    assert [d.statuses for d in worker.deliveries] == [[500]]
    assert worker.stopping
