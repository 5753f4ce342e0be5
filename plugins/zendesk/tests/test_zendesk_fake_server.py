"""The fake Zendesk's server side over raw HTTP: rate limits and injected faults, the call record,
start and stop, the request-check hook, seeding and reset."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from serviceflow_zendesk.fake import FakeApiError, FakeZendesk, RequestInfo
from serviceflow_zendesk.fake.seed import seed_demo
from zendesk_testing import WebhookReceiver

from serviceflow.fakes.server import ServerThread

# ---------------------------------------------------------------------- rate limits and faults


def test_rate_limit_headers_and_enforcement() -> None:
    at = datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC)  # frozen: the minute cannot roll over mid-test
    with FakeZendesk(rate_limit=2, enforce_rate_limit=True, clock=lambda: at) as fake:
        auth = (f"{fake.email}/token", fake.api_token)
        answers = [httpx.get(f"{fake.base_url}/api/v2/groups", auth=auth) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert [r.headers["x-rate-limit"] for r in answers] == ["2"] * 3
    assert [r.headers["x-rate-limit-remaining"] for r in answers] == ["1", "0", "0"]
    assert all(r.headers["ratelimit-reset"] == "30" for r in answers)
    assert answers[2].headers["retry-after"] == "30"
    assert answers[2].json()["error"] == "APIRateLimitExceeded"


def test_default_rate_limit_headers(fake: FakeZendesk, http: httpx.Client) -> None:
    response = http.get("/api/v2/tickets/1")  # even on an error
    assert response.status_code == 404 and response.headers["x-rate-limit"] == "700"
    assert {"x-rate-limit-remaining", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(
        response.headers
    )


def test_faults_are_scoped_and_consumed(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(2, status=500, method="PUT", path="/api/v2/tickets/*")
    fake.fail_next(1, status=429, retry_after=3)
    assert fake.pending_faults == 3
    got = http.get(f"/api/v2/tickets/{ticket['id']}")  # not a PUT: takes the unscoped 429
    assert (got.status_code, got.headers["retry-after"]) == (429, "3")

    def put() -> httpx.Response:
        return http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open"}})

    first = put()
    assert (first.status_code, first.text, first.headers["content-type"].split(";")[0]) == (
        500,
        "Internal Server Error",
        "text/plain",
    )
    assert [put().status_code, put().status_code] == [500, 200]
    assert fake.pending_faults == 0 and fake.ticket(ticket["id"])["status"] == "open"


def test_conflict_next_defaults_to_an_internal_note(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    fake.conflict_next(ticket["id"])
    http.get(f"/api/v2/tickets/{ticket['id']}")  # reads do not trigger it
    assert len(fake.comments(ticket["id"])) == 1
    response = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open"}})
    assert response.status_code == 200  # not a safe update: it silently wins
    notes = fake.comments(ticket["id"])
    assert len(notes) == 2 and notes[1]["public"] is False


def test_calls_are_recorded(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    http.put(f"/api/v2/tickets/{ticket['id']}.json", json={"ticket": {"status": "open"}})
    http.get("/api/v2/users", params=[("role[]", "agent"), ("role[]", "admin")])
    put, get = fake.calls
    assert (put.method, put.path, put.route, put.status) == (
        "PUT",
        f"/api/v2/tickets/{ticket['id']}.json",
        "/api/v2/tickets/{ticket_id}",
        200,
    )
    assert put.json == {"ticket": {"status": "open"}} and put.response["ticket"]["status"] == "open"
    assert put.headers["content-type"] == "application/json"
    assert get.query == (("role[]", "agent"), ("role[]", "admin")) and get.query_values("role[]") == [
        "agent",
        "admin",
    ]
    assert fake.calls_to("PUT", "/api/v2/tickets/*") == [put] and fake.calls_to("GET") == [get]
    assert fake.wait_for_calls(lambda calls: len(calls) == 2, timeout=1) == [put, get]


# ---------------------------------------------------------------------- lifecycle and hooks


def test_start_stop_and_context_manager() -> None:
    first = FakeZendesk().start()
    try:
        with FakeZendesk() as second:
            assert first.base_url != second.base_url
            assert first.base_url.startswith("http://127.0.0.1:") and first.running and second.running
            port = first._server.port
        assert not second.running
    finally:
        first.stop()
    assert not first.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v2/tickets")


def test_a_stopped_fake_can_start_again(receiver: WebhookReceiver) -> None:
    fake = FakeZendesk()
    with fake:
        ticket = fake.add_ticket()
        fake.add_webhook(receiver.url)
    with fake:  # same account, new port, webhooks still delivered
        moved = fake.ticket(ticket["id"])
        assert moved["url"] == f"{fake.base_url}/api/v2/tickets/{ticket['id']}.json"
        fake.update_ticket(ticket["id"], {"status": "open"})
        (delivery,) = fake.wait_for_deliveries(1)
        assert delivery.ok


def test_only_loopback_is_served() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        ServerThread(object(), host="0.0.0.0")


def test_request_check_hook_refuses_and_records() -> None:
    def no_puts(info: RequestInfo) -> list[str]:
        return ["PUT is not allowed here"] if info.method == "PUT" else []

    with FakeZendesk(request_check=no_puts) as fake:
        ticket = fake.add_ticket()
        response = httpx.put(
            f"{fake.base_url}/api/v2/tickets/{ticket['id']}",
            json={"ticket": {"status": "open"}},
            auth=(f"{fake.email}/token", fake.api_token),
        )
        assert response.status_code == 400 and response.json()["error"] == "FakeContractViolation"
        assert [problems for _, problems in fake.violations] == [["PUT is not allowed here"]]
        assert fake.ticket(ticket["id"])["status"] == "new"


def test_seeding_errors_surface_as_api_errors(fake: FakeZendesk) -> None:
    with pytest.raises(FakeApiError) as caught:
        fake.add_ticket(status="bogus")
    assert caught.value.status == 422
    with pytest.raises(FakeApiError):
        fake.ticket(12345)


def test_reset_forgets_everything_but_the_admin(fake: FakeZendesk, http: httpx.Client) -> None:
    fake.add_ticket()
    fake.fail_next(1, status=500, path="/never")
    http.get("/api/v2/groups")
    fake.reset()
    assert fake.tickets() == [] and fake.calls == [] and fake.pending_faults == 0
    assert [u["email"] for u in fake.users()] == [fake.email]


def test_demo_seed_is_a_working_helpdesk(fake: FakeZendesk, http: httpx.Client) -> None:
    seeded = seed_demo(fake)
    charged = seeded["tickets"]["charged_twice"]
    assert http.get(f"/api/v2/tickets/{charged['id']}").json()["ticket"]["tags"] == ["billing", "refund"]
    ada = seeded["agents"]["ada"]
    assigned = http.put(f"/api/v2/tickets/{charged['id']}", json={"ticket": {"assignee_id": ada["id"]}})
    assert assigned.json()["ticket"]["group_id"] == seeded["groups"]["billing"]["id"]  # Ada is in Billing
    assert len(fake.users("agent")) == 3 and fake.deliveries == []
